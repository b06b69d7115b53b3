#ifndef BERTH_STORAGE_DATABASE_H_
#define BERTH_STORAGE_DATABASE_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace berth::storage {

// Column families the chunk store owns.
inline constexpr char kMetaFamily[] = "meta";           // store format and key fingerprints
inline constexpr char kChunkIndexFamily[] = "chunk_index";  // id -> ChunkIndexEntry (small)
inline constexpr char kChunkDataFamily[] = "chunk_data";    // id -> record (blob files)

struct DatabaseOptions {
  // Column families other modules keep in the same database (fs/ its inodes, dentries and
  // extents), created when missing, so that one WriteBatch spans them and the chunks.
  std::vector<std::string> extra_families;
  // Shared LRU block cache of every family: data, index and filter blocks, the latter at high
  // priority (up to half of it, evicted after the data blocks). Default: 32 MiB.
  size_t block_cache_bytes = 32u << 20;
  // All memtables of all families together stay under this; past it RocksDB flushes. Bounds the
  // daemon's memory under heavy writes. Default: 64 MiB.
  size_t write_buffer_bytes = 64u << 20;
  // Create the database when the directory holds none. Default: true.
  bool create_if_missing = true;
  // For fault injection in tests; null means the default environment.
  rocksdb::Env* env = nullptr;
};

// One RocksDB database per node with its column families. Chunk data lives in blob files (no
// RocksDB compression: records are compressed already; ReclaimBlobSpace reclaims swept space);
// every family has bloom filters, so has(id) is usually answered without touching disk.
// Thread-safe, like rocksdb::DB.
class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  // The handle of a family this database was opened with; null if unknown.
  rocksdb::ColumnFamilyHandle* Family(const std::string& name) const;

  // Applies the batch atomically: after a crash either all of it is visible or none.
  // sync: wait for the WAL to reach the disk (fsync) before returning.
  Status Write(rocksdb::WriteBatch* batch, bool sync = false);
  // Writes every family's memtable out to SST and blob files and waits for it.
  Status Flush();
  // Forces the WAL to disk: what was written before survives power loss.
  Status SyncWal();
  // Compacts the keys from `begin` to `end` of `family` down to its last level, memtable
  // included, and waits for it: deleted keys and the tombstones that hid them are dropped,
  // unless a snapshot older than a tombstone still sees its key. For a range of many deletions
  // that iterators would otherwise step over one by one until compaction gets there by itself.
  // Runs beside automatic compactions (not exclusive). InvalidArgument for an unknown family.
  Status CompactRange(const std::string& family, const std::string& begin, const std::string& end);
  // Gives back the space of deleted blobs of `family` (a family with blob files), which writes
  // leave alone (no blob GC during compactions): compacts all its keys, so the deleted
  // references go and blob files left without a live blob are deleted; then, if the oldest blob
  // files hold enough garbage, compacts again with blob GC on for the duration, moving the live
  // blobs of the longest run of oldest files that is at least half garbage into new files (at
  // most one byte moved per byte given back). Waits for the compactions; they run beside
  // automatic ones. InvalidArgument for an unknown family. Callers take turns (the chunk
  // store's GC epoch).
  Status ReclaimBlobSpace(const std::string& family);
  // Flushes memtables, then closes. Errors on the way are returned; the destructor closes too.
  Status Close();

  const std::string& path() const { return path_; }

 private:
  Database() = default;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  // Destroyed before db_.
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_DATABASE_H_
