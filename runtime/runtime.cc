#include "runtime/runtime.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/subprocess.h"
#include "runtime/image.h"
#include "runtime/internal/cgroup_dirs.h"
#include "runtime/internal/container_dir.h"
#include "runtime/internal/mount_table.h"
#include "runtime/lxc_handle.h"

namespace berth::runtime {

namespace {

using internal::ContainerPaths;

// The seccomp policy of every container: liblxc's default deny list (common.seccomp). Inside a
// user namespace these calls fail anyway for want of host capabilities; the list keeps them out
// even where a kernel bug would let one through.
constexpr std::string_view kSeccompPolicy =
    "2\n"
    "denylist\n"
    "reject_force_umount\n"
    "[all]\n"
    "kexec_load errno 1\n"
    "open_by_handle_at errno 1\n"
    "init_module errno 1\n"
    "finit_module errno 1\n"
    "delete_module errno 1\n";

// How long cleanup waits for liblxc's monitor to leave its cgroup after a container stopped.
constexpr auto kMonitorExitWait = std::chrono::seconds(3);

constexpr char kLxcHelper[] = "berth-lxc";

// Starts the configured container `spec.name` of `lxc_path` through the helper
// (runtime/lxc_helper_main.cc says why). FailedPrecondition with liblxc's reason if it fails.
Status StartThroughHelper(const std::string& helper, const std::string& lxc_path,
                          const ContainerSpec& spec) {
  std::vector<std::string> argv = {helper, "start", lxc_path, spec.name};
  argv.insert(argv.end(), spec.init_argv.begin(), spec.init_argv.end());
  ProcessIo io;
  io.stderr_fd = ProcessIo::kCapture;
  ASSIGN_OR_RETURN(ProcessResult run, RunProcess(argv, io));
  if (run.Succeeded()) return Status::Ok();
  std::string why = run.output;
  while (!why.empty() && why.back() == '\n') why.pop_back();
  return FailedPreconditionError(helper + " " + run.Describe() + (why.empty() ? "" : ": " + why));
}

// FailedPrecondition unless every directory on the way to `path` can be searched by others: the
// container's root is an unprivileged host uid while liblxc mounts its rootfs.
Status CheckSearchable(const std::string& path) {
  std::string prefix;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos + 1);
    if (end == std::string::npos) end = path.size();
    prefix = path.substr(0, end);
    pos = end;
    if (prefix.empty()) continue;
    struct stat st;
    if (::stat(prefix.c_str(), &st) != 0) return PosixError("stat " + prefix, errno);
    if ((st.st_mode & S_IXOTH) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
      return FailedPreconditionError(prefix + " (mode " + mode +
                                     ") is not searchable by others; unprivileged containers' "
                                     "root must traverse it: chmod o+x " +
                                     prefix);
    }
  }
  return Status::Ok();
}

