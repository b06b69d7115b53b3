#include "cluster/container_service.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <set>

#include "runtime/image.h"
#include "runtime/network.h"
#include "runtime/project_mounts.h"

namespace berth::cluster {

namespace {

int64_t Signed(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

runtime::ResourceLimits ToRuntimeLimits(const ContainerLimits& l) {
  runtime::ResourceLimits r;
  if (l.memory_bytes) r.memory_bytes = Signed(l.memory_bytes);
  if (l.swap_bytes) r.swap_bytes = Signed(l.swap_bytes);
  if (l.cpu_cores > 0) r.cpu_cores = l.cpu_cores;
  if (l.cpu_weight) r.cpu_weight = Signed(l.cpu_weight);
  if (l.pids) r.pids = Signed(l.pids);
  if (l.blkio_weight) r.blkio_weight = Signed(l.blkio_weight);
  return r;
}

ContainerService::ContainerService(Node* node, const ContainerServiceOptions& options)
    : node_(node), options_(options) {}

std::unique_ptr<ContainerService> ContainerService::Open(Node* node,
                                                        const ContainerServiceOptions& options) {
  std::unique_ptr<ContainerService> service(new ContainerService(node, options));
  runtime::RuntimeOptions runtime_options;
  runtime_options.lxc_path = options.data_dir + "/containers";
  runtime_options.images_dir = options.data_dir + "/images";
  // The data dir is the node's own; its contents stay root-only, but the containers' mapped root
  // must be able to walk through it to their root filesystems.
  struct stat st;
  if (::stat(options.data_dir.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
    ::chmod(options.data_dir.c_str(), (st.st_mode & 07777) | S_IXOTH);
  }
  auto opened = runtime::Runtime::Open(runtime_options);
  if (!opened.ok()) {
    service->runtime_error_ = opened.status();
    spdlog::warn("containers are unavailable on this node: {}", opened.status().ToString());
    return service;
  }
  service->runtime_ = std::move(opened).value();
  if (Status s = service->Reconcile(); !s.ok()) {
    spdlog::warn("reconciling containers: {}", s.ToString());
  }
  if (options.idle.idle_timeout.count() > 0) {
    service->idle_thread_ = std::thread([s = service.get()] { s->IdleLoop(); });
  }
  return service;
}

ContainerService::~ContainerService() {
  {
    std::lock_guard<std::mutex> lock(idle_mu_);
    stopping_ = true;
  }
  idle_cv_.notify_all();
  if (idle_thread_.joinable()) idle_thread_.join();
}

Status ContainerService::RuntimeReady() const {
  if (runtime_ != nullptr) return Status::Ok();
  return FailedPreconditionError("containers are unavailable on this node: " +
                                 runtime_error_.ToString());
}

std::string ContainerService::ParentDir(const fs::ProjectId& id) const {
  return options_.data_dir + "/homes/" + id.ToString();
}

std::string ContainerService::ContainerName(const fs::ProjectId& id) {
  return "berth-" + id.ToString();
}

Status ContainerService::Reconcile() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const runtime::ContainerSpec& spec : runtime_->Running()) {
    auto project = node_->GetProject(spec.project_id);
    if (project.ok() && project->mounted) {
      // The node mounted the project again at start: bind the new mount where the running
      // container looks.
      Status bound = runtime::BindProject(project->mountpoint, spec.project_parent_dir);
      if (bound.ok()) {
        spdlog::info("container {} of project {} kept; its mount is bound again", spec.name,
                     project->record.name);
        continue;
      }
      spdlog::warn("container {}: {}; stopping it", spec.name, bound.ToString());
    }
    RETURN_IF_ERROR(runtime_->Stop(spec.name, options_.stop_timeout));
    (void)runtime::ReleaseProjectParent(spec.project_parent_dir);
  }
  ASSIGN_OR_RETURN(auto projects, node_->ListProjects());
  for (const ProjectStatus& project : projects) {
    if (!project.record.running || IsRunning(project.record.id)) continue;
    auto started = StartLocked(project);
    if (!started.ok()) {
      spdlog::warn("starting the container of {}: {}", project.record.name,
                   started.status().ToString());
    }
  }
  return Status::Ok();
}

bool ContainerService::IsRunning(const fs::ProjectId& id) {
  if (runtime_ == nullptr) return false;
  auto stats = runtime_->Stats(ContainerName(id));
  return stats.ok() && stats->running;
}

Result<std::vector<std::string>> ContainerService::StartLocked(const ProjectStatus& project) {
  ProjectStatus mounted = project;
  if (!mounted.mounted) {
    ASSIGN_OR_RETURN(mounted, node_->Mount(project.record.id.ToString()));
  }
  const std::string parent = ParentDir(project.record.id);
  RETURN_IF_ERROR(runtime::PrepareProjectParent(parent));
  RETURN_IF_ERROR(runtime::BindProject(mounted.mountpoint, parent));
  runtime::ContainerSpec spec;
  spec.name = ContainerName(project.record.id);
  spec.project_id = project.record.id.ToString();
  spec.image = options_.image;
  spec.project_parent_dir = parent;
  spec.limits = ToRuntimeLimits(project.record.limits);
  ASSIGN_OR_RETURN(spec.network, NetworkOf(project.record));
  auto started = runtime_->Start(spec);
  if (!started.ok()) {
    (void)runtime::ReleaseProjectParent(parent);
    return started.status();
  }
  return started->warnings;
}

Result<runtime::ContainerSpec::Network> ContainerService::NetworkOf(
    const ProjectRecord& record) const {
  if (record.network_address.empty()) return runtime::ContainerSpec::Network{};
  ASSIGN_OR_RETURN(runtime::Ipv4Net subnet, runtime::Ipv4Net::Parse(options_.network_subnet));
  ASSIGN_OR_RETURN(runtime::Ipv4Net gateway, runtime::SubnetGateway(subnet));
  ASSIGN_OR_RETURN(runtime::Ipv4Net address, runtime::Ipv4Net::Parse(record.network_address));
  if (!subnet.Contains(address.address) || address.prefix != subnet.prefix) {
    return FailedPreconditionError("project " + record.name + "'s address " +
                                   record.network_address + " is outside the container subnet " +
                                   subnet.ToString() + "; `berth start " + record.name +
                                   " --network` allocates a new one");
  }
  return runtime::ContainerSpec::Network{options_.network_bridge, address.ToString(),
                                         runtime::FormatIpv4(gateway.address)};
}

// The project's address, kept if it is in the subnet, else the lowest one no project holds.
Result<std::string> ContainerService::AllocateAddressLocked(const ProjectRecord& record) {
  ASSIGN_OR_RETURN(runtime::Ipv4Net subnet, runtime::Ipv4Net::Parse(options_.network_subnet));
  auto current = runtime::Ipv4Net::Parse(record.network_address);
  if (current.ok() && subnet.Contains(current->address) && current->prefix == subnet.prefix) {
    return record.network_address;
  }
  ASSIGN_OR_RETURN(auto projects, node_->ListProjects());
  std::set<uint32_t> used;
  for (const ProjectStatus& p : projects) {
    auto held = runtime::Ipv4Net::Parse(p.record.network_address);
    if (held.ok()) used.insert(held->address);
  }
  ASSIGN_OR_RETURN(runtime::Ipv4Net address, runtime::AllocateAddress(subnet, used));
  return address.ToString();
}

Result<ContainerService::Started> ContainerService::Start(const std::string& project,
                                                          std::optional<bool> network) {
  RETURN_IF_ERROR(RuntimeReady());
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectStatus status, node_->GetProject(project));
  if (IsRunning(status.record.id)) {
    return AlreadyExistsError("the container of " + status.record.name + " is running already");
  }
  if (network) {
    // Recorded before the start, so the address is held even if the start fails.
    std::string address;
    if (*network) {
      ASSIGN_OR_RETURN(address, AllocateAddressLocked(status.record));
    }
    if (address != status.record.network_address) {
      ProjectChange change;
      change.network_address = address;
      ASSIGN_OR_RETURN(status.record, node_->SetProject(status.record.id.ToString(), change));
    }
  }
  Started out;
  out.container = ContainerName(status.record.id);
  out.address = status.record.network_address;
  ASSIGN_OR_RETURN(out.warnings, StartLocked(status));
  ProjectChange change;
  change.running = true;
  RETURN_IF_ERROR(node_->SetProject(status.record.id.ToString(), change).status());
  return out;
}

Status ContainerService::StopLocked(const ProjectRecord& record, std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(runtime_->Stop(ContainerName(record.id), timeout));
  return runtime::ReleaseProjectParent(ParentDir(record.id));
}

Status ContainerService::Stop(const std::string& project, std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(RuntimeReady());
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectStatus status, node_->GetProject(project));
  RETURN_IF_ERROR(StopLocked(status.record, timeout));
  ProjectChange change;
  change.running = false;
  return node_->SetProject(status.record.id.ToString(), change).status();
}

