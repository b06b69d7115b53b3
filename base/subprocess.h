#ifndef BERTH_BASE_SUBPROCESS_H_
#define BERTH_BASE_SUBPROCESS_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace berth {

// The exit code of a waitpid(2) status, the shell's way: the code it exited with, 128 + the
// signal that killed it.
int ShellExitCode(int wait_status);

struct ProcessResult {
  int wait_status = 0;  // as waitpid(2) reports it
  std::string output;   // what the process wrote to the descriptors ProcessIo captures

  bool Succeeded() const;
  // "exit 3", "killed by signal 9".
  std::string Describe() const;
};

// What a child's descriptors 0 to 3 are: a descriptor of the caller (borrowed for the call),
// kNull or kCapture.
struct ProcessIo {
  static constexpr int kNull = -1;     // /dev/null; for fd3: not open
  static constexpr int kCapture = -2;  // a pipe read into ProcessResult::output (one for all)
  int stdin_fd = kNull;
  int stdout_fd = kCapture;
  int stderr_fd = 2;  // Default: the caller's own
  int fd3 = kNull;    // a side channel, e.g. for a helper's errors
};

// Runs argv[0] (a path; no PATH search) with argv and waits for it. Its descriptors 0 to 3 are
// as `io` says and no other descriptor of the caller is inherited. Spawned with posix_spawn
// (vfork-like: the child runs no code of ours between fork and exec), so it is safe to call from
// a multithreaded process whatever the other threads hold. Reaps only its own child.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const ProcessIo& io = {});

}  // namespace berth

#endif  // BERTH_BASE_SUBPROCESS_H_
