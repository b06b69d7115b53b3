#ifndef BERTH_FS_LIVE_TREE_H_
#define BERTH_FS_LIVE_TREE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "fs/inode.h"
#include "fs/project_id.h"
#include "snapshot/tree_source.h"
#include "storage/chunk_id.h"
#include "storage/database.h"

namespace berth::fs {

// Column families holding live trees; a Database must be opened with them
// (DatabaseOptions::extra_families).
inline constexpr char kInodeFamily[] = "fs_inodes";    // project|ino -> Inode; project|0 -> state
inline constexpr char kDentryFamily[] = "fs_dentries";  // project|parent|name -> DirEntry
inline constexpr char kCookieFamily[] = "fs_cookies";   // project|parent|cookie -> ino,type,name
inline constexpr char kXattrFamily[] = "fs_xattrs";     // project|ino|name -> value
inline constexpr char kOrphanFamily[] = "fs_orphans";   // project|ino -> "" (nlink 0, not yet freed)
inline constexpr char kExtentFamily[] = "fs_extents";   // project|ino|offset -> chunk id, length
inline constexpr char kDirtyFamily[] = "fs_dirty";      // project|ino -> version (changed since
                                                        // the last snapshot)
inline constexpr char kLinkFamily[] = "fs_links";       // project|ino|parent|name -> ""
inline constexpr char kTreeIdFamily[] = "fs_tree_ids";  // project|dir ino -> tree object id of
                                                        // the last snapshot
std::vector<std::string> LiveTreeFamilies();

inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxXattrNameLength = 255;
inline constexpr size_t kMaxXattrValueSize = 64 * 1024;

// Who asks: new files belong to the caller (and the directory's setgid rule).
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Per-project quota; 0 means unlimited.
struct Limits {
  uint64_t max_inodes = 0;
  uint64_t max_bytes = 0;
};

struct Usage {
  uint64_t inodes = 0;
  uint64_t bytes = 0;
};

// A change of attributes (setattr). Fields left empty are not touched; ctime always moves.
struct AttrChange {
  std::optional<uint32_t> mode;  // permission bits (07777); the file type is kept
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;  // regular files only
  std::optional<int64_t> atime_ns;
  std::optional<int64_t> mtime_ns;
  bool atime_now = false;  // UTIME_NOW: the tree's clock, not the caller's
  bool mtime_now = false;
};

// One data extent of an imported file: bytes [offset, offset + length) are chunk `id`, which
// the chunk store holds, or which the batch given to LiveTree::Import stores.
struct ImportExtent {
  uint64_t offset = 0;
  storage::ChunkId id;
  uint32_t length = 0;
};

// One step of a bulk import (LiveTree::Import).
struct ImportOp {
  enum class Kind : uint8_t {
    // A new inode `ino` named `name` in directory `parent`, with `attrs` and `extents`.
    kCreate,
    // A new name `name` in directory `parent` for the existing non-directory `ino`.
    kLink,
    // `ino`'s atime and mtime become those of `attrs` (a directory whose entries are all in).
    kSetTimes,
  };
  Kind kind = Kind::kCreate;
  Ino ino = 0;  // kCreate: a number from ReserveInodes, used once
  Ino parent = 0;
  std::string name;
  // kCreate: mode (type and permission bits), uid, gid (as given: an import copies owners, so a
  // set-group-ID directory's rule for new files does not apply), rdev, size (regular files),
  // atime_ns, mtime_ns, symlink_target (symlinks, whose mode is always 0777). nlink, ctime,
  // parent, version and allocated are the tree's.
  Inode attrs;
  // kCreate: extended attributes, name and value (names up to kMaxXattrNameLength bytes, values
  // up to kMaxXattrValueSize).
  std::vector<std::pair<std::string, std::string>> xattrs;
  // kCreate of a regular file: its data in offset order; bytes in no extent are holes. The
  // extents' lengths are what the file counts against the byte quota.
  std::vector<ImportExtent> extents;
};

struct DirListing {
  std::string name;
  Ino ino = 0;
  uint8_t type = 0;     // DT_*
  uint64_t cookie = 0;  // resume a listing after this entry by passing it back
};

// The metadata of one project's live tree: inodes, directory entries, xattrs, usage, stored in
// the node's RocksDB. Every operation is one atomic WriteBatch, so a crash leaves each operation
// done or not done, and usage counters exact. Errors carry the errno FUSE must answer (ENOENT,
// EEXIST, ENOTEMPTY, ENOTDIR, EISDIR, EINVAL, ENAMETOOLONG, EDQUOT, ENODATA, ...).
//
// Permission checks are the kernel's (FUSE default_permissions); the tree enforces structure,
// ownership of new files and quotas. File contents are not handled here.
// Thread-safe: operations are serialised by one mutex per tree.
class LiveTree {
 public:
  // Opens the tree of `project`, creating an empty one (root directory 0755, owned by
  // `root_owner`) if the project has none, and frees orphans a crash left behind.
  // `db` and `clock` are borrowed and must outlive the tree.
  static Result<std::unique_ptr<LiveTree>> Open(storage::Database* db, const ProjectId& project,
                                                const Caller& root_owner, Clock* clock);
  LiveTree(const LiveTree&) = delete;
  LiveTree& operator=(const LiveTree&) = delete;