void ContainerService::StopAll() {
  if (runtime_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const runtime::ContainerSpec& spec : runtime_->Running()) {
    Status stopped = runtime_->Stop(spec.name, options_.stop_timeout);
    if (stopped.ok()) stopped = runtime::ReleaseProjectParent(spec.project_parent_dir);
    if (!stopped.ok()) spdlog::warn("stopping container {}: {}", spec.name, stopped.ToString());
  }
}

Result<int> ContainerService::Exec(const std::string& project,
                                   const std::vector<std::string>& argv,
                                   const std::array<int, 3>& stdio) {
  RETURN_IF_ERROR(RuntimeReady());
  if (argv.empty()) return InvalidArgumentError("exec needs a command");
  ASSIGN_OR_RETURN(ProjectStatus status, node_->GetProject(project));
  if (!IsRunning(status.record.id)) {
    return FailedPreconditionError("the container of " + status.record.name +
                                   " is not running; start it with `berth start " +
                                   status.record.name + "`");
  }
  runtime::ExecOptions exec;
  exec.stdin_fd = stdio[0];
  exec.stdout_fd = stdio[1];
  exec.stderr_fd = stdio[2];
  exec.env = {"HOME=/home/user", "USER=user", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
              "TERM=" + std::string(std::getenv("TERM") ? std::getenv("TERM") : "dumb")};
  return runtime_->Exec(ContainerName(status.record.id), argv, exec);
}

