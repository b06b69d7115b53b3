#include "runtime/id_map.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::runtime {
namespace {

using ::berth::testing::StatusIs;

TEST(IdMapTest, Validate) {
  EXPECT_OK(IdMap{}.Validate());
  EXPECT_THAT((IdMap{0, 65536}.Validate()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT((IdMap{100000, 1000}.Validate()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT((IdMap{UINT32_MAX - 10, 65536}.Validate()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(IdMap{}.ToHost(1000), 101000u);
}

TEST(IdMapTest, CoverageOfSubordinateRanges) {
  IdMap map;  // 100000..165535
  EXPECT_TRUE(SubordinateRangeCovered("root:100000:1000000\n", "root", map));
  EXPECT_TRUE(SubordinateRangeCovered("alice:1:5\nroot:100000:65536", "root", map));
  EXPECT_FALSE(SubordinateRangeCovered("root:100000:65535\n", "root", map));
  EXPECT_FALSE(SubordinateRangeCovered("root:100001:1000000\n", "root", map));
  EXPECT_FALSE(SubordinateRangeCovered("rootx:100000:1000000\n", "root", map));
  EXPECT_FALSE(SubordinateRangeCovered("root:abc:1000000\nroot:100000\n", "root", map));
  EXPECT_FALSE(SubordinateRangeCovered("", "root", map));
}

TEST(IdMapTest, AddsALineOnlyWhenMissing) {
  IdMap map;
  EXPECT_EQ(WithSubordinateRange("", "root", map), "root:100000:65536\n");
  EXPECT_EQ(WithSubordinateRange("alice:1:5", "root", map), "alice:1:5\nroot:100000:65536\n");
  EXPECT_EQ(WithSubordinateRange("root:0:4294967295\n", "root", map), "root:0:4294967295\n");
}

TEST(IdMapTest, EnsureIsIdempotentOnAFile) {
  berth::testing::TempDir dir;
  const std::string path = dir.Sub("subuid");
  ASSERT_OK(EnsureSubordinateIds(path, "root", IdMap{}));  // creates the file
  ASSERT_OK(EnsureSubordinateIds(path, "root", IdMap{}));
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileToString(path));
  EXPECT_EQ(text, "root:100000:65536\n");
  ASSERT_OK(EnsureSubordinateIds(path, "root", IdMap{200000, 65536}));
  ASSERT_OK_AND_ASSIGN(text, ReadFileToString(path));
  EXPECT_EQ(text, "root:100000:65536\nroot:200000:65536\n");
}

}  // namespace
}  // namespace berth::runtime
