#include "base/status.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace berth {
namespace {

using testing::StatusIs;

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.ToErrno(), 0);
}

TEST(StatusTest, PosixErrorKeepsErrnoAndContext) {
  Status s = PosixError("open /x", ENOENT);
  EXPECT_THAT(s, StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(s.ToErrno(), ENOENT);
  EXPECT_EQ(s.message(), "open /x: No such file or directory");
}

TEST(StatusTest, ErrnoIsExactForFuseAnswers) {
  for (int e : {ENOTEMPTY, EXDEV, EDQUOT, ENOSPC, EROFS, ENAMETOOLONG}) {
    EXPECT_EQ(PosixError("op", e).ToErrno(), e);
  }
  EXPECT_EQ(DataLossError("bad").ToErrno(), EIO);
  EXPECT_EQ(NotFoundError("gone").ToErrno(), ENOENT);
}

TEST(StatusTest, WithContextPrependsAndKeepsCode) {
  Status s = PosixError("write", ENOSPC).WithContext("commit inode 7");
  EXPECT_THAT(s, StatusIs(StatusCode::kResourceExhausted));
  EXPECT_EQ(s.message(), "commit inode 7: write: No space left on device");
  EXPECT_EQ(s.ToErrno(), ENOSPC);
}

TEST(ResultTest, MacrosPropagateErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Quarter(6).status().message(), "odd: 3");
  EXPECT_OK(CheckEven(4));
  EXPECT_THAT(CheckEven(5), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace berth