Result<std::vector<ContainerStatus>> ContainerService::List() {
  RETURN_IF_ERROR(RuntimeReady());
  std::vector<ContainerStatus> out;
  for (runtime::ContainerStats& stats : runtime_->List()) {
    auto project = node_->GetProject(stats.spec.project_id);
    if (!project.ok()) continue;  // not one of this node's projects any more
    out.push_back({project->record, std::move(stats)});
  }
  return out;
}

Result<ContainerService::LimitsOutcome> ContainerService::SetLimits(const std::string& project,
                                                                   const LimitsChange& change) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectStatus status, node_->GetProject(project));
  ContainerLimits limits = status.record.limits;
  if (change.memory_bytes) limits.memory_bytes = *change.memory_bytes;
  if (change.swap_bytes) limits.swap_bytes = *change.swap_bytes;
  if (change.cpu_cores) limits.cpu_cores = *change.cpu_cores;
  if (change.cpu_weight) limits.cpu_weight = *change.cpu_weight;
  if (change.pids) limits.pids = *change.pids;
  if (change.blkio_weight) limits.blkio_weight = *change.blkio_weight;
  const runtime::ResourceLimits wanted = ToRuntimeLimits(limits);
  if (change.cpu_cores && (*change.cpu_cores < 0 || *change.cpu_cores != *change.cpu_cores)) {
    return InvalidArgumentError("--cpu must be a number of cores above zero");
  }
  RETURN_IF_ERROR(wanted.Validate(runtime::HostResources::Detect()));
  LimitsOutcome out;
  out.limits = limits;
  if (runtime_ != nullptr && IsRunning(status.record.id)) {
    ASSIGN_OR_RETURN(out.warnings, runtime_->SetLimits(ContainerName(status.record.id), wanted));
  }
  ProjectChange record_change;
  record_change.limits = limits;
  RETURN_IF_ERROR(node_->SetProject(status.record.id.ToString(), record_change).status());
  return out;
}

Result<std::string> ContainerService::BuildBusyboxImage(const std::string& name) {
  RETURN_IF_ERROR(RuntimeReady());
  runtime::BusyboxImageOptions image;
  image.id_map = runtime_->options().id_map;
  RETURN_IF_ERROR(runtime::BuildBusyboxImage(runtime_->options().images_dir, name, image));
  return runtime::ImageRootfs(runtime_->options().images_dir, name);
}

void ContainerService::IdleLoop() {
  runtime::IdleTracker tracker(options_.clock, options_.idle);
  std::unique_lock<std::mutex> lock(idle_mu_);
  while (!idle_cv_.wait_for(lock, options_.idle_check_interval, [this] { return stopping_; })) {
    lock.unlock();
    for (const runtime::ContainerStats& stats : runtime_->List()) {
      if (stats.running) {
        tracker.Observe(stats.spec.name,
                        {stats.cpu_nanos, stats.active_execs, stats.exec_count});
      }
    }
    for (const std::string& name : tracker.IdleContainers()) {
      tracker.Forget(name);
      for (const runtime::ContainerSpec& spec : runtime_->Running()) {
        if (spec.name != name) continue;
        spdlog::info("stopping idle container {}", name);
        Status stopped = Stop(spec.project_id, options_.stop_timeout);
        if (!stopped.ok()) spdlog::warn("stopping idle container {}: {}", name, stopped.ToString());
      }
    }
    lock.lock();
  }
}

}  // namespace berth::cluster