  const ProjectId& project() const { return project_; }

  Result<Inode> GetAttr(Ino ino);
  Result<Inode> Lookup(Ino parent, std::string_view name);

  // Creates a regular file, fifo, socket or device node (`mode` includes the type bits).
  Result<Inode> MakeNode(Ino parent, std::string_view name, uint32_t mode, uint64_t rdev,
                         const Caller& caller);
  Result<Inode> MakeDir(Ino parent, std::string_view name, uint32_t mode, const Caller& caller);
  Result<Inode> Symlink(Ino parent, std::string_view name, std::string_view target,
                        const Caller& caller);
  // A new name for an existing non-directory inode.
  Result<Inode> Link(Ino ino, Ino new_parent, std::string_view new_name);

  // Remove a name. The inode lives on with nlink 0 (an orphan) until ReleaseOrphan, so that a
  // file still open keeps working. Returns the inode as it is after the removal.
  Result<Inode> Unlink(Ino parent, std::string_view name);
  Result<Inode> RemoveDir(Ino parent, std::string_view name);
  // flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (linux/fs.h). A name that replaces another
  // turns the replaced inode into an orphan if that was its last name.
  Status Rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name,
                unsigned flags);

  Result<Inode> SetAttr(Ino ino, const AttrChange& change);
  // A read's atime update (relatime): the atime becomes now, nothing else changes. The inode's
  // version and dirty mark stay as they are, since snapshots do not keep atimes.
  Status TouchAtime(Ino ino);

  // Changes a regular file's contents. `edit` adds the extent and chunk changes to the batch and
  // sets the inode's new size, mtime and ctime (those of the write or truncate, which may precede
  // the commit) and allocated bytes; the tree writes the inode and the usage
  // counters in the same batch, so data, metadata and usage change together or not at all.
  // EDQUOT (and nothing written) if the allocated bytes would pass the byte quota.
  using DataEdit = std::function<Status(rocksdb::WriteBatch* batch, Inode* inode)>;
  Result<Inode> UpdateData(Ino ino, const DataEdit& edit);
  rocksdb::ColumnFamilyHandle* extents_family() const { return extents_; }
  Clock* clock() const { return clock_; }
  Result<std::string> ReadLink(Ino ino);

  // Bulk import (a native tree copied in, cluster/tree_import.h): many entries per WriteBatch,
  // each created with its attributes and extents at once.
  //
  // Reserves `count` fresh inode numbers for Import's kCreate ops; returns the first. Numbers
  // never used stay unused for good (harmless: numbers are never reused).
  Result<Ino> ReserveInodes(uint64_t count);
  // Applies `ops` in order: their records, dirty marks, name links, cookies and the usage
  // counters go into `batch`, which may already hold the chunk records the extents reference,
  // and the batch is written as one atomic write. Each op is checked as the single operation
  // would be (ENOENT, ENOTDIR, EEXIST, EINVAL, ENAMETOOLONG, EMLINK; EDQUOT when an inode or the
  // allocated bytes would pass the quota). At the first op that fails, the ops before it (and
  // whatever `batch` held) are written and its error is returned. `*applied` is the number of ops
  // written (0 if the write itself failed). A directory's mtime moves as entries are added;
  // a kSetTimes after them restores what the source had.
  Status Import(std::span<const ImportOp> ops, rocksdb::WriteBatch* batch, size_t* applied);

  // Up to `max` entries of a directory, in cookie order, after cookie `after` (0: from the
  // start). "." and ".." are not included: the caller adds them (cookies 1 and 2).
  Result<std::vector<DirListing>> ReadDir(Ino dir, uint64_t after, size_t max);

  // The names starting with `prefix` in each directory of `dirs` (ascending; inodes that are
  // not directories, or gone, have none), as (directory, name) pairs. Costs about one seek per
  // directory, not a listing: a run of non-directories between two directories costs nothing.
  Result<std::vector<std::pair<Ino, std::string>>> FindNames(std::span<const Ino> dirs,
                                                             std::string_view prefix);

