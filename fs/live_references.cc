#include "fs/live_references.h"

#include "fs/live_tree.h"

namespace berth::fs {

namespace {

// Both families' values start with a 32-byte chunk id (extents: id · length).
Status ScanIds(storage::Database* db, const rocksdb::Snapshot* view, const char* family,
               const std::function<void(const storage::ChunkId&)>& visit) {
  rocksdb::ColumnFamilyHandle* handle = db->Family(family);
  if (handle == nullptr) return FailedPreconditionError(std::string("no column family ") + family);
  rocksdb::ReadOptions options;
  options.snapshot = view;
  std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(options, handle));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->value().size() < storage::ChunkId::kSize) {
      return DataLossError(std::string("malformed record in ") + family);
    }
    visit(storage::ChunkId::FromBytes(
        ByteView(reinterpret_cast<const uint8_t*>(it->value().data()), storage::ChunkId::kSize)));
  }
  if (!it->status().ok()) return UnavailableError("scan " + std::string(family) + ": " +
                                                  it->status().ToString());
  return Status::Ok();
}

}  // namespace

Status ForEachLiveReference(storage::Database* db, const LiveReferences& visit) {
  const rocksdb::Snapshot* view = db->db()->GetSnapshot();
  Status s = ScanIds(db, view, kExtentFamily, visit.data_chunk);
  if (s.ok()) s = ScanIds(db, view, kTreeIdFamily, visit.cached_tree);
  db->db()->ReleaseSnapshot(view);
  return s;
}

}  // namespace berth::fs
