#include "base/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "base/file.h"

extern char** environ;

namespace berth {

int ShellExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

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

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const ProcessIo& io) {
  if (argv.empty()) return InvalidArgumentError("RunProcess: empty argv");
  const std::array<int, 4> wanted = {io.stdin_fd, io.stdout_fd, io.stderr_fd, io.fd3};
  UniqueFd read_end, write_end;
  for (int fd : wanted) {
    if (fd == ProcessIo::kCapture && !read_end.valid()) {
      int pipefd[2];
      if (::pipe2(pipefd, O_CLOEXEC) != 0) return PosixError("pipe", errno);
      read_end = UniqueFd(pipefd[0]);
      write_end = UniqueFd(pipefd[1]);
    }
  }
  // Every source goes to a copy above 3 first, so that placing one (dup2 onto 0..3) can never
  // overwrite another that is still to be placed (a caller's stdout_fd may well be 0).
  std::array<UniqueFd, 4> sources;
  for (int target = 0; target < 4; ++target) {
    int fd = wanted[target];
    if (fd == ProcessIo::kNull) continue;
    if (fd == ProcessIo::kCapture) fd = write_end.get();
    sources[target] = UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 4));
    if (!sources[target].valid()) return PosixError("dup descriptor for a child", errno);
  }
  SpawnActions actions;
  int rc = 0;
  for (int target = 0; target < 4 && rc == 0; ++target) {
    if (sources[target].valid()) {
      rc = posix_spawn_file_actions_adddup2(actions.get(), sources[target].get(), target);
    } else if (target < 3) {
      rc = posix_spawn_file_actions_addopen(actions.get(), target, "/dev/null",
                                            target == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
  // Descriptors opened without O_CLOEXEC (by a library) must not leak into the child.
  if (rc == 0)
    rc =
        posix_spawn_file_actions_addclosefrom_np(actions.get(), io.fd3 == ProcessIo::kNull ? 3 : 4);
  if (rc != 0) return PosixError("posix_spawn file actions", rc);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  rc = ::posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  if (rc != 0) return PosixError("spawn " + argv[0], rc);
  write_end = UniqueFd();
  for (UniqueFd& source : sources) source = UniqueFd();

  ProcessResult result;
  char buf[4096];
  while (read_end.valid()) {
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
