#include "storage/chunk_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
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

// A sparse file's holes are skipped, not read: what is emitted is its data, at its offsets, and
// the length is the file's (a trailing hole included). A shrunken file ends where a read found
// its end.
TEST(ChunkStreamTest, FileDataSkipsHoles) {
  berth::testing::TempDir dir;
  const std::string path = dir.Sub("sparse");
  const Bytes first = berth::testing::RandomBytes(300'000, 1);
  const Bytes second = berth::testing::RandomBytes(70'000, 2);
  constexpr uint64_t kSecondAt = 64ull << 30;  // 64 GiB of hole between them
  constexpr uint64_t kSize = 128ull << 30;
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
  ASSERT_EQ(pwrite(fd, second.data(), second.size(), kSecondAt),
            static_cast<ssize_t>(second.size()));
  ASSERT_EQ(ftruncate(fd, kSize), 0);

  const Chunker chunker;
  std::vector<uint8_t> buffer(2 * chunker.options().max_size);
  Bytes before, after;  // the bytes emitted below and above the hole
  uint64_t emitted = 0;
  auto emit = [&](uint64_t offset, ByteView chunk) -> Status {
    emitted += chunk.size();
    Bytes& into = offset < kSecondAt ? before : after;
    const uint64_t base = offset < kSecondAt ? 0 : kSecondAt;
    if (offset - base != into.size()) return DataLossError("a gap inside a data region");
    into.insert(into.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  };
  ASSERT_OK_AND_ASSIGN(uint64_t length, ChunkFileData(chunker, buffer, fd, kSize, path, emit));
  EXPECT_EQ(length, kSize);
  // ext4 keeps data in 4 KiB blocks: each region ends at most a block past the bytes written.
  ASSERT_GE(before.size(), first.size());
  EXPECT_LT(before.size(), first.size() + 4096);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), before.begin()));
  ASSERT_GE(after.size(), second.size());
  EXPECT_LT(after.size(), second.size() + 4096);
  EXPECT_TRUE(std::equal(second.begin(), second.end(), after.begin()));
  EXPECT_LT(emitted, 1u << 20) << "holes were read";

  // Told a larger size than the file has (it shrank after stat): the length is where it ends.
  ASSERT_EQ(ftruncate(fd, 100'000), 0);
  emitted = 0;
  before.clear();
  after.clear();
  ASSERT_OK_AND_ASSIGN(length, ChunkFileData(chunker, buffer, fd, kSize, path, emit));
  EXPECT_EQ(length, 100'000u);
  EXPECT_EQ(before.size(), 100'000u);
  ::close(fd);
}

}  // namespace
}  // namespace berth::storage
