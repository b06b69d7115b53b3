#include "storage/record.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;
using berth::testing::StatusIs;
using berth::testing::TextBytes;

struct Case {
  const char* name;
  Bytes plaintext;
};

std::vector<Case> Cases() {
  return {{"empty", {}},
          {"one byte", {42}},
          {"text 64k", TextBytes(64 << 10, 1)},
          {"random 64k", RandomBytes(64 << 10, 2)},
          {"zeros 256k", Bytes(256 << 10, 0)},
          {"random 17", RandomBytes(17, 3)}};
}

class RecordTest : public ::testing::TestWithParam<bool> {  // param: encrypted
 protected:
  RecordCodec Codec(int level = 3) {
    return RecordCodec(level, GetParam() ? std::optional<SecretKey>(key_) : std::nullopt);
  }
  SecretKey key_ = SecretKey::Generate();
  ChunkHasher hasher_{SecretKey::Generate()};
};

TEST_P(RecordTest, RoundTripsEveryKindAndLevel) {
  for (int level : {1, 3, 19}) {
    RecordCodec codec = Codec(level);
    for (ChunkKind kind : {ChunkKind::kData, ChunkKind::kTree, ChunkKind::kList}) {
      for (const Case& c : Cases()) {
        SCOPED_TRACE(std::string(c.name) + " level " + std::to_string(level));
        ChunkId id = hasher_.Hash(c.plaintext);
        Bytes record;
        codec.Encode(id, kind, c.plaintext, &record);
        ASSERT_OK_AND_ASSIGN(RecordHeader checked, CheckRecord(record));
        EXPECT_EQ(checked.kind, kind);
        EXPECT_EQ(checked.plaintext_size, c.plaintext.size());
        EXPECT_EQ((checked.flags & kFlagEncrypted) != 0, GetParam());
        RecordHeader header;
        Bytes back;
        ASSERT_OK(codec.Decode(id, record, &header, &back));
        EXPECT_EQ(back, c.plaintext);
      }
    }
  }
}

TEST_P(RecordTest, CompressesWhenItPaysAndStoresRawWhenNot) {
  RecordCodec codec = Codec();
  Bytes text = TextBytes(64 << 10, 4), noise = RandomBytes(64 << 10, 5);
  Bytes record;
  codec.Encode(hasher_.Hash(text), ChunkKind::kData, text, &record);
  EXPECT_TRUE(record[2] & kFlagCompressed);
  EXPECT_LT(record.size(), text.size() / 2);
  codec.Encode(hasher_.Hash(noise), ChunkKind::kData, noise, &record);
  EXPECT_FALSE(record[2] & kFlagCompressed);
  EXPECT_LE(record.size(), noise.size() + kRecordHeaderSize + 40);
}

TEST_P(RecordTest, EveryFlippedByteIsDetected) {
  RecordCodec codec = Codec();
  for (const Bytes& plaintext : {TextBytes(3000, 6), RandomBytes(3000, 7)}) {
    ChunkId id = hasher_.Hash(plaintext);
    Bytes record;
    codec.Encode(id, ChunkKind::kData, plaintext, &record);
    for (size_t i = 0; i < record.size(); ++i) {
      Bytes bad = record;
      bad[i] ^= 0x10;
      RecordHeader header;
      Bytes out;
      EXPECT_THAT(codec.Decode(id, bad, &header, &out), StatusIs(StatusCode::kDataLoss))
          << "flipped byte " << i;
      EXPECT_THAT(CheckRecord(bad), StatusIs(StatusCode::kDataLoss));
    }
  }
}

TEST_P(RecordTest, TruncatedRecordsAreCorrupt) {
  RecordCodec codec = Codec();
  Bytes plaintext = TextBytes(5000, 8);
  ChunkId id = hasher_.Hash(plaintext);
  Bytes record;
  codec.Encode(id, ChunkKind::kData, plaintext, &record);
  for (size_t n : {size_t{0}, size_t{5}, kRecordHeaderSize, record.size() - 1}) {
    Bytes cut(record.begin(), record.begin() + static_cast<ptrdiff_t>(n));
    RecordHeader header;
    Bytes out;
    EXPECT_THAT(codec.Decode(id, cut, &header, &out), StatusIs(StatusCode::kDataLoss));
  }
}

INSTANTIATE_TEST_SUITE_P(Plain, RecordTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(Encrypted, RecordTest, ::testing::Values(true));

TEST(RecordEncryptionTest, RecordIsBoundToItsId) {
  RecordCodec codec(3, SecretKey::Generate());
  ChunkHasher hasher(SecretKey::Generate());
  Bytes a = TextBytes(1000, 1), b = TextBytes(1000, 2);
  Bytes record;
  codec.Encode(hasher.Hash(a), ChunkKind::kData, a, &record);
  RecordHeader header;
  Bytes out;
  EXPECT_THAT(codec.Decode(hasher.Hash(b), record, &header, &out),
              StatusIs(StatusCode::kDataLoss));
}

TEST(RecordEncryptionTest, WrongKeyFailsAuthentication) {
  ChunkHasher hasher(SecretKey::Generate());
  Bytes a = TextBytes(1000, 1);
  Bytes record;
  RecordCodec(3, SecretKey::Generate()).Encode(hasher.Hash(a), ChunkKind::kData, a, &record);
  RecordHeader header;
  Bytes out;
  EXPECT_THAT(RecordCodec(3, SecretKey::Generate()).Decode(hasher.Hash(a), record, &header, &out),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(RecordCodec(3, std::nullopt).Decode(hasher.Hash(a), record, &header, &out),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST(RecordEncryptionTest, PlaintextDoesNotAppearInCiphertext) {
  ChunkHasher hasher(SecretKey::Generate());
  std::string secret(2000, 'S');
  Bytes plain(secret.begin(), secret.end());
  Bytes record;
  RecordCodec(1, SecretKey::Generate()).Encode(hasher.Hash(plain), ChunkKind::kData, plain,
                                               &record);
  std::string stored(record.begin(), record.end());
  EXPECT_EQ(stored.find("SSSSSSSS"), std::string::npos);
}

TEST(RecordFormatTest, UnknownVersionIsReported) {
  RecordCodec codec(3, std::nullopt);
  ChunkHasher hasher(SecretKey::Generate());
  Bytes plain = TextBytes(100, 1), record;
  codec.Encode(hasher.Hash(plain), ChunkKind::kData, plain, &record);
  record[0] = 9;
  EXPECT_THAT(CheckRecord(record), berth::testing::StatusMessageHas("unknown format version 9"));
}

}  // namespace
}  // namespace berth::storage
