#include "base/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "base/file.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth {
namespace {

using testing::StatusIs;
using testing::TempDir;

TEST(SubprocessTest, ReturnsStdoutAndTheExitCode) {
  ASSERT_OK_AND_ASSIGN(ProcessResult r,
                       RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(r.output, "out\n");
  EXPECT_FALSE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "exit 3");
}

TEST(SubprocessTest, CapturesStderrTooWhenAsked) {
  ProcessIo io;
  io.stderr_fd = ProcessIo::kCapture;
  ASSERT_OK_AND_ASSIGN(ProcessResult r,
                       RunProcess({"/bin/sh", "-c", "echo out; echo err >&2"}, io));
  EXPECT_EQ(r.output, "out\nerr\n");
  EXPECT_TRUE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "exit 0");
}

TEST(SubprocessTest, GivesTheCallersDescriptorsAndASideChannel) {
  TempDir dir;
  UniqueFd in(::open(dir.Sub("in").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  UniqueFd out(::open(dir.Sub("out").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(in.valid() && out.valid());
  ASSERT_EQ(::write(in.get(), "input\n", 6), 6);
  ASSERT_EQ(::lseek(in.get(), 0, SEEK_SET), 0);
  ProcessIo io;
  io.stdin_fd = in.get();
  io.stdout_fd = out.get();
  io.stderr_fd = ProcessIo::kNull;
  io.fd3 = ProcessIo::kCapture;
  ASSERT_OK_AND_ASSIGN(
      ProcessResult r,
      RunProcess({"/bin/sh", "-c", "cat; echo to-stdout; echo side >&3; echo x >&2"}, io));
  EXPECT_TRUE(r.Succeeded());
  EXPECT_EQ(r.output, "side\n");
  ASSERT_OK_AND_ASSIGN(std::string written, ReadFileToString(dir.Sub("out")));
  EXPECT_EQ(written, "input\nto-stdout\n");
}

TEST(SubprocessTest, ShellExitCodes) {
  ASSERT_OK_AND_ASSIGN(ProcessResult exited, RunProcess({"/bin/sh", "-c", "exit 7"}));
  EXPECT_EQ(ShellExitCode(exited.wait_status), 7);
  ASSERT_OK_AND_ASSIGN(ProcessResult killed, RunProcess({"/bin/sh", "-c", "kill -TERM $$"}));
  EXPECT_EQ(ShellExitCode(killed.wait_status), 128 + SIGTERM);
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
