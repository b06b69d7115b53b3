#include "storage/verifier.h"

#include <gtest/gtest.h>

#include "storage/internal/index_entry.h"
#include "tests/storage/store_fixture.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;
using berth::testing::TextBytes;

TEST_F(StoreTest, VerifyCleanStore) {
  for (int i = 0; i < 30; ++i) ASSERT_OK(store_->Put(ChunkKind::kData, TextBytes(3000, i)));
  for (bool deep : {false, true}) {
    VerifyOptions options;
    options.deep = deep;
    options.batch_size = 4;
    uint64_t progress_calls = 0;
    options.progress = [&](uint64_t) { ++progress_calls; };
    ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyStore(*store_, options));
    EXPECT_TRUE(report.clean());
    EXPECT_EQ(report.chunks, 30u);
    EXPECT_GT(progress_calls, 5u);
  }
}

TEST_F(StoreTest, VerifyReportsTheCorruptChunkById) {
  std::vector<ChunkId> ids;
  for (int i = 0; i < 10; ++i) {
    auto put = store_->Put(ChunkKind::kData, RandomBytes(2000, i));
    ASSERT_TRUE(put.ok());
    ids.push_back(put->id);
  }
  CorruptRecord(ids[6], 1000);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyStore(*store_));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].id, ids[6]);
  EXPECT_NE(report.problems[0].message.find("checksum"), std::string::npos);
  EXPECT_EQ(report.chunks, 10u);
}

TEST_F(StoreTest, DeepVerifyFindsContentUnderTheWrongId) {
  // A well-formed record whose content is not what its id names: only re-hashing sees it.
  Bytes real = TextBytes(4000, 1), other = TextBytes(4000, 2);
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kData, real));
  Bytes forged;
  store_->codec().Encode(put.id, ChunkKind::kData, other, &forged);
  ChunkInfo info{put.id, ChunkKind::kData, forged[2], static_cast<uint32_t>(other.size()),
                 static_cast<uint32_t>(forged.size()), clock_.NowMillis()};
  ASSERT_TRUE(db_->db()
                  ->Put(rocksdb::WriteOptions(), db_->Family(kChunkDataFamily), put.id.key(),
                        AsChars(forged))
                  .ok());
  ASSERT_TRUE(db_->db()
                  ->Put(rocksdb::WriteOptions(), db_->Family(kChunkIndexFamily), put.id.key(),
                        internal::EncodeIndexEntry(info))
                  .ok());
  ASSERT_OK_AND_ASSIGN(VerifyReport fast, VerifyStore(*store_));
  EXPECT_TRUE(fast.clean());  // well-formed and consistent: the fast check cannot tell
  VerifyOptions deep;
  deep.deep = true;
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyStore(*store_, deep));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].id, put.id);
  EXPECT_EQ(report.problems[0].message, "content does not hash to its id");
}

TEST_F(StoreTest, VerifyFindsAnIndexEntryWithoutRecord) {
  ASSERT_OK_AND_ASSIGN(PutResult put, store_->Put(ChunkKind::kData, TextBytes(100, 3)));
  ASSERT_TRUE(
      db_->db()->Delete(rocksdb::WriteOptions(), db_->Family(kChunkDataFamily), put.id.key()).ok());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyStore(*store_));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].message, "index entry has no record");
}

}  // namespace
}  // namespace berth::storage
