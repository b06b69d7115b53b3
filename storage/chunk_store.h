#ifndef BERTH_STORAGE_CHUNK_STORE_H_
#define BERTH_STORAGE_CHUNK_STORE_H_

#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "storage/chunk_id.h"
#include "storage/database.h"
#include "storage/record.h"
#include "storage/secret_key.h"

namespace berth::storage {

// The store's layout version, kept in the meta family; a store of another version is refused.
inline constexpr uint32_t kStoreFormatVersion = 1;

struct StoreOptions {
  // Keys chunk ids (ChunkHasher). Every node of a cluster must use the same one, or nothing
  // deduplicates across them. A store refuses to open under another key.
  SecretKey dedup_key;
  // When set, new records are encrypted at rest with XChaCha20-Poly1305 under this key. A store
  // created with a key must be opened with the same key; one created without, without.
  std::optional<SecretKey> encryption_key;
  // zstd level for new records, 1..19. Default: 3.
  int zstd_level = 3;
  // Time source for chunk write times (sweep's age test). Default: the real clock. Not owned.
  Clock* clock = Clock::Real();

  Status Validate() const;
};

// What the index knows of a stored chunk, without reading its bytes.
struct ChunkInfo {
  ChunkId id;
  ChunkKind kind = ChunkKind::kData;
  uint8_t flags = 0;  // the record's kFlagCompressed / kFlagEncrypted
  uint32_t plaintext_size = 0;
  uint32_t stored_size = 0;  // the record's size on disk
  int64_t written_ms = 0;    // when it was stored (or last re-put during a GC epoch)
};

struct PutResult {
  ChunkId id;
  bool added = false;  // false: the store held it already (deduplicated)
  uint32_t stored_size = 0;
};

struct ChunkInput {
  ChunkKind kind = ChunkKind::kData;
  ByteView plaintext;
};

struct StoreStats {
  uint64_t chunks = 0;
  uint64_t chunks_by_kind[4] = {0, 0, 0, 0};  // indexed by ChunkKind
  uint64_t plaintext_bytes = 0;
  uint64_t stored_bytes = 0;  // sum of record sizes
  uint64_t disk_bytes = 0;    // SST and blob files of the whole database, as RocksDB reports them
};

struct SweepOptions {
  // Chunks examined per batch; each batch is a fresh read and one WriteBatch, so sweep runs
  // beside normal traffic. Default: 1024.
  size_t batch_size = 1024;
  // Only chunks written before this time (ms since the epoch) may go; the GC epoch's start is
  // always a bound too. Default: no further bound.
  int64_t older_than_ms = INT64_MAX;
};

struct SweepReport {
  uint64_t examined = 0;
  uint64_t erased = 0;
  uint64_t erased_bytes = 0;  // stored bytes of the erased records
};

class ChunkStore;

// A garbage collection in progress. While it lives, a Put of a chunk that is already stored but
// older than the epoch refreshes its write time, so a chunk that gains a reference after marking
// began is never swept. At most one per store at a time. Move-only.
class GcEpoch {
 public:
  GcEpoch(GcEpoch&& other) noexcept;
  GcEpoch& operator=(GcEpoch&&) = delete;
  ~GcEpoch();
  int64_t start_ms() const { return start_ms_; }

 private:
  friend class ChunkStore;
  GcEpoch(ChunkStore* store, int64_t start_ms) : store_(store), start_ms_(start_ms) {}
  ChunkStore* store_;
  int64_t start_ms_;
};

// The content-addressed, deduplicating, compressed (optionally encrypted) chunk store.
//
// Each chunk is two RocksDB entries written in one batch: its index entry (chunk_index, small,
// bloom-filtered: has() and stats never read chunk bytes) and its record (chunk_data, in blob
// files). get() returns the plaintext or an error, never bytes that fail their checksum.
// Thread-safe.
class ChunkStore {
 public:
  // `db` is borrowed and must outlive the store. Initialises an empty store; refuses a store of
  // another format version, dedup key or encryption setting with a FailedPrecondition that says
  // which.
  static Result<std::unique_ptr<ChunkStore>> Open(Database* db, StoreOptions options);
  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;

  ChunkId IdOf(ByteView plaintext) const { return hasher_.Hash(plaintext); }

  // Stores one chunk (one atomic write). sync: wait for the WAL to reach the disk.
  Result<PutResult> Put(ChunkKind kind, ByteView plaintext, bool sync = false);
  // Stores several chunks in one atomic write: after a crash all are there or none.
  Result<std::vector<PutResult>> PutBatch(std::span<const ChunkInput> chunks, bool sync = false);
  // Adds the chunk to `batch` unless it is stored already; the caller writes the batch with
  // Database::Write, together with whatever references the chunk, so no reference can exist
  // without its chunk. `id` must be IdOf(plaintext).
  Result<PutResult> AddToBatch(rocksdb::WriteBatch* batch, ChunkKind kind, ByteView plaintext,
                               const ChunkId& id);

  // The plaintext. NotFound if absent; DataLoss if the record is corrupt.
  Result<Bytes> Get(const ChunkId& id) const;
  Status Get(const ChunkId& id, Bytes* plaintext, ChunkKind* kind) const;
  Result<bool> Has(const ChunkId& id) const;
  // NotFound if absent.
  Result<ChunkInfo> Info(const ChunkId& id) const;
  // The stored record, unchecked (verify, replication).
  Result<Bytes> GetRecord(const ChunkId& id) const;
  // Removes a chunk; absent ids are fine. The caller answers for references to it.
  Status Erase(const ChunkId& id);

  // Up to `limit` index entries in id order, starting after `after` (or at the first).
  Status ScanIndex(const std::optional<ChunkId>& after, size_t limit,
                   std::vector<ChunkInfo>* out) const;
  Result<StoreStats> Stats() const;

  // FailedPrecondition if an epoch is running already.
  Result<GcEpoch> StartGcEpoch();
  // Erases every chunk that is not in `marked` and was written before the epoch began (and
  // before options.older_than_ms), in bounded batches, online; then, if it erased any, gives
  // their blob files' space back (Database::ReclaimBlobSpace).
  Result<SweepReport> Sweep(const ChunkIdSet& marked, const GcEpoch& epoch,
                            const SweepOptions& options = {});

  Database* database() const { return db_; }
  const RecordCodec& codec() const { return codec_; }
  const ChunkHasher& hasher() const { return hasher_; }

 private:
  friend class GcEpoch;
  ChunkStore(Database* db, const StoreOptions& options);
  Status CheckOrInitMeta(const StoreOptions& options);
  Result<std::optional<ChunkInfo>> LookupIndex(const ChunkId& id) const;
  // The chunk is stored but older than the running GC epoch: refresh its time under gc_mu_.
  // Returns false if sweep took it meanwhile.
  Result<bool> Touch(const ChunkInfo& info);

  Database* const db_;
  rocksdb::ColumnFamilyHandle* const meta_;
  rocksdb::ColumnFamilyHandle* const index_;
  rocksdb::ColumnFamilyHandle* const data_;
  const ChunkHasher hasher_;
  const RecordCodec codec_;
  Clock* const clock_;

  // Serialises Touch against sweep's re-check-and-delete. Lock order: leaf.
  std::mutex gc_mu_;
  // Start of the running GC epoch in ms, or 0.
  std::atomic<int64_t> gc_floor_ms_{0};
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_CHUNK_STORE_H_