// Removes everything a container left: mounts and files under its directory, and cgroups that
// no process holds any more. Waits a little for liblxc's monitor, which removes the container's
// cgroups itself as it exits.
Status CleanUp(const std::string& name, const ContainerPaths& paths) {
  RETURN_IF_ERROR(internal::TearDownContainerDir(paths));
  const auto deadline = std::chrono::steady_clock::now() + kMonitorExitWait;
  for (;;) {
    Status s = internal::RemoveContainerCgroups(name);
    if (s.ok() || std::chrono::steady_clock::now() >= deadline) return s;
    // The monitor is still on its way out of its cgroup; nothing to wait on but the cgroup.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int64_t NowMs() { return Clock::Real()->NowMillis(); }

// liblxc's network items: a loopback-only namespace without a network, else a veth pair whose
// host end joins the bridge. The MAC address is derived from the IPv4 address (under the LXC
// prefix 00:16:3e), so a restarted container keeps its neighbours' ARP entries valid.
std::vector<std::pair<std::string, std::string>> NetworkConfig(const ContainerSpec::Network& net) {
  if (!net.enabled()) return {{"lxc.net.0.type", "empty"}};
  const uint32_t a = Ipv4Net::Parse(net.address).value_or(Ipv4Net{}).address;  // validated
  char mac[18];
  std::snprintf(mac, sizeof(mac), "00:16:3e:%02x:%02x:%02x", (a >> 16) & 0xff, (a >> 8) & 0xff,
                a & 0xff);
  return {{"lxc.net.0.type", "veth"},
          {"lxc.net.0.link", net.bridge},
          {"lxc.net.0.name", "eth0"},
          {"lxc.net.0.flags", "up"},
          {"lxc.net.0.hwaddr", mac},
          {"lxc.net.0.ipv4.address", net.address},
          {"lxc.net.0.ipv4.gateway", net.gateway}};
}

}  // namespace

Status RuntimeOptions::Validate() const {
  if (lxc_path.empty() || lxc_path[0] != '/') {
    return InvalidArgumentError("runtime: lxc_path must be an absolute path");
  }
  if (images_dir.empty() || images_dir[0] != '/') {
    return InvalidArgumentError("runtime: images_dir must be an absolute path");
  }
  RETURN_IF_ERROR(id_map.Validate());
  if (start_timeout.count() <= 0) return InvalidArgumentError("runtime: start_timeout <= 0");
  return Status::Ok();
}

Runtime::Runtime(RuntimeOptions options, CgroupLayout layout, HostResources host)
    : options_(std::move(options)), layout_(layout), host_(host) {}

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::Open(RuntimeOptions options) {
  RETURN_IF_ERROR(options.Validate());
  RETURN_IF_ERROR(MakeDirs(options.lxc_path, 0755));
  RETURN_IF_ERROR(MakeDirs(options.images_dir, 0755));
  ASSIGN_OR_RETURN(options.lxc_path, internal::CanonicalPath(options.lxc_path));
  ASSIGN_OR_RETURN(options.images_dir, internal::CanonicalPath(options.images_dir));
  RETURN_IF_ERROR(CheckSearchable(options.lxc_path));
  RETURN_IF_ERROR(CheckSearchable(options.images_dir));
  if (!options.subuid_path.empty()) {
    RETURN_IF_ERROR(EnsureSubordinateIds(options.subuid_path, "root", options.id_map));
  }
  if (!options.subgid_path.empty()) {
    RETURN_IF_ERROR(EnsureSubordinateIds(options.subgid_path, "root", options.id_map));
  }
  CgroupLayout layout;
  if (options.cgroup_layout) {
    layout = *options.cgroup_layout;
  } else {
    ASSIGN_OR_RETURN(layout, CgroupLayout::Detect());
  }
  HostResources host = options.host ? *options.host : HostResources::Detect();
  if (options.lxc_helper.empty()) {
    ASSIGN_OR_RETURN(options.lxc_helper, internal::CanonicalPath("/proc/self/exe"));
    options.lxc_helper =
        options.lxc_helper.substr(0, options.lxc_helper.rfind('/') + 1) + kLxcHelper;
  }
  if (::access(options.lxc_helper.c_str(), X_OK) != 0) {
    return FailedPreconditionError("runtime: cannot run the liblxc helper " + options.lxc_helper +
                                   ": " + std::strerror(errno) +
                                   " (it is built next to the berth binary)");
  }
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(options), layout, host));
  RETURN_IF_ERROR(runtime->Adopt());
  return runtime;
}

Status Runtime::Adopt() {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(options_.lxc_path, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!ValidateName("container", name).ok() || !it->is_directory(ec)) continue;
    const ContainerPaths paths = ContainerPaths::For(options_.lxc_path, name);
    // Ours: it has berth's spec or overlay directories. Anything else in lxc_path is left alone.
    if (!PathExists(paths.spec) && !PathExists(paths.delta)) continue;
    names.push_back(name);
  }
  if (ec) {
    return Status(StatusCode::kInternal, "listing " + options_.lxc_path + ": " + ec.message(),
                  ec.value());
  }
  for (const std::string& name : names) {
    const ContainerPaths paths = ContainerPaths::For(options_.lxc_path, name);
    ASSIGN_OR_RETURN(LxcHandle h, LxcHandle::Open(name, options_.lxc_path));
    if (!h.IsRunning()) {
      spdlog::info("runtime: removing what stopped container {} left behind", name);
      Status s = CleanUp(name, paths);
      if (!s.ok()) spdlog::warn("runtime: cleaning up {}: {}", name, s.ToString());
      continue;
    }
    ContainerSpec spec;
    Result<std::string> text = ReadFileToString(paths.spec);
    Result<ContainerSpec> decoded =
        text.ok() ? DecodeContainerSpec(*text) : Result<ContainerSpec>(text.status());
    if (decoded.ok()) {
      spec = *decoded;
    } else {
      spdlog::warn(
          "runtime: container {} runs but its spec is unreadable ({}); adopting it "
          "by name only",
          name, decoded.status().ToString());
      spec.name = name;
    }
    const pid_t init_pid = h.InitPid();
    auto entry = LookupOrCreate(name);
    {
      std::lock_guard<std::mutex> lock(mu_);
      entry->spec = spec;
      entry->init_pid = init_pid;
    }
    entry->started_ms = NowMs();
    spdlog::info("runtime: adopted running container {} (init pid {})", name, init_pid);
  }
  return Status::Ok();
}

