#include "storage/chunk_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "base/coding.h"
#include "tests/storage/store_fixture.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;
using berth::testing::StatusIs;
using berth::testing::StatusMessageHas;
using berth::testing::TextBytes;

TEST_F(StoreTest, PutThenGetReturnsTheBytes) {
  Bytes data = TextBytes(70000, 1);
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kData, data));
  EXPECT_TRUE(put.added);
  EXPECT_EQ(put.id, store_->IdOf(data));
  ASSERT_OK_AND_ASSIGN(Bytes back, store_->Get(put.id));
  EXPECT_EQ(back, data);
  ASSERT_OK_AND_ASSIGN(bool has, store_->Has(put.id));
  EXPECT_TRUE(has);
  ASSERT_OK_AND_ASSIGN(ChunkInfo info, store_->Info(put.id));
  EXPECT_EQ(info.plaintext_size, data.size());
  EXPECT_EQ(info.stored_size, put.stored_size);
  EXPECT_LT(info.stored_size, data.size());  // compressed
}

TEST_F(StoreTest, DeduplicatesIdenticalChunks) {
  Bytes data = RandomBytes(50000, 2);
  ASSERT_OK_AND_ASSIGN(PutResult first, store_->Put(ChunkKind::kData, data));
  ASSERT_OK_AND_ASSIGN(PutResult second, store_->Put(ChunkKind::kData, data));
  EXPECT_TRUE(first.added);
  EXPECT_FALSE(second.added);
  EXPECT_EQ(first.id, second.id);
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.chunks, 1u);
  EXPECT_EQ(stats.plaintext_bytes, data.size());
}

TEST_F(StoreTest, MissingChunkIsNotFound) {
  ChunkId id = store_->IdOf(AsBytes("never stored"));
  EXPECT_THAT(store_->Get(id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->Info(id), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(bool has, store_->Has(id));
  EXPECT_FALSE(has);
}

TEST_F(StoreTest, EraseRemovesBothEntries) {
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kTree, TextBytes(100, 3)));
  ASSERT_OK(store_->Erase(put.id));
  EXPECT_THAT(store_->Get(put.id), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.chunks, 0u);
  ASSERT_OK(store_->Erase(put.id));  // erasing again is fine
}

TEST_F(StoreTest, KindsAreKept) {
  ASSERT_OK_AND_ASSIGN(PutResult tree, store_->Put(ChunkKind::kTree, TextBytes(100, 4)));
  ASSERT_OK_AND_ASSIGN(PutResult list, store_->Put(ChunkKind::kList, TextBytes(100, 5)));
  Bytes out;
  ChunkKind kind;
  ASSERT_OK(store_->Get(tree.id, &out, &kind));
  EXPECT_EQ(kind, ChunkKind::kTree);
  ASSERT_OK(store_->Get(list.id, &out, &kind));
  EXPECT_EQ(kind, ChunkKind::kList);
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.chunks_by_kind[static_cast<int>(ChunkKind::kTree)], 1u);
  EXPECT_EQ(stats.chunks_by_kind[static_cast<int>(ChunkKind::kList)], 1u);
}

TEST_F(StoreTest, PutBatchStoresAllAndSurvivesReopen) {
  std::vector<Bytes> payloads;
  for (int i = 0; i < 50; ++i) payloads.push_back(TextBytes(1000 + i * 100, 100 + i));
  std::vector<ChunkInput> inputs;
  for (const Bytes& p : payloads) inputs.push_back({ChunkKind::kData, p});
  ASSERT_OK_AND_ASSIGN(auto results, store_->PutBatch(inputs, /*sync=*/true));
  ASSERT_EQ(results.size(), payloads.size());
  ASSERT_OK(Reopen());
  for (size_t i = 0; i < payloads.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes back, store_->Get(results[i].id));
    EXPECT_EQ(back, payloads[i]);
  }
}

