#include "base/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth {
namespace {

using testing::StatusIs;
using testing::TempDir;

TEST(FileTest, WriteAtomicallyThenRead) {
  TempDir dir;
  std::string path = dir.Sub("a/b/key");
  ASSERT_OK(MakeDirs(dir.Sub("a/b"), 0700));
  ASSERT_OK(WriteFileAtomically(path, AsBytes("secret\n"), 0600));
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileToString(path));
  EXPECT_EQ(text, "secret\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(PathExists(path + ".tmp"));
}

TEST(FileTest, ReadMissingFileIsNotFound) {
  TempDir dir;
  EXPECT_THAT(ReadFileToString(dir.Sub("missing")), StatusIs(StatusCode::kNotFound));
}

TEST(FileTest, MakeDirsOverAFileFails) {
  TempDir dir;
  ASSERT_OK(WriteFileAtomically(dir.Sub("f"), AsBytes("x")));
  EXPECT_FALSE(MakeDirs(dir.Sub("f")).ok());
}

TEST(FileTest, HexRoundTrip) {
  Bytes raw = {0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(ToHex(raw), "007fff10");
  Bytes back;
  ASSERT_TRUE(FromHex("007FFF10", &back));
  EXPECT_EQ(back, raw);
  EXPECT_FALSE(FromHex("0g", &back));
  EXPECT_FALSE(FromHex("abc", &back));
}

}  // namespace
}  // namespace berth
