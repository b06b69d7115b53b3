#include "storage/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/file.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {
namespace {

using berth::testing::StatusIs;
using berth::testing::StatusMessageHas;
using berth::testing::TempDir;
using berth::testing::TextBytes;

TEST(DataDirTest, CreatesStoreAndKeyFileThenReopens) {
  TempDir dir;
  ChunkId id;
  {
    ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(dir.path(), {}));
    ASSERT_OK_AND_ASSIGN(PutResult put, data->chunks().Put(ChunkKind::kData, TextBytes(100, 1)));
    id = put.id;
    ASSERT_OK(data->Close());
  }
  struct stat st;
  ASSERT_EQ(stat(dir.Sub("keys/dedup.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(dir.path(), {}));
  ASSERT_OK_AND_ASSIGN(Bytes back, data->chunks().Get(id));
  EXPECT_EQ(back, TextBytes(100, 1));
}

TEST(DataDirTest, MissingStoreWithoutCreateIsNotFound) {
  TempDir dir;
  DataDirOptions options;
  options.create = false;
  EXPECT_THAT(DataDir::Open(dir.Sub("none"), options), StatusIs(StatusCode::kNotFound));
}

TEST(DataDirTest, MissingDedupKeyFileIsAClearError) {
  TempDir dir;
  { ASSERT_OK(DataDir::Open(dir.path(), {})); }
  ASSERT_EQ(unlink(dir.Sub("keys/dedup.key").c_str()), 0);
  auto reopened = DataDir::Open(dir.path(), {});
  EXPECT_THAT(reopened, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(reopened, StatusMessageHas("dedup key file"));
}

TEST(DataDirTest, ReplacedDedupKeyIsRefusedAndNothingIsLost) {
  TempDir dir;
  ChunkId id;
  {
    ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(dir.path(), {}));
    ASSERT_OK_AND_ASSIGN(PutResult put, data->chunks().Put(ChunkKind::kData, TextBytes(100, 2)));
    id = put.id;
  }
  ASSERT_OK_AND_ASSIGN(std::string original, ReadFileToString(dir.Sub("keys/dedup.key")));
  ASSERT_OK(SecretKey::Generate().SaveFile(dir.Sub("keys/dedup.key")));
  EXPECT_THAT(DataDir::Open(dir.path(), {}), StatusMessageHas("another dedup key"));
  ASSERT_OK(WriteFileAtomically(dir.Sub("keys/dedup.key"), AsBytes(original), 0600));
  ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(dir.path(), {}));
  ASSERT_OK_AND_ASSIGN(Bytes back, data->chunks().Get(id));
  EXPECT_EQ(back, TextBytes(100, 2));
}

TEST(DataDirTest, EncryptionKeyFileErrors) {
  TempDir dir;
  DataDirOptions options;
  options.encryption_key_file = dir.Sub("enc.key");
  EXPECT_THAT(DataDir::Open(dir.Sub("store"), options), StatusMessageHas("enc.key"));
  ASSERT_OK(WriteFileAtomically(dir.Sub("enc.key"), AsBytes("not hex\n"), 0600));
  EXPECT_THAT(DataDir::Open(dir.Sub("store"), options), StatusMessageHas("64 hex digits"));
  ASSERT_OK(SecretKey::Generate().SaveFile(dir.Sub("enc.key")));
  {
    ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(dir.Sub("store"), options));
    ASSERT_OK(data->chunks().Put(ChunkKind::kData, TextBytes(100, 3)));
  }
  EXPECT_THAT(DataDir::Open(dir.Sub("store"), {}), StatusMessageHas("is encrypted at rest"));
}

}  // namespace
}  // namespace berth::storage
