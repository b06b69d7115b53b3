#include "storage/chunk_store.h"

#include <rocksdb/iterator.h>
#include <sodium.h>

#include <algorithm>
#include <string>

#include "storage/internal/index_entry.h"
#include "storage/internal/rocks_status.h"

namespace berth::storage {

using internal::DecodeIndexEntry;
using internal::EncodeIndexEntry;
using internal::FromRocks;

namespace {
constexpr char kFormatKey[] = "format_version";
constexpr char kDedupKey[] = "dedup_key_fingerprint";
constexpr char kEncryptionKey[] = "encryption_key_fingerprint";

std::string FingerprintString(const SecretKey& key) {
  auto fp = key.Fingerprint();
  return std::string(reinterpret_cast<const char*>(fp.data()), fp.size());
}
}  // namespace

Status StoreOptions::Validate() const {
  if (zstd_level < 1 || zstd_level > 19) {
    return InvalidArgumentError("zstd level must be 1..19, not " + std::to_string(zstd_level));
  }
  if (clock == nullptr) return InvalidArgumentError("store options: clock is null");
  return Status::Ok();
}

GcEpoch::GcEpoch(GcEpoch&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), start_ms_(other.start_ms_) {}

GcEpoch::~GcEpoch() {
  if (store_) store_->gc_floor_ms_.store(0);
}

ChunkStore::ChunkStore(Database* db, const StoreOptions& options)
    : db_(db),
      meta_(db->Family(kMetaFamily)),
      index_(db->Family(kChunkIndexFamily)),
      data_(db->Family(kChunkDataFamily)),
      hasher_(options.dedup_key),
      codec_(options.zstd_level, options.encryption_key),
      clock_(options.clock) {}

Result<std::unique_ptr<ChunkStore>> ChunkStore::Open(Database* db, StoreOptions options) {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<ChunkStore> store(new ChunkStore(db, options));
  RETURN_IF_ERROR(store->CheckOrInitMeta(options));
  return store;
}

Status ChunkStore::CheckOrInitMeta(const StoreOptions& options) {
  rocksdb::DB* rdb = db_->db();
  std::string version;
  rocksdb::Status s = rdb->Get(rocksdb::ReadOptions(), meta_, kFormatKey, &version);
  if (s.IsNotFound()) {
    // A new store: record what it is made of.
    rocksdb::WriteBatch batch;
    std::string v(4, '\0');
    EncodeFixed32(reinterpret_cast<uint8_t*>(v.data()), kStoreFormatVersion);
    batch.Put(meta_, kFormatKey, v);
    batch.Put(meta_, kDedupKey, FingerprintString(options.dedup_key));
    if (options.encryption_key) {
      batch.Put(meta_, kEncryptionKey, FingerprintString(*options.encryption_key));
    }
    return db_->Write(&batch, /*sync=*/true);
  }
  if (!s.ok()) return FromRocks("read store format", s);
  const std::string where = "store " + db_->path();
  if (version.size() != 4) return DataLossError(where + ": corrupt format version record");
  uint32_t found = DecodeFixed32(reinterpret_cast<const uint8_t*>(version.data()));
  if (found != kStoreFormatVersion) {
    return FailedPreconditionError(where + " has format version " + std::to_string(found) +
                                   "; this berth reads version " +
                                   std::to_string(kStoreFormatVersion));
  }
  std::string dedup;
  RETURN_IF_ERROR(FromRocks("read dedup fingerprint",
                            rdb->Get(rocksdb::ReadOptions(), meta_, kDedupKey, &dedup)));
  if (dedup != FingerprintString(options.dedup_key)) {
    return FailedPreconditionError(where +
                                   " was created with another dedup key (check the key file)");
  }
  std::string enc;
  s = rdb->Get(rocksdb::ReadOptions(), meta_, kEncryptionKey, &enc);
  if (!s.ok() && !s.IsNotFound()) return FromRocks("read encryption fingerprint", s);
  const bool store_encrypted = s.ok();
  if (store_encrypted && !options.encryption_key) {
    return FailedPreconditionError(where +
                                   " is encrypted at rest: give its encryption key file");
  }
  if (!store_encrypted && options.encryption_key) {
    return FailedPreconditionError(where +
                                   " was created without encryption; it takes no encryption key");
  }
  if (store_encrypted && enc != FingerprintString(*options.encryption_key)) {
    return FailedPreconditionError(where + " was created with another encryption key");
  }
  return Status::Ok();
}

Result<std::optional<ChunkInfo>> ChunkStore::LookupIndex(const ChunkId& id) const {
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), index_, id.key(), &value);
  if (s.IsNotFound()) return std::optional<ChunkInfo>();
  if (!s.ok()) return FromRocks("look up chunk " + id.ShortHex(), s);
  ASSIGN_OR_RETURN(ChunkInfo info, DecodeIndexEntry(id, value));
  return std::optional<ChunkInfo>(info);
}

