// kill -9 of a process in the middle of a large batch: after reopening, the whole batch or none
// of it is visible, and verify is clean.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "storage/data_dir.h"
#include "storage/verifier.h"
#include "tests/storage/crash_payload.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace berth::storage {
namespace {

using berth::testing::TempDir;

struct ChildRun {
  bool finished = false;  // the child said "done" before it was killed
};

// Starts the child, waits until it is about to write its batch, lets it run for `delay`, then
// kills it with SIGKILL. The delay only picks where in the write the kill lands; the test's
// property holds wherever that is.
ChildRun RunAndKill(const std::string& data_dir, uint64_t seed, int count,
                    std::chrono::microseconds delay) {
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::string seed_arg = std::to_string(seed), count_arg = std::to_string(count);
  const char* argv[] = {STORE_CRASH_CHILD, data_dir.c_str(), seed_arg.c_str(), count_arg.c_str(),
                        nullptr};
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, STORE_CRASH_CHILD, &actions, nullptr, const_cast<char**>(argv),
                        environ),
            0);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);

  std::string said;
  char c;
  while (said.find("writing\n") == std::string::npos && read(pipe_fds[0], &c, 1) == 1) said += c;
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  while (read(pipe_fds[0], &c, 1) == 1) said += c;
  close(pipe_fds[0]);
  ChildRun run;
  run.finished = said.find("done\n") != std::string::npos;
  return run;
}

TEST(StoreCrashTest, KilledBatchIsAllOrNothing) {
  TempDir dir;
  constexpr int kCount = 400;  // ~64 MB per batch
  { ASSERT_OK(DataDir::Open(dir.path(), {})); }  // create the store and its key first
  int interrupted = 0, completed = 0;
  const int delays_us[] = {0, 2000, 10000, 30000, 60000, 120000, 250000, 1000000};
  uint64_t seed = 1;
  for (int delay : delays_us) {
    ChildRun run = RunAndKill(dir.path(), seed, kCount, std::chrono::microseconds(delay));
    ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(dir.path(), {}));
    int present = 0;
    for (int i = 0; i < kCount; ++i) {
      Bytes expected = CrashPayload(seed, i);
      ChunkId id = data->chunks().IdOf(expected);
      ASSERT_OK_AND_ASSIGN(bool has, data->chunks().Has(id));
      if (!has) continue;
      ++present;
      ASSERT_OK_AND_ASSIGN(Bytes got, data->chunks().Get(id));
      ASSERT_EQ(got, expected);
    }
    EXPECT_TRUE(present == 0 || present == kCount)
        << "kill after " << delay << " us left " << present << " of " << kCount << " chunks";
    if (run.finished) {
      EXPECT_EQ(present, kCount) << "acknowledged batch was lost";
    }
    (present == kCount ? completed : interrupted)++;
    ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyStore(data->chunks()));
    EXPECT_TRUE(report.clean()) << report.problems.size() << " problems, first: "
                                << report.problems[0].message;
    ++seed;
  }
  // The short delays kill the child before its write lands.
  EXPECT_GT(interrupted, 0);
  std::printf("batches interrupted: %d, completed: %d\n", interrupted, completed);
}

}  // namespace
}  // namespace berth::storage
