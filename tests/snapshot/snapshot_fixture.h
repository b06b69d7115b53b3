#ifndef BERTH_TESTS_SNAPSHOT_SNAPSHOT_FIXTURE_H_
#define BERTH_TESTS_SNAPSHOT_SNAPSHOT_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>

#include "snapshot/snapshot_store.h"
#include "storage/chunk_store.h"
#include "storage/database.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::snapshot {

// A real RocksDB with a chunk store and the snapshot family, in a temporary directory.
class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions db_options;
    db_options.extra_families = SnapshotFamilies();
    ASSERT_OK_AND_ASSIGN(db_, storage::Database::Open(dir_.Sub("db"), db_options));
    storage::StoreOptions options;
    options.dedup_key = storage::SecretKey::Generate();
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(chunks_, storage::ChunkStore::Open(db_.get(), options));
    ASSERT_OK_AND_ASSIGN(snapshots_, SnapshotStore::Open(chunks_.get()));
  }
  void TearDown() override {
    snapshots_.reset();
    chunks_.reset();
    db_.reset();
  }

  berth::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::ChunkStore> chunks_;
  std::unique_ptr<SnapshotStore> snapshots_;
};

}  // namespace berth::snapshot

#endif  // BERTH_TESTS_SNAPSHOT_SNAPSHOT_FIXTURE_H_