Result<bool> ChunkStore::Touch(const ChunkInfo& info) {
  std::lock_guard<std::mutex> lock(gc_mu_);
  ASSIGN_OR_RETURN(auto current, LookupIndex(info.id));
  if (!current) return false;
  ChunkInfo touched = *current;
  touched.written_ms = clock_->NowMillis();
  RETURN_IF_ERROR(FromRocks("touch chunk " + info.id.ShortHex(),
                            db_->db()->Put(rocksdb::WriteOptions(), index_, info.id.key(),
                                           EncodeIndexEntry(touched))));
  return true;
}

Result<PutResult> ChunkStore::AddToBatch(rocksdb::WriteBatch* batch, ChunkKind kind,
                                         ByteView plaintext, const ChunkId& id) {
  if (plaintext.size() > kMaxPlaintextSize) {
    return InvalidArgumentError("chunk of " + std::to_string(plaintext.size()) +
                                " bytes is over the record limit");
  }
  ASSIGN_OR_RETURN(auto existing, LookupIndex(id));
  if (existing) {
    const int64_t floor = gc_floor_ms_.load();
    bool still_there = true;
    if (floor > 0 && existing->written_ms < floor) {
      ASSIGN_OR_RETURN(still_there, Touch(*existing));
    }
    if (still_there) return PutResult{id, false, existing->stored_size};
  }
  // The batch copies the record; one scratch buffer per thread saves an allocation per chunk.
  thread_local Bytes record;
  codec_.Encode(id, kind, plaintext, &record);
  ChunkInfo info{id, kind, record[2], static_cast<uint32_t>(plaintext.size()),
                 static_cast<uint32_t>(record.size()), clock_->NowMillis()};
  batch->Put(data_, id.key(), AsChars(record));
  batch->Put(index_, id.key(), EncodeIndexEntry(info));
  return PutResult{id, true, info.stored_size};
}

Result<PutResult> ChunkStore::Put(ChunkKind kind, ByteView plaintext, bool sync) {
  rocksdb::WriteBatch batch;
  ASSIGN_OR_RETURN(PutResult result, AddToBatch(&batch, kind, plaintext, IdOf(plaintext)));
  if (batch.Count() > 0) RETURN_IF_ERROR(db_->Write(&batch, sync));
  return result;
}

Result<std::vector<PutResult>> ChunkStore::PutBatch(std::span<const ChunkInput> chunks,
                                                    bool sync) {
  rocksdb::WriteBatch batch;
  std::vector<PutResult> results;
  results.reserve(chunks.size());
  for (const ChunkInput& chunk : chunks) {
    ASSIGN_OR_RETURN(PutResult r,
                     AddToBatch(&batch, chunk.kind, chunk.plaintext, IdOf(chunk.plaintext)));
    results.push_back(r);
  }
  if (batch.Count() > 0) RETURN_IF_ERROR(db_->Write(&batch, sync));
  return results;
}

Result<Bytes> ChunkStore::GetRecord(const ChunkId& id) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), data_, id.key(), &value);
  if (s.IsNotFound()) return NotFoundError("chunk " + id.ToHex() + " is not in the store");
  if (!s.ok()) return FromRocks("read chunk " + id.ToHex(), s);
  return Bytes(value.data(), value.data() + value.size());
}

