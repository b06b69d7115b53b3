#include "storage/database.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/metadata.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/file.h"
#include "storage/internal/rocks_crc32c.h"
#include "storage/internal/rocks_logger.h"
#include "storage/internal/rocks_status.h"

namespace berth::storage {

using internal::FromRocks;

namespace {

rocksdb::ColumnFamilyOptions FamilyOptions(const std::string& name,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks live in the block cache, so their memory is bounded. Whole-file
  // ones (about 1.25 MB of filter per million keys) do not survive there once the database
  // outgrows the cache: every Get then read a whole filter block back and checksummed it
  // (profiled at 1M files). Partitioned, a lookup loads one 4 KiB partition of each; the small
  // top levels stay pinned, and index and filter blocks are cached at high priority, so data
  // blocks evict them last.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (name == kChunkDataFamily) {
    // Records are compressed and checksummed already: store them once, in blob files.
    cf.compression = rocksdb::kNoCompression;
    cf.enable_blob_files = true;
    cf.min_blob_size = 4096;  // smaller records sit inline: a blob costs ~60 bytes of overhead
    cf.blob_file_size = 256u << 20;
    cf.blob_compression_type = rocksdb::kNoCompression;
    // No blob GC while writing: with it, every compaction moved the live blobs of the oldest
    // quarter of the blob files to new ones (23% of the daemon's CPU samples in a 1 GiB write),
    // although chunk records are never overwritten and only a sweep makes garbage.
    // ReclaimBlobSpace collects it after a sweep.
    cf.enable_blob_garbage_collection = false;
    cf.write_buffer_size = 32u << 20;
    cf.max_write_buffer_number = 3;  // ingest outruns one flush thread with only two
  } else {
    // Most has(id) lookups during ingest miss; a memtable bloom filter answers them without
    // walking the skip list.
    cf.memtable_prefix_bloom_size_ratio = 0.05;
    cf.memtable_whole_key_filtering = true;
    // Metadata (inodes, entries, extents, the index) is small beside the chunks; zstd's blocks
    // are 20-30% smaller than LZ4's (kernel tree: 16.4 -> 13.1 MB) at no CPU cost that an
    // import of the tree could resolve. Blocks written with LZ4 stay readable.
    cf.compression = rocksdb::kZSTD;
    cf.write_buffer_size = 16u << 20;
  }
  return cf;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const DatabaseOptions& options) {
  // RocksDB logs an error when a new database's directory does not exist yet; make it first.
  if (options.create_if_missing) RETURN_IF_ERROR(MakeDirs(path, 0700));
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity = options.block_cache_bytes;
  // Half the cache for index and filter blocks (high priority), which every lookup needs.
  cache_options.high_pri_pool_ratio = 0.5;
  auto cache = rocksdb::NewLRUCache(cache_options);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  db_options.bytes_per_sync = 1u << 20;
  // Chunk records live in blob files that a cold sequential read walks in order: with RocksDB's
  // default (POSIX_FADV_RANDOM on every file it opens) the kernel's readahead never helps it.
  db_options.advise_random_on_open = false;
  db_options.keep_log_file_num = 4;
  // A family that rarely changes (meta) would otherwise pin every WAL file since its last
  // flush; past this size RocksDB flushes the families holding the oldest WAL back.
  db_options.max_total_wal_size = 256u << 20;
  if (options.env) db_options.env = options.env;
  db_options.info_log = std::make_shared<internal::SpdlogRocksLogger>();
  spdlog::debug("RocksDB's CRC32c: {}", internal::RocksCrc32cImplementation());

  // Every family that exists must be opened; add ours and the caller's.
  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
  if (!listed.ok()) {
    if (!options.create_if_missing) return FromRocks("open database " + path, listed);
    names = {rocksdb::kDefaultColumnFamilyName};
  }
  for (const std::string& wanted : {std::string(kMetaFamily), std::string(kChunkIndexFamily),
                                    std::string(kChunkDataFamily)}) {
    if (std::find(names.begin(), names.end(), wanted) == names.end()) names.push_back(wanted);
  }
  for (const std::string& wanted : options.extra_families) {
    if (std::find(names.begin(), names.end(), wanted) == names.end()) names.push_back(wanted);
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, FamilyOptions(name, cache));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks("open database " + path, s);

  std::unique_ptr<Database> database(new Database());
  database->path_ = path;
  database->db_.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) database->families_[names[i]] = handles[i];
  return database;
}