std::shared_ptr<Runtime::Entry> Runtime::Lookup(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<Runtime::Entry> Runtime::LookupOrCreate(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = entries_[name];
  if (!slot) slot = std::make_shared<Entry>();
  return slot;
}

void Runtime::Erase(const std::string& name, const std::shared_ptr<Entry>& entry) {
  // REQUIRES: entry->op_mu held.
  entry->removed = true;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it != entries_.end() && it->second == entry) entries_.erase(it);
}

void Runtime::EraseUnlessRunning(const std::string& name, const std::shared_ptr<Entry>& entry,
                                 const Status& failure) {
  // REQUIRES: entry->op_mu held. A failed Start cleaned up, so nothing of it runs, unless it
  // failed because a container of that name runs already; an entry that never held a started
  // container (empty spec) tracks nothing either way.
  bool never_started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    never_started = entry->spec.name.empty();
  }
  if (failure.code() != StatusCode::kAlreadyExists || never_started) Erase(name, entry);
}

Result<StartResult> Runtime::Start(const ContainerSpec& spec) {
  RETURN_IF_ERROR(spec.Validate());
  RETURN_IF_ERROR(spec.limits.Validate(host_));
  const std::string image_rootfs = ImageRootfs(options_.images_dir, spec.image);
  if (!PathExists(image_rootfs)) {
    return NotFoundError("base image \"" + spec.image + "\" not found (no " + image_rootfs +
                         "); build it with `berth image build " + spec.image + " --busybox`");
  }
  ASSIGN_OR_RETURN(std::string parent, internal::CanonicalPath(spec.project_parent_dir));
  ASSIGN_OR_RETURN(bool parent_mounted, internal::IsMountPoint(parent));
  if (!parent_mounted) {
    return FailedPreconditionError("project parent dir " + parent +
                                   " is not a mount point (PrepareProjectParent it first)");
  }
  for (;;) {
    std::shared_ptr<Entry> entry = LookupOrCreate(spec.name);
    std::lock_guard<std::mutex> op(entry->op_mu);
    if (entry->removed) continue;  // a concurrent Stop erased it; take the fresh one
    Result<StartResult> result = StartLocked(*entry, spec, parent);
    if (!result.ok()) EraseUnlessRunning(spec.name, entry, result.status());
    return result;
  }
}

