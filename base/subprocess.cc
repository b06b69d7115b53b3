#include "base/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"

extern char** environ;

namespace berth {

bool ProcessResult::Succeeded() const {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string ProcessResult::Describe() const {
  if (WIFEXITED(wait_status)) return "exit " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "wait status " + std::to_string(wait_status);
}

namespace {

// posix_spawn_file_actions_t with its destroy.
class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, bool merge_stderr) {
  if (argv.empty()) return InvalidArgumentError("RunProcess: empty argv");
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return PosixError("pipe", errno);
  UniqueFd read_end(pipefd[0]);
  UniqueFd write_end(pipefd[1]);
  SpawnActions actions;
  int rc = posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 1);
  if (rc == 0 && merge_stderr) rc = posix_spawn_file_actions_adddup2(actions.get(), 1, 2);
  // Descriptors opened without O_CLOEXEC (by a library) must not leak into the child.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);
  if (rc != 0) return PosixError("posix_spawn file actions", rc);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  rc = ::posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  if (rc != 0) return PosixError("spawn " + argv[0], rc);
  write_end = UniqueFd();

  ProcessResult result;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  while (::waitpid(pid, &result.wait_status, 0) < 0) {
    if (errno != EINTR) return PosixError("waitpid " + argv[0], errno);
  }
  return result;
}

}  // namespace berth
