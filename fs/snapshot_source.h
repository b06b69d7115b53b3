#ifndef BERTH_FS_SNAPSHOT_SOURCE_H_
#define BERTH_FS_SNAPSHOT_SOURCE_H_

#include <memory>

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
  Result<std::optional<storage::ChunkId>> CachedTreeId(snapshot::NodeId dir) override;
  Status Complete(std::span<const std::pair<snapshot::NodeId, storage::ChunkId>> rebuilt_trees,
                  std::span<const snapshot::DirtyMark> consumed) override;

 private:
  // Calls `fn(key suffix, value)` for every key of `family` that starts with `prefix`.
  template <typename Fn>
  Status Scan(rocksdb::ColumnFamilyHandle* family, const std::string& prefix, Fn fn);

  LiveTree* const tree_;
  storage::Database* const db_;
  const rocksdb::Snapshot* const view_;  // released in the destructor
};

}  // namespace berth::fs

#endif  // BERTH_FS_SNAPSHOT_SOURCE_H_
