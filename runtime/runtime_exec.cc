// Runtime::Exec and the statistics read from containers' cgroups (the lifecycle is in
// runtime.cc).
#include <lxc/attach_options.h>
#include <sys/wait.h>

#include <cerrno>

#include "runtime/lxc_handle.h"
#include "runtime/runtime.h"

namespace berth::runtime {

namespace {

// exit code of a wait(2) status, the shell's way.
int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

bool HasKey(const std::vector<std::string>& env, const std::string& key) {
  for (const std::string& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) return true;
  }
  return false;
}

}  // namespace

Result<int> Runtime::Exec(const std::string& name, const std::vector<std::string>& argv,
                          const ExecOptions& options) {
  if (argv.empty() || argv[0].empty()) return InvalidArgumentError("exec: empty command");
  std::shared_ptr<Entry> entry = Lookup(name);
  if (!entry) return NotFoundError("container " + name + " is not running");
  ASSIGN_OR_RETURN(LxcHandle h, LxcHandle::Open(name, options_.lxc_path));
  if (!h.IsRunning()) {
    return FailedPreconditionError("container " + name +
                                   " is not running: its init exited (Stop it to clean up)");
  }
  std::vector<std::string> env;
  const bool root = options.uid == 0;
  env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  env.push_back(root ? "HOME=/root" : "HOME=/home/user");
  env.push_back(root ? "USER=root" : "USER=user");
  env.push_back(root ? "LOGNAME=root" : "LOGNAME=user");
  env.push_back("SHELL=/bin/sh");
  std::vector<std::string> merged;
  for (const std::string& e : env) {
    if (!HasKey(options.env, e.substr(0, e.find('=')))) merged.push_back(e);
  }
  for (const std::string& e : options.env) {
    if (e.find('=') == std::string::npos) {
      return InvalidArgumentError("exec: environment entry \"" + e + "\" is not KEY=VALUE");
    }
    merged.push_back(e);
  }
  std::vector<char*> env_ptrs;
  for (std::string& e : merged) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
  std::string cwd = options.cwd;

  lxc_attach_options_t attach{};
  attach.attach_flags = LXC_ATTACH_DEFAULT;
  attach.namespaces = -1;
  attach.personality = LXC_ATTACH_DETECT_PERSONALITY;
  attach.initial_cwd = cwd.empty() ? nullptr : cwd.data();
  attach.uid = options.uid;
  attach.gid = options.gid;
  attach.env_policy = LXC_ATTACH_CLEAR_ENV;
  attach.extra_env_vars = env_ptrs.data();
  attach.extra_keep_env = nullptr;
  attach.stdin_fd = options.stdin_fd;
  attach.stdout_fd = options.stdout_fd;
  attach.stderr_fd = options.stderr_fd;
  attach.log_fd = -EBADF;
  attach.lsm_label = nullptr;
  attach.groups = {0, nullptr};

  struct ExecCount {
    explicit ExecCount(Entry& e) : entry(e) {
      ++entry.active_execs;
      ++entry.exec_count;
    }
    ~ExecCount() { --entry.active_execs; }
    Entry& entry;
  } count(*entry);
  ASSIGN_OR_RETURN(int status, h.AttachRunWait(&attach, argv));
  return ExitCode(status);
}

ContainerStats Runtime::ReadStats(const std::string& name, Entry& entry,
                                  const ContainerSpec& spec) {
  ContainerStats stats;
  stats.spec = spec;
  stats.active_execs = entry.active_execs.load();
  stats.exec_count = entry.exec_count.load();
  stats.started_ms = entry.started_ms.load();
  Result<LxcHandle> h = LxcHandle::Open(name, options_.lxc_path);
  if (!h.ok() || !h->IsRunning()) return stats;
  stats.running = true;
  stats.init_pid = h->InitPid();
  const CgroupStatKeys keys = StatKeysFor(layout_);
  auto read_int = [&](const std::string& key) -> int64_t {
    if (key.empty()) return 0;
    Result<std::string> text = h->GetCgroupItem(key);
    if (!text.ok()) return 0;
    Result<int64_t> v = ParseCgroupInt(*text);
    return v.ok() ? *v : 0;
  };
  stats.memory_bytes = read_int(keys.memory_current);
  stats.pids = read_int(keys.pids_current);
  if (!keys.cpu_usage.empty()) {
    Result<std::string> text = h->GetCgroupItem(keys.cpu_usage);
    if (text.ok()) {
      Result<int64_t> ns = ParseCpuUsageNanos(keys.cpu_version, *text);
      if (ns.ok()) stats.cpu_nanos = *ns;
    }
  }
  if (!keys.oom_events.empty()) {
    Result<std::string> text = h->GetCgroupItem(keys.oom_events);
    if (text.ok()) {
      Result<int64_t> kills = ParseFlatKey(*text, "oom_kill");
      if (kills.ok()) stats.oom_kills = *kills;
    }
  }
  return stats;
}

std::vector<ContainerStats> Runtime::List() {
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> entries;
  std::vector<ContainerSpec> specs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, entry] : entries_) {
      if (entry->spec.name.empty()) continue;  // a Start in progress
      entries.emplace_back(name, entry);
      specs.push_back(entry->spec);
    }
  }
  std::vector<ContainerStats> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    out.push_back(ReadStats(entries[i].first, *entries[i].second, specs[i]));
  }
  return out;
}

Result<ContainerStats> Runtime::Stats(const std::string& name) {
  std::shared_ptr<Entry> entry = Lookup(name);
  ContainerSpec spec;
  if (entry) {
    std::lock_guard<std::mutex> lock(mu_);
    spec = entry->spec;
  }
  if (!entry || spec.name.empty()) return NotFoundError("container " + name + " is not running");
  ContainerStats stats = ReadStats(name, *entry, spec);
  if (!stats.running) {
    return FailedPreconditionError("container " + name +
                                   " stopped unexpectedly: its init exited (Stop it to clean up)");
  }
  return stats;
}

}  // namespace berth::runtime
