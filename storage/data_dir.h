#ifndef BERTH_STORAGE_DATA_DIR_H_
#define BERTH_STORAGE_DATA_DIR_H_

#include <memory>
#include <string>

#include "base/status.h"
#include "storage/chunk_store.h"
#include "storage/database.h"

namespace berth::storage {

struct DataDirOptions {
  // Path of the at-rest encryption key file (64 hex digits). Empty: no encryption. A store
  // created with a key needs it on every open. Default: empty.
  std::string encryption_key_file;
  // Path of the dedup key file. Empty: <data dir>/keys/dedup.key, generated when the store is
  // created. Nodes of one cluster share this key. Default: empty.
  std::string dedup_key_file;
  // Create the directory and store if missing. Default: true.
  bool create = true;
  int zstd_level = 3;
  DatabaseOptions database;
  Clock* clock = Clock::Real();
};

// A node's data directory:
//   <dir>/db/              the RocksDB database (chunks, and later the live trees)
//   <dir>/keys/dedup.key   the dedup key, mode 0600
// Owns the database and the chunk store over it. Thread-safe as its parts are.
class DataDir {
 public:
  static Result<std::unique_ptr<DataDir>> Open(const std::string& path,
                                               const DataDirOptions& options);
  ~DataDir();

  Database& database() { return *database_; }
  ChunkStore& chunks() { return *chunks_; }
  const std::string& path() const { return path_; }
  // Closes the store and the database, reporting errors.
  Status Close();

 private:
  DataDir() = default;
  std::string path_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<ChunkStore> chunks_;  // destroyed before database_
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_DATA_DIR_H_
