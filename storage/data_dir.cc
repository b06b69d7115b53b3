#include "storage/data_dir.h"

#include <sodium.h>

#include "base/file.h"

namespace berth::storage {

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& path,
                                               const DataDirOptions& options) {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  const std::string db_path = path + "/db";
  const bool exists = PathExists(db_path + "/CURRENT");
  if (!exists && !options.create) return NotFoundError("no berth store in " + path);
  if (!exists) RETURN_IF_ERROR(MakeDirs(path + "/keys", 0700));

  StoreOptions store_options;
  store_options.zstd_level = options.zstd_level;
  store_options.clock = options.clock;

  const std::string dedup_file =
      options.dedup_key_file.empty() ? path + "/keys/dedup.key" : options.dedup_key_file;
  if (PathExists(dedup_file)) {
    ASSIGN_OR_RETURN(store_options.dedup_key, SecretKey::LoadFile(dedup_file));
  } else if (!exists) {
    store_options.dedup_key = SecretKey::Generate();
    RETURN_IF_ERROR(store_options.dedup_key.SaveFile(dedup_file));
  } else {
    return FailedPreconditionError("dedup key file " + dedup_file + " is missing; the store in " +
                                   path + " cannot be read without it");
  }
  if (!options.encryption_key_file.empty()) {
    ASSIGN_OR_RETURN(store_options.encryption_key,
                     SecretKey::LoadFile(options.encryption_key_file));
  }

  std::unique_ptr<DataDir> dir(new DataDir());
  dir->path_ = path;
  ASSIGN_OR_RETURN(dir->database_, Database::Open(db_path, options.database));
  ASSIGN_OR_RETURN(dir->chunks_, ChunkStore::Open(dir->database_.get(), store_options));
  return dir;
}

DataDir::~DataDir() { Close().IgnoreError(); }

Status DataDir::Close() {
  chunks_.reset();
  if (!database_) return Status::Ok();
  Status s = database_->Close();
  database_.reset();
  return s;
}

}  // namespace berth::storage