  // flags: 0, XATTR_CREATE or XATTR_REPLACE.
  Status SetXattr(Ino ino, std::string_view name, ByteView value, int flags);
  Result<std::string> GetXattr(Ino ino, std::string_view name);
  Result<std::vector<std::string>> ListXattr(Ino ino);
  Status RemoveXattr(Ino ino, std::string_view name);

  // Frees an inode whose last name is gone, once nobody has it open and the kernel has
  // forgotten it. A no-op for an inode that still has names.
  Status ReleaseOrphan(Ino ino);

  // The tree as the snapshot writer reads it: a frozen view of this moment (a RocksDB snapshot)
  // whose Complete() records the snapshot's tree ids and clears the consumed dirty marks. The
  // caller commits dirty file buffers first. The source borrows the tree.
  std::unique_ptr<snapshot::TreeSource> OpenSnapshotSource();
  // Complete() of a snapshot source: in one batch, under the tree's lock, so no operation slips
  // between reading a mark and clearing it.
  Status CompleteSnapshot(std::span<const std::pair<Ino, storage::ChunkId>> rebuilt_trees,
                          std::span<const snapshot::DirtyMark> consumed);

  Usage usage();
  Limits limits();
  void set_limits(const Limits& limits);

 private:
  struct State {
    Ino next_ino = 2;
    Usage usage;
  };

  LiveTree(storage::Database* db, const ProjectId& project, Clock* clock);
  Status Initialise(const Caller& root_owner);
  // A tree of state version 1 had no name links: derive them from the directory entries.
  Status AddMissingLinks();

  // Helpers; REQUIRES: mu_ held.
  Result<Inode> Load(Ino ino);
  Result<Inode> LoadDir(Ino ino);
  Result<std::optional<DirEntry>> FindEntry(Ino parent, std::string_view name);
  Result<bool> IsEmptyDir(Ino dir);
  Result<Inode> CreateLocked(Ino parent, std::string_view name, uint32_t mode, uint64_t rdev,
                             const Caller& caller, std::string_view symlink_target);
  // Writes the inode and marks it changed since the last snapshot. REQUIRES: its version was
  // bumped (or it is new), so a mark the snapshot writer consumed meanwhile is told apart.
  void PutInode(rocksdb::WriteBatch* batch, const Inode& inode);
  // Writes the inode record alone: for changes snapshots do not keep (atime).
  void PutInodeRecord(rocksdb::WriteBatch* batch, const Inode& inode);
  void PutState(rocksdb::WriteBatch* batch);
  // Adds `name` -> `ino` to `dir` (taking the next cookie) / removes it.
  void AddEntry(rocksdb::WriteBatch* batch, Inode* dir, std::string_view name, const Inode& child);
  void RemoveEntry(rocksdb::WriteBatch* batch, const Inode& dir, std::string_view name,
                   const DirEntry& entry);
  // Drops one name of `inode`; at zero it becomes an orphan.
  void DropName(rocksdb::WriteBatch* batch, Inode* inode, int64_t now);
  Status ReleaseLocked(Ino ino);
  Status Write(rocksdb::WriteBatch* batch);

  storage::Database* const db_;
  const ProjectId project_;
  Clock* const clock_;
  rocksdb::ColumnFamilyHandle* const inodes_;
  rocksdb::ColumnFamilyHandle* const dentries_;
  rocksdb::ColumnFamilyHandle* const cookies_;
  rocksdb::ColumnFamilyHandle* const xattrs_;
  rocksdb::ColumnFamilyHandle* const orphans_;
  rocksdb::ColumnFamilyHandle* const extents_;
  rocksdb::ColumnFamilyHandle* const dirty_;
  rocksdb::ColumnFamilyHandle* const links_;
  rocksdb::ColumnFamilyHandle* const tree_ids_;

  std::mutex mu_;  // serialises every operation; leaf lock
  State state_;    // GUARDED_BY(mu_); the copy in RocksDB is written in each batch
  Limits limits_;  // GUARDED_BY(mu_)
};

// Drops every record of a project's live tree (one atomic, synced batch of range deletes: all
// its keys start with the project id). REQUIRES: no LiveTree of the project is open.
Status DeleteLiveTree(storage::Database* db, const ProjectId& project);

// Checks a single path component: not empty, not "." or "..", no '/' or NUL (EINVAL), at most
// 255 bytes (ENAMETOOLONG).
Status ValidateName(std::string_view name);

}  // namespace berth::fs

#endif  // BERTH_FS_LIVE_TREE_H_
