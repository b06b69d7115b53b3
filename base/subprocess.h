#ifndef BERTH_BASE_SUBPROCESS_H_
#define BERTH_BASE_SUBPROCESS_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace berth {

struct ProcessResult {
  int wait_status = 0;  // as waitpid(2) reports it
  std::string output;   // what the process wrote to stdout (and stderr, if merged)

  bool Succeeded() const;
  // "exit 3", "killed by signal 9".
  std::string Describe() const;
};

// Runs argv[0] (a path; no PATH search) with argv, stdin from /dev/null and none of the
// caller's descriptors beyond 0-2, and waits for it. Its stdout, and its stderr too when
// `merge_stderr`, is returned; otherwise stderr is the caller's. Spawned with posix_spawn
// (vfork-like: the child runs no code of ours between fork and exec), so it is safe to call from
// a multithreaded process whatever the other threads hold. Reaps only its own child.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, bool merge_stderr = false);

}  // namespace berth

#endif  // BERTH_BASE_SUBPROCESS_H_
