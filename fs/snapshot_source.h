#ifndef BERTH_FS_SNAPSHOT_SOURCE_H_
#define BERTH_FS_SNAPSHOT_SOURCE_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fs/live_tree.h"
#include "snapshot/tree_source.h"
#include "storage/database.h"

namespace berth::fs {

// A project's live tree as the snapshot writer reads it (snapshot/tree_source.h): every read
// goes through one RocksDB snapshot taken at construction, so the writer sees the tree as it was
// at one instant however the mount changes meanwhile. Node ids are inode numbers.
//
// The dirty marks (fs_dirty) are written by every LiveTree operation together with the inode it
// changes, carrying the inode's version; a file's directories come from its name links
// (fs_links); the tree ids of the last snapshot's directories sit in fs_tree_ids.
//
// Dirty marks are cleared by deletion, and RocksDB iterators step over every deleted key until
// compaction drops it: after an import the first snapshot clears one mark per file, and each
// later DirtyNodes would walk all those tombstones, so that a small snapshot would cost as much as
// the project is large. Hence the project's range of fs_dirty is compacted (synchronously) when
// Complete() cleared, or DirtyNodes stepped over, kCompactAfterClearedMarks or more marks.
//
// Borrows `tree`, which must outlive it. Not thread-safe (one writer at a time).
class LiveTreeSource : public snapshot::TreeSource {
 public:
  explicit LiveTreeSource(LiveTree* tree, storage::Database* db);
  ~LiveTreeSource() override;
  LiveTreeSource(const LiveTreeSource&) = delete;
  LiveTreeSource& operator=(const LiveTreeSource&) = delete;

  snapshot::NodeId root() const override { return kRootIno; }
  Result<std::vector<snapshot::DirtyMark>> DirtyNodes() override;
  Result<std::vector<snapshot::NodeId>> ParentsOf(snapshot::NodeId node) override;
  Result<std::vector<snapshot::SourceEntry>> ListDir(snapshot::NodeId dir) override;
  Result<snapshot::NodeMeta> Stat(snapshot::NodeId node) override;
  // Reads the nodes' metadata in inode order, where neighbours are a step apart rather than a
  // seek (an imported or restored directory's entries have neighbouring inode numbers); Stat
  // then hands each out once.
  Status Prefetch(std::span<const snapshot::NodeId> nodes) override;
  Result<std::optional<storage::ChunkId>> CachedTreeId(snapshot::NodeId dir) override;
  // The last call: it releases the frozen view, so that the compaction can drop the cleared marks.
  Status Complete(std::span<const std::pair<snapshot::NodeId, storage::ChunkId>> rebuilt_trees,
                  std::span<const snapshot::DirtyMark> consumed) override;

  // Cleared marks past which fs_dirty is compacted: about the point where stepping over the
  // tombstones costs a small snapshot more than its own work (~0.5 ms).
  static constexpr uint64_t kCompactAfterClearedMarks = 4096;

 private:
  // One iterator per family over the view, reused by every scan of that family: making an
  // iterator (a merging iterator over the memtables and every level) costs more than the seek
  // it serves, and Stat reads two families per node.
  struct Cursor {
    std::string upper;           // the end of the project's keys
    rocksdb::Slice upper_slice;  // what the iterator's upper bound points at
    std::unique_ptr<rocksdb::Iterator> it;
  };

  // Calls `fn(key suffix, value)` for every key of `family` that starts with `prefix`.
  // REQUIRES: `fn` scans no family itself (the family's cursor is in use).
  template <typename Fn>
  Status Scan(rocksdb::ColumnFamilyHandle* family, const std::string& prefix, Fn fn);
  // Whether `family` holds a key that starts with `prefix`.
  Result<bool> HasAnyKey(rocksdb::ColumnFamilyHandle* family, const std::string& prefix);
  Cursor& CursorOf(rocksdb::ColumnFamilyHandle* family);
  // The family's cursor, positioned at the first key at or after `prefix` (bounded by the end
  // of the project). A cursor a little before it steps there instead of seeking.
  rocksdb::Iterator* SeekTo(rocksdb::ColumnFamilyHandle* family, const std::string& prefix);
  // Stat without the prefetched metadata.
  Result<snapshot::NodeMeta> Read(snapshot::NodeId node);
  // Compacts the project's range of fs_dirty; a failure is logged, not returned.
  void CompactDirtyMarks();

  LiveTree* const tree_;
  storage::Database* const db_;
  const rocksdb::Snapshot* view_;  // released by Complete() or the destructor
  rocksdb::ReadOptions read_;      // reads through view_
  // Whether the project has any xattr in the view (unknown until the first Stat): most have
  // none, and then Stat skips the xattr scan.
  std::optional<bool> has_xattrs_;
  // Metadata read by Prefetch and not yet handed out by Stat.
  std::unordered_map<snapshot::NodeId, snapshot::NodeMeta> prefetched_;
  // By family (a handful); destroyed before the view is released.
  std::vector<std::pair<rocksdb::ColumnFamilyHandle*, std::unique_ptr<Cursor>>> cursors_;
};

}  // namespace berth::fs

#endif  // BERTH_FS_SNAPSHOT_SOURCE_H_
