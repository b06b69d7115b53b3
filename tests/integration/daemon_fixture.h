#ifndef BERTH_TESTS_INTEGRATION_DAEMON_FIXTURE_H_
#define BERTH_TESTS_INTEGRATION_DAEMON_FIXTURE_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace berth::testing {

// Polls `condition` until it holds or `seconds` pass: awaiting a condition, not sleeping for one.
inline bool WaitFor(const std::function<bool()>& condition, double seconds = 20) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A real `berth serve` child process (BERTH_BINARY) with its own data dir and mount root, and the
// berth CLI pointed at its socket. TearDown kills the daemon and detaches every project mount,
// however the test ended. Needs root and /dev/fuse, and skips otherwise.
class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the daemon mounts projects: needs root";
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
  }
  void TearDown() override {
    if (pid_ > 0) KillDaemon();
    std::error_code ec;
    if (std::filesystem::exists(mount_root_, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(mount_root_, ec)) {
        umount2(entry.path().c_str(), MNT_DETACH);
      }
    }
  }

  // Starts the daemon and waits until it answers on its socket. `config`: the text of a TOML
  // config file to pass with --config (empty: none).
  void StartDaemon(int commit_interval_ms = 200, const std::string& config = "") {
    std::vector<std::string> args = {BERTH_BINARY,  "serve",     "--data-dir",
                                     data_dir_,     "--mount-root", mount_root_,
                                     "--commit-interval-ms", std::to_string(commit_interval_ms)};
    if (!config.empty()) {
      std::ofstream(dir_.Sub("berth.toml")) << config;
      args.push_back("--config");
      args.push_back(dir_.Sub("berth.toml"));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string out = dir_.Sub("daemon.out"), err = dir_.Sub("daemon.err");
    const pid_t parent = getpid();
    // fork + exec rather than posix_spawn, for PR_SET_PDEATHSIG: should this test process die
    // without its TearDown (a sanitizer abort, a crash), the daemon gets SIGTERM and unmounts and
    // stops its containers itself instead of outliving the test. Only async-signal-safe calls
    // between fork and exec.
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(127);  // the test died before the prctl
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(127);
      execve(BERTH_BINARY, argv.data(), environ);
      _exit(127);
    }
    ASSERT_TRUE(WaitFor([&] { return Berth({"project", "list"}).exit_code == 0; }))
        << "daemon did not answer; stderr: " << DaemonErr();
  }
  void KillDaemon() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // SIGTERM, and expects a clean exit.
  void StopDaemon() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << "; stderr: " << DaemonErr();
  }
  std::string DaemonOut() { return Slurp(dir_.Sub("daemon.out")); }
  std::string DaemonErr() { return Slurp(dir_.Sub("daemon.err")); }

  CommandResult Berth(std::vector<std::string> args) {
    args.insert(args.begin(), BERTH_BINARY);
    args.push_back("--socket");
    args.push_back(data_dir_ + "/berth.sock");
    return RunCommand(args);
  }
  nlohmann::json BerthJson(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    CommandResult r = Berth(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
  std::string data_dir_ = dir_.Sub("data");
  std::string mount_root_ = dir_.Sub("projects");
  pid_t pid_ = -1;
};

}  // namespace berth::testing

#endif  // BERTH_TESTS_INTEGRATION_DAEMON_FIXTURE_H_