Status ChunkStore::Get(const ChunkId& id, Bytes* plaintext, ChunkKind* kind) const {
  rocksdb::PinnableSlice value;
  // The record's own XXH3 (and the id, checked by whoever hashes the plaintext) covers these
  // bytes; RocksDB's CRC32c of the same bytes, computed in software by Debian's build, cost a
  // quarter of the daemon's CPU in a cold read.
  rocksdb::ReadOptions options;
  options.verify_checksums = false;
  rocksdb::Status s = db_->db()->Get(options, data_, id.key(), &value);
  if (s.IsNotFound()) return NotFoundError("chunk " + id.ToHex() + " is not in the store");
  if (!s.ok()) return FromRocks("read chunk " + id.ToHex(), s);
  RecordHeader header;
  ByteView record(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  Status decoded = codec_.Decode(id, record, &header, plaintext);
  if (!decoded.ok()) return decoded.WithContext("chunk " + id.ToHex());
  if (kind) *kind = header.kind;
  return Status::Ok();
}

Result<Bytes> ChunkStore::Get(const ChunkId& id) const {
  Bytes plaintext;
  RETURN_IF_ERROR(Get(id, &plaintext, nullptr));
  return plaintext;
}

Result<bool> ChunkStore::Has(const ChunkId& id) const {
  ASSIGN_OR_RETURN(auto info, LookupIndex(id));
  return info.has_value();
}

Result<ChunkInfo> ChunkStore::Info(const ChunkId& id) const {
  ASSIGN_OR_RETURN(auto info, LookupIndex(id));
  if (!info) return NotFoundError("chunk " + id.ToHex() + " is not in the store");
  return *info;
}

Status ChunkStore::Erase(const ChunkId& id) {
  rocksdb::WriteBatch batch;
  batch.Delete(index_, id.key());
  batch.Delete(data_, id.key());
  return db_->Write(&batch);
}

Status ChunkStore::ScanIndex(const std::optional<ChunkId>& after, size_t limit,
                             std::vector<ChunkInfo>* out) const {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), index_));
  if (after) {
    it->Seek(after->key());
    if (it->Valid() && it->key() == after->key()) it->Next();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid() && out->size() < limit; it->Next()) {
    if (it->key().size() != ChunkId::kSize) {
      return DataLossError("chunk index holds a key of " + std::to_string(it->key().size()) +
                           " bytes");
    }
    ChunkId id = ChunkId::FromBytes(AsBytes(it->key().ToStringView()));
    ASSIGN_OR_RETURN(ChunkInfo info, DecodeIndexEntry(id, it->value().ToStringView()));
    out->push_back(info);
  }
  return FromRocks("scan chunk index", it->status());
}

Result<StoreStats> ChunkStore::Stats() const {
  StoreStats stats;
  std::optional<ChunkId> after;
  std::vector<ChunkInfo> batch;
  do {
    RETURN_IF_ERROR(ScanIndex(after, 4096, &batch));
    for (const ChunkInfo& info : batch) {
      ++stats.chunks;
      ++stats.chunks_by_kind[static_cast<int>(info.kind)];
      stats.plaintext_bytes += info.plaintext_size;
      stats.stored_bytes += info.stored_size;
    }
    if (!batch.empty()) after = batch.back().id;
  } while (batch.size() == 4096);
  for (const char* family : {kMetaFamily, kChunkIndexFamily, kChunkDataFamily}) {
    for (const char* property : {"rocksdb.total-sst-files-size", "rocksdb.total-blob-file-size"}) {
      uint64_t value = 0;
      if (db_->db()->GetIntProperty(db_->Family(family), property, &value)) {
        stats.disk_bytes += value;
      }
    }
  }
  return stats;
}

Result<GcEpoch> ChunkStore::StartGcEpoch() {
  int64_t now = clock_->NowMillis();
  int64_t expected = 0;
  if (!gc_floor_ms_.compare_exchange_strong(expected, now)) {
    return FailedPreconditionError("a garbage collection is running already");
  }
  return GcEpoch(this, now);
}

Result<SweepReport> ChunkStore::Sweep(const ChunkIdSet& marked, const GcEpoch& epoch,
                                      const SweepOptions& options) {
  if (epoch.store_ != this) return InvalidArgumentError("sweep: epoch of another store");
  const int64_t older_than = std::min(epoch.start_ms(), options.older_than_ms);
  const size_t batch_size = std::max<size_t>(options.batch_size, 1);
  SweepReport report;
  std::optional<ChunkId> after;
  std::vector<ChunkInfo> scanned;
  do {
    RETURN_IF_ERROR(ScanIndex(after, batch_size, &scanned));
    report.examined += scanned.size();
    if (!scanned.empty()) after = scanned.back().id;
    std::vector<ChunkId> candidates;
    for (const ChunkInfo& info : scanned) {
      if (info.written_ms < older_than && !marked.contains(info.id)) {
        candidates.push_back(info.id);
      }
    }
    if (candidates.empty()) continue;
    // Re-check under the lock: a Put may have refreshed a candidate since the scan.
    std::lock_guard<std::mutex> lock(gc_mu_);
    rocksdb::WriteBatch batch;
    uint64_t bytes = 0;
    for (const ChunkId& id : candidates) {
      ASSIGN_OR_RETURN(auto info, LookupIndex(id));
      if (!info || info->written_ms >= older_than) continue;
      batch.Delete(index_, id.key());
      batch.Delete(data_, id.key());
      bytes += info->stored_size;
    }
    if (batch.Count() == 0) continue;
    RETURN_IF_ERROR(db_->Write(&batch));
    report.erased += batch.Count() / 2;
    report.erased_bytes += bytes;
  } while (scanned.size() == batch_size);
  // The erased records' blobs stay on disk until a compaction drops their references and moves
  // the live blobs around them; writes leave blob GC off (database.cc), so it happens here.
  if (report.erased > 0) {
    RETURN_IF_ERROR(db_->ReclaimBlobSpace(kChunkDataFamily));
  }
  return report;
}

}  // namespace berth::storage