Result<StartResult> Runtime::StartLocked(Entry& entry, const ContainerSpec& spec,
                                         const std::string& parent) {
  const ContainerPaths paths = ContainerPaths::For(options_.lxc_path, spec.name);
  {
    ASSIGN_OR_RETURN(LxcHandle existing, LxcHandle::Open(spec.name, options_.lxc_path));
    if (existing.IsRunning()) {
      return AlreadyExistsError("container " + spec.name + " is already running (init pid " +
                                std::to_string(existing.InitPid()) + ")");
    }
  }
  ASSIGN_OR_RETURN(CgroupPlan plan, PlanLimits(spec.limits, layout_));
  // Whatever a dead or crashed container of this name left goes first.
  RETURN_IF_ERROR(CleanUp(spec.name, paths).WithContext("removing leftovers of " + spec.name));

  auto fail = [&](const Status& s) {
    Status cleaned = CleanUp(spec.name, paths);
    if (!cleaned.ok()) {
      spdlog::warn("runtime: cleaning up after failed start of {}: {}", spec.name,
                   cleaned.ToString());
    }
    return s;
  };
  Status s = internal::SetUpContainerDir(paths, ImageRootfs(options_.images_dir, spec.image),
                                         spec.project_id, options_.id_map);
  if (s.ok() && spec.network.enabled()) {
    Result<Ipv4Net> address = Ipv4Net::Parse(spec.network.address);
    Result<Ipv4Net> gateway = Ipv4Net::Parse(spec.network.gateway);
    s = address.ok() ? gateway.status() : address.status();
    if (s.ok()) s = EnsureBridge(spec.network.bridge, Ipv4Net{gateway->address, address->prefix});
  }
  if (!s.ok()) return fail(s);
  s = WriteFileAtomically(paths.seccomp, AsBytes(kSeccompPolicy), 0644);
  if (s.ok()) s = WriteFileAtomically(paths.spec, AsBytes(EncodeContainerSpec(spec)), 0644);
  if (s.ok()) {
    ContainerSpec configured = spec;
    configured.project_parent_dir = parent;
    s = ConfigureLxc(configured, plan);
  }
  if (!s.ok()) return fail(s);

  s = StartThroughHelper(options_.lxc_helper, options_.lxc_path, spec);
  Result<LxcHandle> h = LxcHandle::Open(spec.name, options_.lxc_path);
  if (!h.ok()) return fail(h.status());
  if (s.ok()) s = h->WaitForState("RUNNING", options_.start_timeout);
  if (!s.ok()) {
    h->Kill().IgnoreError();  // best effort: the start failed already
    h->WaitForState("STOPPED", options_.start_timeout).IgnoreError();
    return fail(s.WithContext("starting " + spec.name));
  }
  StartResult result;
  result.init_pid = h->InitPid();
  if (result.init_pid <= 0 || !h->IsRunning()) {
    h->WaitForState("STOPPED", options_.start_timeout).IgnoreError();
    return fail(
        FailedPreconditionError("container " + spec.name + ": init (" + spec.init_argv[0] +
                                ") exited right after start; log: " + LxcLogErrors(paths.log)));
  }
  result.warnings = plan.not_applied;
  for (std::string& w : ApplyIoWeight(spec.name, plan)) result.warnings.push_back(std::move(w));
  for (const std::string& w : result.warnings) {
    spdlog::warn("runtime: container {}: not applied: {}", spec.name, w);
  }
  std::lock_guard<std::mutex> lock(mu_);
  entry.spec = spec;
  entry.init_pid = result.init_pid;
  entry.started_ms = NowMs();
  entry.active_execs = 0;
  entry.exec_count = 0;
  return result;
}

Status Runtime::ConfigureLxc(const ContainerSpec& spec, const CgroupPlan& plan) {
  const ContainerPaths paths = ContainerPaths::For(options_.lxc_path, spec.name);
  ASSIGN_OR_RETURN(LxcHandle h, LxcHandle::Open(spec.name, options_.lxc_path));
  const std::string ids = " 0 " + std::to_string(options_.id_map.host_base) + " " +
                          std::to_string(options_.id_map.count);
  std::vector<std::pair<std::string, std::string>> items = {
      {"lxc.log.file", paths.log},
      {"lxc.log.level", options_.lxc_log_level},
      {"lxc.uts.name", spec.hostname.empty() ? spec.name : spec.hostname},
      {"lxc.rootfs.path", "dir:" + paths.rootfs},
      {"lxc.idmap", "u" + ids},
      {"lxc.idmap", "g" + ids},
      {"lxc.signal.halt", std::to_string(spec.halt_signal)},
      {"lxc.autodev", "1"},
      {"lxc.pty.max", "256"},
      {"lxc.tty.max", "0"},
      {"lxc.console.path", "none"},
      {"lxc.mount.auto", "proc:mixed sys:mixed cgroup:mixed"},
      // The project parent at /home; rslave so a remount of P/user on the host reaches the
      // running container (project_mounts.h).
      {"lxc.mount.entry", spec.project_parent_dir + " home none rbind,rslave,create=dir 0 0"},
      {"lxc.seccomp.profile", paths.seccomp},
  };
  for (const auto& item : NetworkConfig(spec.network)) items.push_back(item);
  for (const CgroupWrite& w : plan.writes) items.emplace_back(w.LxcConfigKey(), w.value);
  for (const auto& [key, value] : items) RETURN_IF_ERROR(h.SetConfigItem(key, value));
  return h.SaveConfig();
}

std::vector<std::string> Runtime::ApplyIoWeight(const std::string& name, const CgroupPlan& plan) {
  if (plan.io_weight_candidates.empty()) return {};
  Result<LxcHandle> h = LxcHandle::Open(name, options_.lxc_path);
  if (!h.ok()) return {"block I/O weight: " + h.status().ToString()};
  std::string tried;
  for (const CgroupWrite& w : plan.io_weight_candidates) {
    if (!h->GetCgroupItem(w.key).ok()) {
      tried += (tried.empty() ? "" : ", ") + w.key;
      continue;
    }
    Status s = h->SetCgroupItem(w.key, w.value);
    if (s.ok()) return {};
    return {"block I/O weight: " + s.ToString()};
  }
  return {"block I/O weight: this host's I/O scheduler offers no weight file (" + tried +
          " missing; BFQ provides one)"};
}

