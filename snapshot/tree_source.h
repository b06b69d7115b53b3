#ifndef BERTH_SNAPSHOT_TREE_SOURCE_H_
#define BERTH_SNAPSHOT_TREE_SOURCE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "storage/chunk_id.h"

namespace berth::snapshot {

// A node of the source tree (fs/: the inode number). Stable for the node's life, never reused.
using NodeId = uint64_t;

// A node changed since the last completed snapshot, with the node's version counter as the
// frozen view saw it. The source bumps a node's version on every change to it: its metadata,
// its data, its names (link, unlink, rename move the node's ctime) and, for a directory, its
// entries.
struct DirtyMark {
  NodeId node = 0;
  uint64_t version = 0;
};

struct SourceEntry {
  std::string name;
  NodeId node = 0;
};

// A piece of a regular file's data; pieces come in offset order, gaps between them are holes.
struct SourceExtent {
  uint64_t offset = 0;
  uint64_t length = 0;
  storage::ChunkId chunk;
};

// What a snapshot records of one node.
struct NodeMeta {
  uint32_t mode = 0;  // type and permission bits, as st_mode
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;
  uint64_t rdev = 0;
  int64_t mtime_ns = 0;
  std::string symlink_target;                                // symlinks
  std::vector<std::pair<std::string, std::string>> xattrs;   // sorted by name
  std::vector<SourceExtent> extents;                         // regular files
};

// What the incremental snapshot writer reads of a live tree. Every read sees one frozen,
// consistent view of the tree (fs/: a RocksDB snapshot taken after the dirty buffers were
// committed), so concurrent changes never tear a snapshot; only Complete() touches the live state.
//
// The writer relies on one invariant the source keeps: a node without a dirty mark is exactly as
// it was in the last completed snapshot, under the same names, so its entry can be copied from
// that snapshot's tree object of its parent (CachedTreeId).
//
// Not thread-safe: one writer uses a source at a time.
class TreeSource {
 public:
  virtual ~TreeSource() = default;

  virtual NodeId root() const = 0;

  // Nodes changed since the last completed snapshot. A dirty node may since have been removed
  // (Stat: NotFound, ParentsOf: empty); the writer consumes its mark all the same.
  virtual Result<std::vector<DirtyMark>> DirtyNodes() = 0;
  // The directories holding a name of `node` (several for hard links; none when unlinked; the
  // root has none).
  virtual Result<std::vector<NodeId>> ParentsOf(NodeId node) = 0;
  // A directory's entries, in no particular order, without "." and "..".
  virtual Result<std::vector<SourceEntry>> ListDir(NodeId dir) = 0;
  // NotFound when the node no longer exists.
  virtual Result<NodeMeta> Stat(NodeId node) = 0;
  // A hint: Stat will be called for each of `nodes` (up to a few thousand entries of one
  // directory, in name order) soon, once each. A source may read them ahead in its own order.
  // Default: nothing.
  virtual Status Prefetch(std::span<const NodeId> nodes) {
    (void)nodes;
    return Status::Ok();
  }
  // The id of the tree object `dir` had in the last completed snapshot; empty if none (never
  // snapshotted, or the cache was dropped).
  virtual Result<std::optional<storage::ChunkId>> CachedTreeId(NodeId dir) = 0;

  // Records a snapshot's outcome, atomically: each rebuilt directory's new tree id becomes its
  // cached id, and each consumed mark is cleared unless its node's version moved since the
  // frozen view (then the node stays dirty for the next snapshot).
  virtual Status Complete(std::span<const std::pair<NodeId, storage::ChunkId>> rebuilt_trees,
                          std::span<const DirtyMark> consumed) = 0;
};

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_TREE_SOURCE_H_
