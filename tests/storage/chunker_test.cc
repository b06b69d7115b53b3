#include "storage/chunker.h"

#include <gtest/gtest.h>

#include <numeric>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;
using berth::testing::StatusIs;

TEST(ChunkerTest, DefaultOptionsAreValid) { EXPECT_OK(ChunkerOptions{}.Validate()); }

TEST(ChunkerTest, RejectsBadOptions) {
  EXPECT_THAT((ChunkerOptions{16 << 10, 60000, 256 << 10}).Validate(),
              StatusIs(StatusCode::kInvalidArgument));  // avg not a power of two
  EXPECT_THAT((ChunkerOptions{64 << 10, 64 << 10, 256 << 10}).Validate(),
              StatusIs(StatusCode::kInvalidArgument));  // min == avg
  EXPECT_THAT((ChunkerOptions{16, 64, 256}).Validate(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT((ChunkerOptions{16 << 10, 64 << 10, 32 << 20}).Validate(),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(ChunkerTest, SmallInputIsOneChunk) {
  Chunker chunker;
  auto data = RandomBytes(10000, 1);
  EXPECT_EQ(chunker.Split(data), std::vector<uint32_t>{10000});
  EXPECT_TRUE(chunker.Split(ByteView()).empty());
}

TEST(ChunkerTest, ChunksRespectBoundsAndCoverInput) {
  Chunker chunker;
  auto data = RandomBytes(16 << 20, 2);
  auto lengths = chunker.Split(data);
  EXPECT_EQ(std::accumulate(lengths.begin(), lengths.end(), uint64_t{0}), data.size());
  for (size_t i = 0; i + 1 < lengths.size(); ++i) {
    EXPECT_GE(lengths[i], 16u << 10);
    EXPECT_LE(lengths[i], 256u << 10);
  }
  // Normalized chunking keeps the mean near the average size.
  double mean = static_cast<double>(data.size()) / static_cast<double>(lengths.size());
  EXPECT_GT(mean, 0.7 * (64 << 10));
  EXPECT_LT(mean, 1.4 * (64 << 10));
}

TEST(ChunkerTest, UniformDataIsCutAtMaxSize) {
  Chunker chunker;
  std::vector<uint8_t> zeros(1 << 20, 0);
  auto lengths = chunker.Split(zeros);
  ASSERT_EQ(lengths.size(), 4u);
  for (uint32_t l : lengths) EXPECT_EQ(l, 256u << 10);
}

TEST(ChunkerTest, BoundariesAreStableAcrossVersions) {
  // The gear table and masks are part of the chunk format: if this changes, every chunk id in
  // every store changes. Update doc/chunking.md and the format version, not just this number.
  Chunker chunker;
  auto lengths = chunker.Split(RandomBytes(1 << 20, 42));
  std::vector<uint32_t> first(lengths.begin(), lengths.begin() + 3);
  EXPECT_EQ(chunker.Split(RandomBytes(1 << 20, 42)), lengths);
  EXPECT_EQ(first, (std::vector<uint32_t>{89261, 93054, 73472}));
}

TEST(ChunkerTest, CustomSizes) {
  Chunker chunker(ChunkerOptions{1024, 4096, 16384});
  auto data = RandomBytes(4 << 20, 3);
  auto lengths = chunker.Split(data);
  double mean = static_cast<double>(data.size()) / static_cast<double>(lengths.size());
  EXPECT_GT(mean, 0.7 * 4096);
  EXPECT_LT(mean, 1.5 * 4096);
  for (size_t i = 0; i + 1 < lengths.size(); ++i) {
    EXPECT_GE(lengths[i], 1024u);
    EXPECT_LE(lengths[i], 16384u);
  }
}

}  // namespace
}  // namespace berth::storage
