#include "storage/rechunk.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "storage/chunk_id.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;

struct Chunked {
  std::vector<uint32_t> lengths;
  std::vector<ChunkId> ids;
};

Chunked ChunkAll(const Chunker& chunker, const ChunkHasher& hasher, ByteView data) {
  Chunked out;
  out.lengths = chunker.Split(data);
  uint64_t pos = 0;
  for (uint32_t l : out.lengths) {
    out.ids.push_back(hasher.Hash(data.subspan(pos, l)));
    pos += l;
  }
  return out;
}

class RechunkTest : public ::testing::Test {
 protected:
  // Applies `edit` (turning old_data into new_data) through Rechunk and checks that the result
  // equals chunking the new data from scratch, that only chunks around the edit changed, and
  // returns how many old chunks were replaced.
  size_t CheckEdit(const std::vector<uint8_t>& old_data, const std::vector<uint8_t>& new_data,
                   const Edit& edit) {
    Chunked before = ChunkAll(chunker_, hasher_, old_data);
    Chunked expected = ChunkAll(chunker_, hasher_, new_data);
    ReadAt read = [&](uint64_t offset, std::span<uint8_t> out) -> Status {
      if (offset + out.size() > new_data.size()) return OutOfRangeError("read past end");
      std::memcpy(out.data(), new_data.data() + offset, out.size());
      return Status::Ok();
    };
    std::vector<ChunkId> emitted;
    EmitChunk emit = [&](uint64_t, ByteView chunk) -> Status {
      emitted.push_back(hasher_.Hash(chunk));
      return Status::Ok();
    };
    auto result = Rechunk(chunker_, before.lengths, edit, read, emit);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return 0;

    std::vector<uint32_t> spliced(before.lengths.begin(),
                                  before.lengths.begin() + result->replace_begin);
    spliced.insert(spliced.end(), result->lengths.begin(), result->lengths.end());
    spliced.insert(spliced.end(), before.lengths.begin() + result->replace_end,
                   before.lengths.end());
    EXPECT_EQ(spliced, expected.lengths);
    std::vector<ChunkId> spliced_ids(before.ids.begin(), before.ids.begin() + result->replace_begin);
    spliced_ids.insert(spliced_ids.end(), emitted.begin(), emitted.end());
    spliced_ids.insert(spliced_ids.end(), before.ids.begin() + result->replace_end,
                       before.ids.end());
    EXPECT_EQ(spliced_ids, expected.ids);
    EXPECT_EQ(result->offset, std::accumulate(before.lengths.begin(),
                                              before.lengths.begin() + result->replace_begin,
                                              uint64_t{0}));
    return result->replace_end - result->replace_begin;
  }

  Chunker chunker_;
  ChunkHasher hasher_{SecretKey::Generate()};
  std::vector<uint8_t> data_ = RandomBytes(16 << 20, 7);
};

TEST_F(RechunkTest, OverwriteInTheMiddleTouchesFewChunks) {
  auto changed = data_;
  const size_t at = 8 << 20;
  for (size_t i = 0; i < 100; ++i) changed[at + i] ^= 0x5a;
  size_t replaced = CheckEdit(data_, changed, Edit{at, at + 100, 0});
  EXPECT_LE(replaced, 3u);
  EXPECT_GE(replaced, 1u);
}

TEST_F(RechunkTest, InsertionResynchronises) {
  const size_t at = 5 << 20;
  auto inserted = RandomBytes(1000, 8);
  auto changed = data_;
  changed.insert(changed.begin() + at, inserted.begin(), inserted.end());
  size_t replaced = CheckEdit(data_, changed, Edit{at, at + 1000, 1000});
  EXPECT_LE(replaced, 3u);
}

TEST_F(RechunkTest, DeletionResynchronises) {
  const size_t at = 11 << 20;
  auto changed = data_;
  changed.erase(changed.begin() + at, changed.begin() + at + 5000);
  size_t replaced = CheckEdit(data_, changed, Edit{at, at, -5000});
  EXPECT_LE(replaced, 3u);
}

TEST_F(RechunkTest, SingleByteChangeAtStart) {
  auto changed = data_;
  changed[0] ^= 1;
  EXPECT_LE(CheckEdit(data_, changed, Edit{0, 1, 0}), 2u);
}

TEST_F(RechunkTest, AppendRecutsOnlyTheTail) {
  auto extra = RandomBytes(300000, 9);
  auto changed = data_;
  changed.insert(changed.end(), extra.begin(), extra.end());
  size_t replaced = CheckEdit(data_, changed, Edit{data_.size(), changed.size(), 300000});
  EXPECT_EQ(replaced, 1u);  // only the old last chunk, which the end of data had cut
}

TEST_F(RechunkTest, TruncateRecutsOnlyTheTail) {
  auto changed = data_;
  changed.resize(data_.size() - 123456);
  const uint64_t end = changed.size();
  size_t replaced = CheckEdit(data_, changed, Edit{end, end, -123456});
  EXPECT_LE(replaced, 3u);
}

TEST_F(RechunkTest, EditOfEmptyContent) {
  std::vector<uint8_t> empty;
  auto fresh = RandomBytes(100000, 10);
  CheckEdit(empty, fresh, Edit{0, fresh.size(), static_cast<int64_t>(fresh.size())});
  CheckEdit(fresh, empty, Edit{0, 0, -static_cast<int64_t>(fresh.size())});
}

TEST_F(RechunkTest, ManyRandomEdits) {
  std::mt19937_64 rng(11);
  auto data = RandomBytes(4 << 20, 12);
  for (int round = 0; round < 30; ++round) {
    auto changed = data;
    size_t at = rng() % data.size();
    Edit edit;
    switch (rng() % 3) {
      case 0: {  // overwrite
        size_t n = std::min<size_t>(1 + rng() % 70000, data.size() - at);
        for (size_t i = 0; i < n; ++i) changed[at + i] = static_cast<uint8_t>(rng());
        edit = {at, at + n, 0};
        break;
      }
      case 1: {  // insert
        auto ins = RandomBytes(1 + rng() % 70000, rng());
        changed.insert(changed.begin() + at, ins.begin(), ins.end());
        edit = {at, at + ins.size(), static_cast<int64_t>(ins.size())};
        break;
      }
      default: {  // delete
        size_t n = std::min<size_t>(1 + rng() % 70000, data.size() - at);
        changed.erase(changed.begin() + at, changed.begin() + at + n);
        edit = {at, at, -static_cast<int64_t>(n)};
      }
    }
    CheckEdit(data, changed, edit);
    data = std::move(changed);
  }
}

TEST_F(RechunkTest, RejectsEditOutsideContent) {
  std::vector<uint32_t> lengths = {100};
  ReadAt read = [](uint64_t, std::span<uint8_t>) { return Status::Ok(); };
  EXPECT_FALSE(Rechunk(chunker_, lengths, Edit{200, 210, 0}, read, nullptr).ok());
  EXPECT_FALSE(Rechunk(chunker_, lengths, Edit{0, 10, -200}, read, nullptr).ok());
}

TEST_F(RechunkTest, ReadErrorsPropagate) {
  std::vector<uint32_t> lengths = chunker_.Split(data_);
  ReadAt read = [](uint64_t, std::span<uint8_t>) { return PosixError("pread", EIO); };
  auto result = Rechunk(chunker_, lengths, Edit{0, 1, 0}, read, nullptr);
  EXPECT_EQ(result.status().ToErrno(), EIO);
}

}  // namespace
}  // namespace berth::storage
