#include "storage/chunk_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {
namespace {

using ::berth::testing::StatusIs;

struct Cut {
  uint64_t offset;
  size_t size;
  bool operator==(const Cut&) const = default;
};

// The cuts of `data` taken all at once, as a reference.
std::vector<Cut> CutsAtOnce(const Chunker& chunker, ByteView data) {
  std::vector<Cut> cuts;
  for (uint64_t at = 0; at < data.size();) {
    const size_t cut = chunker.FindCut(data.subspan(at));
    cuts.push_back({at, cut});
    at += cut;
  }
  return cuts;
}

TEST(ChunkStreamTest, SmallReadsGiveTheChunksOfTheWholeStream) {
  const Chunker chunker;
  const Bytes data = berth::testing::RandomBytes(3 * chunker.options().max_size + 12345, 7);
  for (size_t read_size : {size_t{1000}, size_t{65536}, data.size()}) {
    std::vector<uint8_t> buffer(chunker.options().max_size + 100);
    size_t at = 0;
    auto read = [&](std::span<uint8_t> out) -> Result<size_t> {
      const size_t n = std::min({out.size(), read_size, data.size() - at});
      std::copy_n(data.begin() + static_cast<ptrdiff_t>(at), n, out.begin());
      at += n;
      return n;
    };
    std::vector<Cut> cuts;
    Bytes joined;
    auto emit = [&](uint64_t offset, ByteView chunk) -> Status {
      cuts.push_back({offset, chunk.size()});
      joined.insert(joined.end(), chunk.begin(), chunk.end());
      return Status::Ok();
    };
    ASSERT_OK_AND_ASSIGN(uint64_t length, ChunkStream(chunker, buffer, read, emit));
    EXPECT_EQ(length, data.size());
    EXPECT_EQ(joined, data);
    EXPECT_EQ(cuts, CutsAtOnce(chunker, data)) << "reads of " << read_size;
  }
}

TEST(ChunkStreamTest, ErrorsStopTheStream) {
  const Chunker chunker;
  std::vector<uint8_t> small(chunker.options().max_size - 1);
  auto nothing = [](std::span<uint8_t>) -> Result<size_t> { return size_t{0}; };
  auto ignore = [](uint64_t, ByteView) { return Status::Ok(); };
  EXPECT_THAT(ChunkStream(chunker, small, nothing, ignore), StatusIs(StatusCode::kInvalidArgument));

  std::vector<uint8_t> buffer(chunker.options().max_size);
  auto failing = [](std::span<uint8_t>) -> Result<size_t> { return PosixError("read x", EIO); };
  EXPECT_FALSE(ChunkStream(chunker, buffer, failing, ignore).ok());
  auto zeros = [](std::span<uint8_t> out) -> Result<size_t> {
    std::fill(out.begin(), out.end(), 0);
    return out.size();
  };
  auto refuse = [](uint64_t, ByteView) { return ResourceExhaustedError("full"); };
  EXPECT_THAT(ChunkStream(chunker, buffer, zeros, refuse),
              StatusIs(StatusCode::kResourceExhausted));
  // An empty stream has no chunk.
  int calls = 0;
  auto count = [&](uint64_t, ByteView) {
    ++calls;
    return Status::Ok();
  };
  ASSERT_OK_AND_ASSIGN(uint64_t length, ChunkStream(chunker, buffer, nothing, count));
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace berth::storage
