#ifndef BERTH_TESTS_STORAGE_STORE_FIXTURE_H_
#define BERTH_TESTS_STORAGE_STORE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>

#include "storage/chunk_store.h"
#include "storage/database.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {

// A real RocksDB chunk store in a temporary directory, reopenable with other options.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(Reopen()); }
  void TearDown() override { Close(); }

  Status Reopen() { return Reopen(options_); }
  Status Reopen(const StoreOptions& options) {
    Close();
    ASSIGN_OR_RETURN(db_, Database::Open(dir_.Sub("db"), DatabaseOptions{}));
    auto store = ChunkStore::Open(db_.get(), options);
    if (!store.ok()) {
      db_.reset();
      return store.status();
    }
    store_ = std::move(store).value();
    return Status::Ok();
  }
  void Close() {
    store_.reset();
    db_.reset();
  }
  // Overwrites a chunk's record behind the store's back, as disk corruption would.
  void CorruptRecord(const ChunkId& id, size_t byte) {
    auto record = store_->GetRecord(id);
    ASSERT_TRUE(record.ok());
    Bytes bad = *record;
    bad[byte % bad.size()] ^= 0x01;
    ASSERT_TRUE(db_->db()
                    ->Put(rocksdb::WriteOptions(), db_->Family(kChunkDataFamily), id.key(),
                          AsChars(bad))
                    .ok());
  }

  berth::testing::TempDir dir_;
  ManualClock clock_;
  StoreOptions options_ = [this] {
    StoreOptions o;
    o.dedup_key = SecretKey::Generate();
    o.clock = &clock_;
    return o;
  }();
  std::unique_ptr<Database> db_;
  std::unique_ptr<ChunkStore> store_;
};

}  // namespace berth::storage

#endif  // BERTH_TESTS_STORAGE_STORE_FIXTURE_H_