Database::~Database() { Close().IgnoreError(); }

rocksdb::ColumnFamilyHandle* Database::Family(const std::string& name) const {
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second;
}

Status Database::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return FromRocks("write batch", db_->Write(options, batch));
}

Status Database::Flush() {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (auto& [name, handle] : families_) handles.push_back(handle);
  return FromRocks("flush " + path_, db_->Flush(rocksdb::FlushOptions(), handles));
}

Status Database::SyncWal() { return FromRocks("sync WAL", db_->SyncWAL()); }

Status Database::CompactRange(const std::string& family, const std::string& begin,
                              const std::string& end) {
  rocksdb::ColumnFamilyHandle* handle = Family(family);
  if (handle == nullptr) return InvalidArgumentError("no column family " + family);
  rocksdb::CompactRangeOptions options;
  options.exclusive_manual_compaction = false;
  // Tombstones already in the last level (kept there while a snapshot needed them) go too; files
  // this compaction itself wrote are not compacted twice.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  const rocksdb::Slice from(begin), to(end);
  return FromRocks("compact " + family, db_->CompactRange(options, handle, &from, &to));
}

Status Database::ReclaimBlobSpace(const std::string& family) {
  rocksdb::ColumnFamilyHandle* handle = Family(family);
  if (handle == nullptr) return InvalidArgumentError("no column family " + family);
  rocksdb::CompactRangeOptions options;
  options.exclusive_manual_compaction = false;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  // First without GC: the deleted references go, blob files left without a live blob are
  // deleted, and every blob file's garbage is counted.
  RETURN_IF_ERROR(
      FromRocks("compact " + family, db_->CompactRange(options, handle, nullptr, nullptr)));
  // RocksDB relocates the live blobs of the oldest files only (a prefix by file number, as a
  // fraction of the files). Take the longest prefix that is at least half garbage: at most one
  // byte moved per byte given back.
  rocksdb::ColumnFamilyMetaData meta;
  db_->GetColumnFamilyMetaData(handle, &meta);
  std::vector<rocksdb::BlobMetaData>& files = meta.blob_files;
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.blob_file_number < b.blob_file_number; });
  size_t prefix = 0;
  uint64_t total = 0, garbage = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    total += files[i].total_blob_bytes;
    garbage += files[i].garbage_blob_bytes;
    if (garbage > 0 && 2 * garbage >= total) prefix = i + 1;
  }
  if (prefix == 0) return Status::Ok();
  // RocksDB takes the files whose index is below cutoff * count.
  const double cutoff = std::min(1.0, (static_cast<double>(prefix) + 0.5) / files.size());
  RETURN_IF_ERROR(FromRocks(
      "enable blob GC of " + family,
      db_->SetOptions(handle, {{"enable_blob_garbage_collection", "true"},
                               {"blob_garbage_collection_age_cutoff", std::to_string(cutoff)}})));
  Status compacted =
      FromRocks("compact " + family, db_->CompactRange(options, handle, nullptr, nullptr));
  Status disabled =
      FromRocks("disable blob GC of " + family,
                db_->SetOptions(handle, {{"enable_blob_garbage_collection", "false"}}));
  RETURN_IF_ERROR(compacted);
  return disabled;
}

Status Database::Close() {
  if (!db_) return Status::Ok();
  Status result;
  // Flush memtables so the data sits in SST and blob files rather than only in the WAL: a closed
  // store's size on disk is then its real size, and the next open replays nothing.
  result = Flush();
  for (auto& [name, handle] : families_) {
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    if (!s.ok() && result.ok()) result = FromRocks("close family " + name, s);
  }
  families_.clear();
  rocksdb::Status s = db_->Close();
  if (!s.ok() && result.ok()) result = FromRocks("close database " + path_, s);
  db_.reset();
  return result;
}

}  // namespace berth::storage
