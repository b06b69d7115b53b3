#ifndef BERTH_SNAPSHOT_SNAPSHOT_STORE_H_
#define BERTH_SNAPSHOT_SNAPSHOT_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "snapshot/snapshot_record.h"
#include "storage/chunk_store.h"
#include "storage/database.h"

namespace berth::snapshot {

// The column family holding snapshot records: key = project (16) · snapshot id (u64 big-endian,
// ms), value = the record (doc/snapshot_format.md). Big-endian ids make a prefix scan list a
// project's snapshots in time order.
inline constexpr char kSnapshotFamily[] = "snapshots";
// The families a Database must be opened with (DatabaseOptions::extra_families) for snapshots.
std::vector<std::string> SnapshotFamilies();

// The snapshot records of every project on a node. A record is written only when the tree it
// names is in the chunk store (objects first, record last), so no record ever refers to a
// missing root. Thread-safe.
class SnapshotStore {
 public:
  // `chunks` (and its database) are borrowed and must outlive the store. FailedPrecondition
  // when the database lacks kSnapshotFamily.
  static Result<std::unique_ptr<SnapshotStore>> Open(storage::ChunkStore* chunks);
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // The id a new snapshot of `project` taken at `now_ms` gets: now_ms, or 1 ms after the
  // project's latest snapshot if that is not earlier (a clock step back, two in one ms).
  Result<SnapshotId> NextId(const ProjectKey& project, int64_t now_ms) const;

  // Stores a new record. AlreadyExists when the project has a snapshot of that id or another
  // with the same label; FailedPrecondition when the root tree object is not in the chunk store;
  // InvalidArgument for a record that does not encode. sync: wait for the WAL to reach the disk.
  Status Put(const SnapshotRecord& record, bool sync = false);
  // The same, written in one atomic write together with `objects`: a batch of objects the record
  // needs that is not written yet (ObjectWriter's last batch), so a snapshot costs one sync.
  // `root_in_batch`: the root tree object is among them (else it must be in the store).
  // On success the batch has been written and is cleared.
  Status PutWithObjects(const SnapshotRecord& record, rocksdb::WriteBatch* objects,
                        bool root_in_batch, bool sync);
  // NotFound when the project has no such snapshot; DataLoss when the stored record is corrupt.
  Result<SnapshotRecord> Get(const ProjectKey& project, const SnapshotId& id) const;
  // The project's snapshots, oldest first.
  Result<std::vector<SnapshotRecord>> List(const ProjectKey& project) const;
  // The newest snapshot, or nullopt when the project has none.
  Result<std::optional<SnapshotRecord>> Latest(const ProjectKey& project) const;
  // Removes one record (absent is fine). Its objects stay until GC finds them unreferenced.
  Status Delete(const ProjectKey& project, const SnapshotId& id, bool sync = false);
  // Removes every record of the project.
  Status DeleteAll(const ProjectKey& project, bool sync = false);

  storage::ChunkStore* chunks() const { return chunks_; }

 private:
  SnapshotStore(storage::ChunkStore* chunks, rocksdb::ColumnFamilyHandle* family)
      : chunks_(chunks), db_(chunks->database()), family_(family) {}

  storage::ChunkStore* const chunks_;
  storage::Database* const db_;
  rocksdb::ColumnFamilyHandle* const family_;
  // Makes Put's checks (id and label free) and its write one step. Lock order: leaf.
  std::mutex put_mu_;
};

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_STORE_H_
