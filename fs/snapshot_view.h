#ifndef BERTH_FS_SNAPSHOT_VIEW_H_
#define BERTH_FS_SNAPSHOT_VIEW_H_

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "fs/inode.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/snapshot_store.h"

namespace berth::fs {

// The name of the read-only snapshot directory at a project's root: hidden from readdir,
// reachable by name (as ZFS's .zfs).
inline constexpr char kSnapshotsDirName[] = ".snapshots";

// Node ids of the view carry this bit; live inode numbers (a counter from 1) never reach it.
inline constexpr Ino kVirtualBit = Ino{1} << 63;
inline bool IsVirtual(Ino ino) { return (ino & kVirtualBit) != 0; }
// `.snapshots` itself.
inline constexpr Ino kSnapshotsDirIno = kVirtualBit | 1;

// `.snapshots/` of one mounted project: `.snapshots/<snapshot id>/...` is that snapshot's tree,
// read from the chunk store as it is walked (a directory's tree object is read when it is
// listed or looked into; nothing is materialised ahead). Everything is read-only; the FUSE
// operations answer EROFS to any change.
//
// Node ids are handed out on lookup and kept while the kernel holds a reference (lookups minus
// forgets), so one path keeps its id while it is in use; an id is never reused.
// Thread-safe.
class SnapshotView {
 public:
  // The stores are borrowed and must outlive the view. `owner`: uid and gid shown for
  // `.snapshots` and the snapshot roots (a tree object holds no metadata of its own root).
  SnapshotView(const snapshot::SnapshotStore* snapshots, const storage::ChunkStore* chunks,
               const snapshot::ProjectKey& project, uint32_t owner_uid, uint32_t owner_gid);
  SnapshotView(const SnapshotView&) = delete;
  SnapshotView& operator=(const SnapshotView&) = delete;

  // A name in a view directory (`.snapshots` or a directory inside a snapshot). Counts one
  // kernel reference on the returned node. ENOENT, ENOTDIR, DataLoss as the reader reports.
  Result<struct stat> Lookup(Ino parent, std::string_view name);
  Result<struct stat> GetAttr(Ino ino);
  void Forget(Ino ino, uint64_t count);

  struct Listing {
    std::string name;
    struct stat attr;  // st_ino: a number for readdir; the node id comes with the lookup
  };
  // A directory's entries in name order (snapshot ids, oldest first, for `.snapshots`).
  Result<std::vector<Listing>> ReadDir(Ino dir);
  // Up to `size` bytes of a regular file from `offset`.
  Result<Bytes> Read(Ino ino, uint64_t offset, size_t size);
  Result<std::string> ReadLink(Ino ino);
  Result<std::string> GetXattr(Ino ino, std::string_view name);
  Result<std::vector<std::string>> ListXattr(Ino ino);

 private:
  struct Node {
    snapshot::TreeEntry entry;  // for a snapshot root: a directory entry for its root tree
    Ino parent = 0;
    std::string name;           // its name in `parent`
    int64_t snapshot_ns = 0;    // snapshot roots: their time
    uint64_t lookups = 0;
  };
  // REQUIRES: mu_ held.
  Result<const Node*> Find(Ino ino) const;
  struct stat StatOf(Ino ino, const Node& node) const;
  struct stat SnapshotsDirStat() const;
  Ino Remember(Ino parent, const std::string& name, Node node);

  const snapshot::SnapshotStore* const snapshots_;
  const snapshot::SnapshotReader reader_;
  const snapshot::ProjectKey project_;
  const uint32_t owner_uid_, owner_gid_;

  mutable std::mutex mu_;  // leaf lock; held for table updates only, not for store reads
  std::map<Ino, Node> nodes_;                              // GUARDED_BY(mu_)
  std::map<std::pair<Ino, std::string>, Ino> by_name_;      // GUARDED_BY(mu_)
  Ino next_ = kVirtualBit | 2;                              // GUARDED_BY(mu_)
};

}  // namespace berth::fs

#endif  // BERTH_FS_SNAPSHOT_VIEW_H_
