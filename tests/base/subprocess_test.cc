#include "base/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "base/file.h"
#include "tests/testing/status_matchers.h"

namespace berth {
namespace {

using testing::StatusIs;

TEST(SubprocessTest, ReturnsStdoutAndTheExitCode) {
  ASSERT_OK_AND_ASSIGN(ProcessResult r,
                       RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(r.output, "out\n");
  EXPECT_FALSE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "exit 3");
}

TEST(SubprocessTest, MergesStderrWhenAsked) {
  ASSERT_OK_AND_ASSIGN(ProcessResult r, RunProcess({"/bin/sh", "-c", "echo out; echo err >&2"},
                                                   /*merge_stderr=*/true));
  EXPECT_EQ(r.output, "out\nerr\n");
  EXPECT_TRUE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "exit 0");
}

TEST(SubprocessTest, StdinIsEmptyAndNoOtherDescriptorIsInherited) {
  // Opened without O_CLOEXEC, as a careless library would.
  UniqueFd leaky(::open("/dev/null", O_RDONLY));
  ASSERT_TRUE(leaky.valid());
  ASSERT_OK_AND_ASSIGN(ProcessResult r,
                       RunProcess({"/bin/sh", "-c", "cat; ls /proc/self/fd/ | sort -n"}));
  // ls's own directory descriptor is 3; the leaky one would show as well.
  EXPECT_EQ(r.output, "0\n1\n2\n3\n") << "fd " << leaky.get() << " leaked";
}

TEST(SubprocessTest, ReportsASignal) {
  ASSERT_OK_AND_ASSIGN(ProcessResult r, RunProcess({"/bin/sh", "-c", "kill -9 $$"}));
  EXPECT_FALSE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "killed by signal 9");
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  EXPECT_THAT(RunProcess({"/no/such/program"}), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(RunProcess({}), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth
