#include "snapshot/snapshot_store.h"

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "base/coding.h"
#include "snapshot/internal/rocks.h"

namespace berth::snapshot {

using internal::FromRocks;

namespace {

constexpr size_t kKeySize = ProjectKey::kSize + 8;

std::string Key(const ProjectKey& project, const SnapshotId& id) {
  std::string key(project.bytes());
  PutBigEndian64(&key, static_cast<uint64_t>(id.millis()));
  return key;
}

std::string Describe(const ProjectKey& project, const SnapshotId& id) {
  return "snapshot " + (id.valid() ? id.ToString() : std::to_string(id.millis())) + " of project " +
         project.ToHex();
}

// Decodes a stored record and checks it is the one its key names.
Result<SnapshotRecord> DecodeStored(const rocksdb::Slice& key, const rocksdb::Slice& value) {
  ByteView bytes(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  auto record = DecodeSnapshotRecord(bytes);
  if (!record.ok()) return record.status();
  if (key.size() != kKeySize || Key(record->project, record->id) != key.ToStringView()) {
    return DataLossError("snapshot record stored under another key");
  }
  return record;
}

}  // namespace

std::vector<std::string> SnapshotFamilies() { return {kSnapshotFamily}; }

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(storage::ChunkStore* chunks) {
  rocksdb::ColumnFamilyHandle* family = chunks->database()->Family(kSnapshotFamily);
  if (family == nullptr) {
    return FailedPreconditionError(std::string("database lacks column family ") + kSnapshotFamily);
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(chunks, family));
}

Result<SnapshotId> SnapshotStore::NextId(const ProjectKey& project, int64_t now_ms) const {
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> latest, Latest(project));
  int64_t ms = now_ms;
  if (latest && latest->id.millis() >= ms) ms = latest->id.millis() + 1;
  SnapshotId id(ms);
  if (!id.valid()) return InvalidArgumentError("clock out of range for a snapshot id");
  return id;
}

Status SnapshotStore::Put(const SnapshotRecord& record, bool sync) {
  rocksdb::WriteBatch batch;
  return PutWithObjects(record, &batch, /*root_in_batch=*/false, sync);
}

Status SnapshotStore::PutWithObjects(const SnapshotRecord& record, rocksdb::WriteBatch* objects,
                                     bool root_in_batch, bool sync) {
  ASSIGN_OR_RETURN(Bytes value, EncodeSnapshotRecord(record));
  std::lock_guard<std::mutex> lock(put_mu_);
  if (!root_in_batch) {
    ASSIGN_OR_RETURN(bool has_root, chunks_->Has(record.root));
    if (!has_root) {
      return FailedPreconditionError(Describe(record.project, record.id) + ": root tree " +
                                     record.root.ShortHex() + " is not in the store");
    }
  }
  std::string key = Key(record.project, record.id);
  std::string existing;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), family_, key, &existing);
  if (s.ok()) return AlreadyExistsError(Describe(record.project, record.id) + " exists already");
  if (!s.IsNotFound()) return FromRocks("read " + Describe(record.project, record.id), s);
  if (!record.label.empty()) {
    ASSIGN_OR_RETURN(std::vector<SnapshotRecord> all, List(record.project));
    for (const SnapshotRecord& other : all) {
      if (other.label == record.label) {
        return AlreadyExistsError("label '" + record.label + "' names snapshot " +
                                  other.id.ToString() + " already");
      }
    }
  }
  rocksdb::Status added = objects->Put(family_, key, AsChars(value));
  if (!added.ok()) return FromRocks("batch " + Describe(record.project, record.id), added);
  RETURN_IF_ERROR(db_->Write(objects, sync));
  objects->Clear();
  return Status::Ok();
}

Result<SnapshotRecord> SnapshotStore::Get(const ProjectKey& project, const SnapshotId& id) const {
  std::string key = Key(project, id);
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), family_, key, &value);
  if (s.IsNotFound()) return NotFoundError(Describe(project, id) + " does not exist");
  if (!s.ok()) return FromRocks("read " + Describe(project, id), s);
  auto record = DecodeStored(key, value);
  if (!record.ok()) return record.status().WithContext(Describe(project, id));
  return record;
}

Result<std::vector<SnapshotRecord>> SnapshotStore::List(const ProjectKey& project) const {
  std::vector<SnapshotRecord> out;
  const std::string prefix(project.bytes());
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), family_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto record = DecodeStored(it->key(), it->value());
    if (!record.ok()) {
      return record.status().WithContext("snapshot records of project " + project.ToHex());
    }
    out.push_back(std::move(record).value());
  }
  RETURN_IF_ERROR(FromRocks("list snapshots of project " + project.ToHex(), it->status()));
  return out;
}

Result<std::optional<SnapshotRecord>> SnapshotStore::Latest(const ProjectKey& project) const {
  const std::string prefix(project.bytes());
  std::string last = prefix + std::string(8, '\xff');
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), family_));
  it->SeekForPrev(last);
  RETURN_IF_ERROR(FromRocks("latest snapshot of project " + project.ToHex(), it->status()));
  if (!it->Valid() || !it->key().starts_with(prefix)) return std::optional<SnapshotRecord>();
  auto record = DecodeStored(it->key(), it->value());
  if (!record.ok()) return record.status().WithContext("latest snapshot of " + project.ToHex());
  return std::optional<SnapshotRecord>(std::move(record).value());
}

Status SnapshotStore::Delete(const ProjectKey& project, const SnapshotId& id, bool sync) {
  rocksdb::WriteBatch batch;
  batch.Delete(family_, Key(project, id));
  return db_->Write(&batch, sync);
}

Status SnapshotStore::DeleteAll(const ProjectKey& project, bool sync) {
  rocksdb::WriteBatch batch;
  std::string begin(project.bytes());
  std::string end = Key(project, SnapshotId(INT64_MAX)) + '\0';
  batch.DeleteRange(family_, begin, end);
  return db_->Write(&batch, sync);
}

}  // namespace berth::snapshot