Status Runtime::Stop(const std::string& name, std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(ValidateName("container", name));
  for (;;) {
    std::shared_ptr<Entry> entry = LookupOrCreate(name);
    std::lock_guard<std::mutex> op(entry->op_mu);
    if (entry->removed) continue;
    Status s = StopLocked(name, timeout);
    if (s.ok()) {
      Erase(name, entry);
    } else {
      EraseUnlessRunning(name, entry, s);
    }
    return s;
  }
}

Status Runtime::StopLocked(const std::string& name, std::chrono::milliseconds timeout) {
  const ContainerPaths paths = ContainerPaths::For(options_.lxc_path, name);
  if (PathExists(paths.config)) {
    ASSIGN_OR_RETURN(LxcHandle h, LxcHandle::Open(name, options_.lxc_path));
    if (h.IsRunning()) {
      Status graceful = timeout.count() > 0
                            ? h.Shutdown(timeout)
                            : Status(StatusCode::kDeadlineExceeded, "no time to halt");
      if (!graceful.ok() || h.IsRunning()) {
        if (timeout.count() > 0) {
          spdlog::info("runtime: {} did not halt within {} ms; killing it", name, timeout.count());
        }
        RETURN_IF_ERROR(h.Kill());
        RETURN_IF_ERROR(h.WaitForState("STOPPED", options_.start_timeout));
      }
    }
  }
  return CleanUp(name, paths).WithContext("cleaning up after " + name);
}

Result<std::vector<std::string>> Runtime::SetLimits(const std::string& name,
                                                    const ResourceLimits& limits) {
  std::shared_ptr<Entry> entry = Lookup(name);
  if (!entry) return NotFoundError("container " + name + " is not running");
  std::lock_guard<std::mutex> op(entry->op_mu);
  if (entry->removed) return NotFoundError("container " + name + " is not running");
  ContainerSpec spec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    spec = entry->spec;
  }
  const ResourceLimits merged = spec.limits.MergedWith(limits);
  RETURN_IF_ERROR(merged.Validate(host_));
  // Only the fields being changed are written, but planned on the merged limits so that a memory
  // change carries the memory+swap file along (v1 memsw is a sum).
  ResourceLimits to_write = limits;
  if (limits.memory_bytes || limits.swap_bytes) {
    to_write.memory_bytes = merged.memory_bytes;
    to_write.swap_bytes = merged.swap_bytes;
  }
  ASSIGN_OR_RETURN(CgroupPlan plan, PlanLimits(to_write, layout_));
  ASSIGN_OR_RETURN(LxcHandle h, LxcHandle::Open(name, options_.lxc_path));
  if (!h.IsRunning()) {
    return FailedPreconditionError("container " + name +
                                   " is not running: its init exited (Stop it to clean up)");
  }
  // A v1 memory limit must not exceed memory+swap: lowering both needs memory first, raising
  // them memsw first. Writing in plan order and retrying what failed once covers both.
  std::vector<CgroupWrite> failed;
  for (const CgroupWrite& w : plan.writes) {
    if (!h.SetCgroupItem(w.key, w.value).ok()) failed.push_back(w);
  }
  for (const CgroupWrite& w : failed) RETURN_IF_ERROR(h.SetCgroupItem(w.key, w.value));
  std::vector<std::string> warnings = plan.not_applied;
  for (std::string& w : ApplyIoWeight(name, plan)) warnings.push_back(std::move(w));

  spec.limits = merged;
  const ContainerPaths paths = ContainerPaths::For(options_.lxc_path, name);
  Status saved = WriteFileAtomically(paths.spec, AsBytes(EncodeContainerSpec(spec)), 0644);
  if (!saved.ok()) spdlog::warn("runtime: recording new limits of {}: {}", name, saved.ToString());
  std::lock_guard<std::mutex> lock(mu_);
  entry->spec = spec;
  return warnings;
}

std::vector<ContainerSpec> Runtime::Running() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ContainerSpec> out;
  for (const auto& [name, entry] : entries_) {
    if (!entry->spec.name.empty()) out.push_back(entry->spec);
  }
  return out;
}

}  // namespace berth::runtime
