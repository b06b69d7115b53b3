// berth-lxc: the process through which the runtime calls liblxc's start and attach.
//
//   berth-lxc start LXC_PATH NAME [INIT ARG...]
//     Starts the configured container NAME of LXC_PATH, daemonized, with INIT ARG... as its init
//     (liblxc's default without). Exits 0 once liblxc reports it started; otherwise prints why
//     on stderr and exits 1.
//   berth-lxc attach LXC_PATH NAME UID GID CWD [KEY=VALUE...] -- COMMAND [ARG...]
//     Runs COMMAND in the running container NAME as UID:GID in CWD (empty: the user's home),
//     with exactly the KEY=VALUE environment and this process's descriptors 0, 1 and 2. Exits
//     with COMMAND's exit code (128 + the signal that killed it). If the attach itself fails,
//     writes why to descriptor 3 and exits 125.
//   Usage errors exit 2.
//
// Why a process of its own: both calls fork, and the child goes on running liblxc's code
// (closing descriptors, reading /proc, allocating) before it execs or becomes the monitor. In
// the multithreaded daemon that child inherits whatever lock another thread held at the fork:
// under AddressSanitizer it hung in malloc on the allocator's lock and Start never returned.
// And liblxc 5.0 moves the caller of a daemonized start into the container's lxc.monitor.<name>
// cgroups: here that is this short-lived process, not the daemon. This process has one thread.
// (LXD runs liblxc through helper processes for the same reasons: `lxd forkstart`.)
#include <fcntl.h>
#include <lxc/attach_options.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "runtime/lxc_handle.h"

namespace berth::runtime {
namespace {

constexpr int kUsage = 2;
constexpr int kAttachFailed = 125;

int Usage() {
  std::cerr << "usage: berth-lxc start LXC_PATH NAME [INIT ARG...]\n"
               "       berth-lxc attach LXC_PATH NAME UID GID CWD [KEY=VALUE...] -- COMMAND "
               "[ARG...]\n";
  return kUsage;
}

int StartMain(const std::vector<std::string>& args) {
  if (args.size() < 2) return Usage();
  const std::vector<std::string> init(args.begin() + 2, args.end());
  Result<LxcHandle> h = LxcHandle::Open(args[1], args[0]);
  Status s = h.ok() ? h->Start(init) : h.status();
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  return 0;
}

bool ParseId(const std::string& text, uint32_t* id) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v > UINT32_MAX) return false;
  *id = static_cast<uint32_t>(v);
  return true;
}

int AttachMain(const std::vector<std::string>& args) {
  // Errors go to descriptor 3, which the command must not inherit.
  const bool has_error_channel = ::fcntl(3, F_SETFD, FD_CLOEXEC) == 0;
  auto fail = [&](const std::string& why) {
    if (has_error_channel) {
      const std::string line = why + "\n";
      if (::write(3, line.data(), line.size()) < 0) std::cerr << line;
    } else {
      std::cerr << why << "\n";
    }
    return kAttachFailed;
  };
  // The environment ends at the first "--" after CWD (an entry always holds a '=').
  size_t dashes = 5;
  while (dashes < args.size() && args[dashes] != "--") ++dashes;
  if (dashes + 1 >= args.size()) return Usage();
  uint32_t uid = 0, gid = 0;
  if (!ParseId(args[2], &uid) || !ParseId(args[3], &gid)) return Usage();
  std::string cwd = args[4];
  std::vector<std::string> env(args.begin() + 5, args.begin() + static_cast<long>(dashes));
  const std::vector<std::string> command(args.begin() + static_cast<long>(dashes) + 1, args.end());
  std::vector<char*> env_ptrs;
  for (std::string& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);

  lxc_attach_options_t attach{};
  attach.attach_flags = LXC_ATTACH_DEFAULT;
  attach.namespaces = -1;
  attach.personality = LXC_ATTACH_DETECT_PERSONALITY;
  attach.initial_cwd = cwd.empty() ? nullptr : cwd.data();
  attach.uid = uid;
  attach.gid = gid;
  attach.env_policy = LXC_ATTACH_CLEAR_ENV;
  attach.extra_env_vars = env_ptrs.data();
  attach.extra_keep_env = nullptr;
  attach.stdin_fd = 0;
  attach.stdout_fd = 1;
  attach.stderr_fd = 2;
  attach.log_fd = -EBADF;
  attach.lsm_label = nullptr;
  attach.groups = {0, nullptr};

  Result<LxcHandle> h = LxcHandle::Open(args[1], args[0]);
  if (!h.ok()) return fail(h.status().ToString());
  Result<int> status = h->AttachRunWait(&attach, command);
  if (!status.ok()) return fail(status.status().ToString());
  return ShellExitCode(*status);
}

}  // namespace
}  // namespace berth::runtime

int main(int argc, char** argv) {
  if (argc < 2) return berth::runtime::Usage();
  const std::string verb = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (verb == "start") return berth::runtime::StartMain(args);
  if (verb == "attach") return berth::runtime::AttachMain(args);
  return berth::runtime::Usage();
}
