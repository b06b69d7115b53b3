#ifndef BERTH_SNAPSHOT_OBJECT_IO_H_
#define BERTH_SNAPSHOT_OBJECT_IO_H_

#include <rocksdb/write_batch.h>

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "snapshot/chunk_list.h"
#include "snapshot/tree_object.h"
#include "storage/chunk_id.h"
#include "storage/chunk_store.h"

namespace berth::snapshot {

// Reads a tree object from the store and decodes it. NotFound when absent; DataLoss when the
// record is corrupt, is not a tree, or does not decode (the message names the id).
Result<TreeObject> LoadTree(const storage::ChunkStore& chunks, const storage::ChunkId& id);
// The totals of a stored tree object, without decoding its entries.
Result<Totals> LoadTreeTotals(const storage::ChunkStore& chunks, const storage::ChunkId& id);
// Reads a list object from the store and decodes it; errors as LoadTree.
Result<ListObject> LoadList(const storage::ChunkStore& chunks, const storage::ChunkId& id);

// Writes objects to the store in atomic batches of about `batch_bytes` stored bytes, in the
// order they are added (add children before what refers to them). Skips objects the store
// holds already, and repeats within a batch. Not thread-safe.
class ObjectWriter {
 public:
  // `chunks` is borrowed and must outlive the writer.
  ObjectWriter(storage::ChunkStore* chunks, size_t batch_bytes)
      : chunks_(chunks), batch_bytes_(batch_bytes) {}

  // REQUIRES: object.id is the id of object.bytes.
  Status Add(const EncodedObject& object);
  // Writes what is pending. sync: wait for the WAL to reach the disk.
  Status Flush(bool sync);
  // The batch not yet written, for a caller that adds its own entries and writes it
  // (SnapshotStore::PutWithObjects); call Flush or drop the writer afterwards.
  rocksdb::WriteBatch* pending_batch() { return &batch_; }
  // Whether `id` was added to the pending batch (not stored before, not flushed yet).
  bool Pending(const storage::ChunkId& id) const { return pending_.count(id) > 0; }

  uint64_t written() const { return written_; }
  uint64_t reused() const { return reused_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  storage::ChunkStore* const chunks_;
  const size_t batch_bytes_;
  rocksdb::WriteBatch batch_;
  storage::ChunkIdSet in_batch_;  // seen since the last flush
  storage::ChunkIdSet pending_;   // added to batch_ since the last flush
  size_t pending_bytes_ = 0;
  uint64_t written_ = 0;
  uint64_t reused_ = 0;
  uint64_t bytes_written_ = 0;
};

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_OBJECT_IO_H_
