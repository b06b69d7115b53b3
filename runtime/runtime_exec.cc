// Runtime::Exec and the statistics read from containers' cgroups (the lifecycle is in
// runtime.cc).
#include "base/subprocess.h"
#include "runtime/lxc_handle.h"
#include "runtime/runtime.h"

namespace berth::runtime {

namespace {

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
  // berth-lxc attach LXC_PATH NAME UID GID CWD [KEY=VALUE...] -- COMMAND [ARG...]
  std::vector<std::string> helper_argv = {options_.lxc_helper, "attach", options_.lxc_path, name};
  helper_argv.push_back(std::to_string(options.uid));
  helper_argv.push_back(std::to_string(options.gid));
  helper_argv.push_back(options.cwd);
  helper_argv.insert(helper_argv.end(), merged.begin(), merged.end());
  helper_argv.push_back("--");
  helper_argv.insert(helper_argv.end(), argv.begin(), argv.end());
  ProcessIo io;
  io.stdin_fd = options.stdin_fd;
  io.stdout_fd = options.stdout_fd;
  io.stderr_fd = options.stderr_fd;
  io.fd3 = ProcessIo::kCapture;  // the helper's own failure, if any

  struct ExecCount {
    explicit ExecCount(Entry& e) : entry(e) {
      ++entry.active_execs;
      ++entry.exec_count;
    }
    ~ExecCount() { --entry.active_execs; }
    Entry& entry;
  } count(*entry);
  ASSIGN_OR_RETURN(ProcessResult run, RunProcess(helper_argv, io));
  if (!run.output.empty()) {
    while (!run.output.empty() && run.output.back() == '\n') run.output.pop_back();
    return InternalError("exec in " + name + ": " + run.output);
  }
  return ShellExitCode(run.wait_status);
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
