#include <gtest/gtest.h>

#include "storage/chunk_store.h"
#include "tests/storage/store_fixture.h"

namespace berth::storage {
namespace {

using berth::testing::StatusIs;
using berth::testing::TextBytes;

class SweepTest : public StoreTest {
 protected:
  ChunkId PutText(uint64_t seed) {
    auto put = store_->Put(ChunkKind::kData, TextBytes(1000 + seed, seed));
    EXPECT_TRUE(put.ok());
    return put->id;
  }
  bool Has(const ChunkId& id) {
    auto has = store_->Has(id);
    EXPECT_TRUE(has.ok());
    return has.ok() && *has;
  }
};

TEST_F(SweepTest, ErasesUnmarkedKeepsMarked) {
  std::vector<ChunkId> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(PutText(i));
  clock_.AdvanceMillis(1000);
  ChunkIdSet marked(ids.begin(), ids.begin() + 40);
  ASSERT_OK_AND_ASSIGN(GcEpoch epoch, store_->StartGcEpoch());
  SweepOptions options;
  options.batch_size = 7;  // many small batches
  ASSERT_OK_AND_ASSIGN(SweepReport report, store_->Sweep(marked, epoch, options));
  EXPECT_EQ(report.examined, 100u);
  EXPECT_EQ(report.erased, 60u);
  EXPECT_GT(report.erased_bytes, 0u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Has(ids[i]), i < 40) << i;
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.chunks, 40u);
}

TEST_F(SweepTest, KeepsChunksWrittenAfterTheEpochBegan) {
  ChunkId old_chunk = PutText(1);
  clock_.AdvanceMillis(1000);
  ASSERT_OK_AND_ASSIGN(GcEpoch epoch, store_->StartGcEpoch());
  clock_.AdvanceMillis(1000);
  ChunkId new_chunk = PutText(2);  // not marked: marking did not know it yet
  ASSERT_OK_AND_ASSIGN(SweepReport report, store_->Sweep(ChunkIdSet{}, epoch));
  EXPECT_EQ(report.erased, 1u);
  EXPECT_FALSE(Has(old_chunk));
  EXPECT_TRUE(Has(new_chunk));
}

TEST_F(SweepTest, ReputDuringEpochProtectsAnOldChunk) {
  Bytes data = TextBytes(5000, 3);
  ASSERT_OK_AND_ASSIGN(PutResult first, store_->Put(ChunkKind::kData, data));
  clock_.AdvanceMillis(1000);
  ASSERT_OK_AND_ASSIGN(GcEpoch epoch, store_->StartGcEpoch());
  // Marking found no reference to the chunk; then a writer stores the same bytes again and
  // references the existing chunk. Sweep must not take it.
  ASSERT_OK_AND_ASSIGN(PutResult again, store_->Put(ChunkKind::kData, data));
  EXPECT_FALSE(again.added);
  ASSERT_OK_AND_ASSIGN(SweepReport report, store_->Sweep(ChunkIdSet{}, epoch));
  EXPECT_EQ(report.erased, 0u);
  EXPECT_TRUE(Has(first.id));
}

TEST_F(SweepTest, OlderThanBoundsWhatGoes) {
  ChunkId a = PutText(1);
  clock_.AdvanceMillis(10'000);
  const int64_t cutoff = clock_.NowMillis();
  clock_.AdvanceMillis(10'000);
  ChunkId b = PutText(2);
  clock_.AdvanceMillis(10'000);
  ASSERT_OK_AND_ASSIGN(GcEpoch epoch, store_->StartGcEpoch());
  SweepOptions options;
  options.older_than_ms = cutoff;
  ASSERT_OK_AND_ASSIGN(SweepReport report, store_->Sweep(ChunkIdSet{}, epoch, options));
  EXPECT_EQ(report.erased, 1u);
  EXPECT_FALSE(Has(a));
  EXPECT_TRUE(Has(b));
}

TEST_F(SweepTest, OneEpochAtATime) {
  ASSERT_OK_AND_ASSIGN(GcEpoch epoch, store_->StartGcEpoch());
  EXPECT_THAT(store_->StartGcEpoch(), StatusIs(StatusCode::kFailedPrecondition));
  {
    GcEpoch moved = std::move(epoch);
  }
  ASSERT_OK_AND_ASSIGN(GcEpoch next, store_->StartGcEpoch());
}

TEST_F(SweepTest, ConcurrentPutsNeverLoseAReferencedChunk) {
  // Writers keep re-putting a set of old chunks (as new references) while sweep runs with an
  // empty mark set: every chunk a writer saw as stored must still be there afterwards.
  std::vector<Bytes> payloads;
  for (int i = 0; i < 300; ++i) payloads.push_back(TextBytes(800 + i, 500 + i));
  for (const Bytes& p : payloads) ASSERT_OK(store_->Put(ChunkKind::kData, p));
  clock_.AdvanceMillis(1000);
  ASSERT_OK_AND_ASSIGN(GcEpoch epoch, store_->StartGcEpoch());
  std::vector<ChunkId> referenced;
  std::mutex mu;
  std::thread writer([&] {
    for (size_t i = 0; i < payloads.size(); i += 2) {
      auto put = store_->Put(ChunkKind::kData, payloads[i]);
      ASSERT_TRUE(put.ok());
      std::lock_guard<std::mutex> lock(mu);
      referenced.push_back(put->id);
    }
  });
  SweepOptions options;
  options.batch_size = 5;
  ASSERT_OK_AND_ASSIGN(SweepReport report, store_->Sweep(ChunkIdSet{}, epoch, options));
  writer.join();
  for (const ChunkId& id : referenced) EXPECT_TRUE(Has(id)) << id.ShortHex();
  EXPECT_GE(report.erased, payloads.size() / 2 - 1);
}

}  // namespace
}  // namespace berth::storage
