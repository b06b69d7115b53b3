#ifndef BERTH_SNAPSHOT_NATIVE_SOURCE_H_
#define BERTH_SNAPSHOT_NATIVE_SOURCE_H_

#include <rocksdb/write_batch.h>
#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "snapshot/snapshot_writer.h"
#include "snapshot/tree_source.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"

namespace berth::snapshot {

// A TreeSource over a directory of the real filesystem, for full snapshots of native trees
// (SnapshotDirectory: imports, tests, comparisons with other backup tools). It has no history:
// the root is its one dirty mark and no directory has a cached tree, so the writer reads
// everything. Reading a regular file stores its data: each data region (holes found with
// SEEK_DATA/SEEK_HOLE stay holes) is cut by `chunker` and its chunks are added to the store in
// batches of about `batch_bytes`; Flush() writes the last batch.
//
// Hard links (same device and inode, more than one link) get one node, so their names share a
// link group. The tree must hold still while it is read: a file that changes size meanwhile is
// recorded as far as it was read. Not thread-safe.
class NativeTreeSource : public TreeSource {
 public:
  // `chunks` and `chunker` are borrowed and must outlive the source.
  NativeTreeSource(std::string root_path, storage::ChunkStore* chunks,
                   const storage::Chunker& chunker, size_t batch_bytes = 8u << 20);
  ~NativeTreeSource() override;

  NodeId root() const override { return kRoot; }
  Result<std::vector<DirtyMark>> DirtyNodes() override;
  Result<std::vector<NodeId>> ParentsOf(NodeId node) override;
  Result<std::vector<SourceEntry>> ListDir(NodeId dir) override;
  Result<NodeMeta> Stat(NodeId node) override;
  Result<std::optional<storage::ChunkId>> CachedTreeId(NodeId dir) override;
  Status Complete(std::span<const std::pair<NodeId, storage::ChunkId>> rebuilt_trees,
                  std::span<const DirtyMark> consumed) override;

  // Writes the chunks still pending.
  Status Flush();

  uint64_t files_read() const { return files_read_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t new_chunks() const { return new_chunks_; }
  uint64_t new_stored_bytes() const { return new_stored_bytes_; }

 private:
  static constexpr NodeId kRoot = 1;
  struct Node {
    std::string path;
    NodeId parent = 0;
    struct stat st;
  };

  Result<const Node*> Find(NodeId node) const;
  Status ReadData(const Node& node, NodeMeta* meta);
  Status AddChunk(ByteView chunk, storage::ChunkId* id);

  const std::string root_path_;
  storage::ChunkStore* const chunks_;
  const storage::Chunker& chunker_;
  const size_t batch_bytes_;
  std::unordered_map<NodeId, Node> nodes_;
  std::map<std::pair<dev_t, ino_t>, NodeId> links_;  // hard-linked files already named
  NodeId next_node_ = kRoot + 1;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t buffer_size_;
  rocksdb::WriteBatch batch_;
  storage::ChunkIdSet in_batch_;
  size_t pending_bytes_ = 0;
  uint64_t files_read_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t new_chunks_ = 0;
  uint64_t new_stored_bytes_ = 0;
};

// Takes a full snapshot of the native directory `path` into the stores, for options.project:
// every file's data is chunked and stored, then the trees, then the record (written even when
// the tree equals the project's latest snapshot if options.force). Returns what was written.
Result<WriteResult> SnapshotDirectory(const std::string& path, storage::ChunkStore* chunks,
                                      SnapshotStore* snapshots, WriteOptions options,
                                      const storage::ChunkerOptions& chunking = {});

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_NATIVE_SOURCE_H_