TEST_F(StoreTest, AddToBatchIsInvisibleUntilWritten) {
  rocksdb::WriteBatch batch;
  Bytes data = TextBytes(500, 6);
  ChunkId id = store_->IdOf(data);
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->AddToBatch(&batch, ChunkKind::kData, data, id));
  EXPECT_TRUE(put.added);
  ASSERT_OK_AND_ASSIGN(bool before, store_->Has(id));
  EXPECT_FALSE(before);
  ASSERT_OK(db_->Write(&batch));
  ASSERT_OK_AND_ASSIGN(bool after, store_->Has(id));
  EXPECT_TRUE(after);
}

TEST_F(StoreTest, FlippedByteIsCorruptionNeverWrongBytes) {
  Bytes data = TextBytes(20000, 7);
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kData, data));
  CorruptRecord(put.id, 40);
  auto got = store_->Get(put.id);
  EXPECT_THAT(got, StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(got, StatusMessageHas(put.id.ToHex()));
  EXPECT_EQ(got.status().ToErrno(), EIO);
}

TEST_F(StoreTest, ReopensWithTheSameKeys) {
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kData, TextBytes(100, 8)));
  ASSERT_OK(Reopen());
  ASSERT_OK_AND_ASSIGN(bool has, store_->Has(put.id));
  EXPECT_TRUE(has);
}

TEST_F(StoreTest, RefusesAnotherDedupKey) {
  StoreOptions other = options_;
  other.dedup_key = SecretKey::Generate();
  Status s = Reopen(other);
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(s, StatusMessageHas("another dedup key"));
}

TEST_F(StoreTest, PlainStoreRefusesAnEncryptionKey) {
  StoreOptions encrypted = options_;
  encrypted.encryption_key = SecretKey::Generate();
  EXPECT_THAT(Reopen(encrypted), StatusMessageHas("created without encryption"));
}

TEST_F(StoreTest, EncryptedStoreNeedsItsKey) {
  Close();
  std::filesystem::remove_all(dir_.Sub("db"));  // start over with an encrypted store
  StoreOptions encrypted = options_;
  encrypted.encryption_key = SecretKey::Generate();
  ASSERT_OK(Reopen(encrypted));
  Bytes data = TextBytes(3000, 9);
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kData, data));
  ASSERT_OK_AND_ASSIGN(Bytes record, store_->GetRecord(put.id));
  EXPECT_TRUE(record[2] & kFlagEncrypted);

  EXPECT_THAT(Reopen(options_), StatusMessageHas("is encrypted at rest"));
  StoreOptions wrong = encrypted;
  wrong.encryption_key = SecretKey::Generate();
  EXPECT_THAT(Reopen(wrong), StatusMessageHas("another encryption key"));
  ASSERT_OK(Reopen(encrypted));
  ASSERT_OK_AND_ASSIGN(Bytes back, store_->Get(put.id));
  EXPECT_EQ(back, data);
}

TEST_F(StoreTest, RefusesUnknownFormatVersion) {
  std::string v(4, '\0');
  EncodeFixed32(reinterpret_cast<uint8_t*>(v.data()), 99);
  ASSERT_TRUE(db_->db()->Put(rocksdb::WriteOptions(), db_->Family(kMetaFamily), "format_version", v)
                  .ok());
  Status s = Reopen();
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(s, StatusMessageHas("format version 99"));
}

TEST_F(StoreTest, RejectsBadOptions) {
  StoreOptions bad = options_;
  bad.zstd_level = 0;
  EXPECT_THAT(Reopen(bad), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(StoreTest, ConcurrentPutsAndGets) {
  constexpr int kThreads = 6, kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Half the payloads are shared between threads, so puts of one id race.
        uint64_t seed = (i % 2 == 0) ? static_cast<uint64_t>(i) : 1000 * (t + 1) + i;
        Bytes data = TextBytes(2000 + (seed % 5000), seed);
        auto put = store_->Put(ChunkKind::kData, data);
        if (!put.ok()) {
          ++failures;
          continue;
        }
        auto back = store_->Get(put->id);
        if (!back.ok() || *back != data) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.chunks, static_cast<uint64_t>(kPerThread / 2 + kThreads * kPerThread / 2));
}

}  // namespace
}  // namespace berth::storage
