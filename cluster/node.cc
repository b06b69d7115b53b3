#include "cluster/node.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <spdlog/spdlog.h>

#include "base/file.h"
#include "cluster/live_restore.h"

namespace berth::cluster {

namespace {

fs::Limits LimitsOf(const ProjectRecord& record) {
  return fs::Limits{record.quota_inodes, record.quota_bytes};
}

fs::IoLimiter::Rates RatesOf(const ProjectRecord& record) {
  return {record.io.read_bytes_per_second, record.io.write_bytes_per_second, record.io.iops};
}

// A FUSE mount whose daemon died answers every request with ENOTCONN; detach it so the mount
// point can be used again. statfs, not stat: the kernel may answer stat from attributes it
// cached for a long time, but always asks the daemon for statfs. Stale mounts may be stacked (a
// crash after a crash), so detach until none is left.
void ClearStaleMount(const std::string& path) {
  struct statfs st;
  for (int i = 0; i < 16 && ::statfs(path.c_str(), &st) != 0 && errno == ENOTCONN; ++i) {
    spdlog::warn("detaching the stale mount at {} left by a crashed daemon", path);
    if (::umount2(path.c_str(), MNT_DETACH) != 0) break;
  }
}

}  // namespace

Node::Node(const NodeOptions& options) : options_(options) {}

Result<std::unique_ptr<Node>> Node::Start(const NodeOptions& options) {
  std::unique_ptr<Node> node(new Node(options));
  storage::DataDirOptions dir_options;
  dir_options.encryption_key_file = options.encryption_key_file;
  dir_options.clock = options.clock;
  dir_options.database.extra_families = fs::LiveTreeFamilies();
  dir_options.database.extra_families.push_back(kCatalogFamily);
  for (const std::string& family : snapshot::SnapshotFamilies()) {
    dir_options.database.extra_families.push_back(family);
  }
  ASSIGN_OR_RETURN(node->data_dir_, storage::DataDir::Open(options.data_dir, dir_options));
  ASSIGN_OR_RETURN(node->catalog_, EmbeddedCatalog::Open(&node->data_dir_->database()));
  ASSIGN_OR_RETURN(node->snapshots_, snapshot::SnapshotStore::Open(&node->data_dir_->chunks()));
  // Dirty buffers hold only uncommitted writes, which a restart has lost anyway.
  std::error_code ec;
  std::filesystem::remove_all(options.data_dir + "/dirty", ec);
  RETURN_IF_ERROR(MakeDirs(options.mount_root, 0755));

  ASSIGN_OR_RETURN(auto projects, node->catalog_->ListProjects());
  {
    std::lock_guard<std::mutex> lock(node->mu_);
    for (const ProjectRecord& record : projects) {
      if (!record.mounted) continue;
      Status mounted = node->MountLocked(record);
      if (!mounted.ok()) {
        spdlog::error("could not mount project {} ({}) again: {}", record.name,
                      record.id.ToString(), mounted.ToString());
      }
    }
  }
  node->committer_ = std::thread([n = node.get()] { n->CommitLoop(); });
  return node;
}

Node::~Node() {
  Status s = Shutdown();
  if (!s.ok()) spdlog::error("node shutdown: {}", s.ToString());
}

std::string Node::MountpointOf(const fs::ProjectId& id) const {
  return options_.mount_root + "/" + id.ToString();
}

void Node::CommitLoop() {
  std::unique_lock<std::mutex> lock(commit_mu_);
  while (!stopping_) {
    commit_cv_.wait_for(lock, std::chrono::milliseconds(options_.commit_interval_ms),
                        [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    {
      std::lock_guard<std::mutex> projects(mu_);
      for (auto& [id, open] : open_) {
        Status s = open.data->CommitAll();
        if (!s.ok()) spdlog::error("commit of project {}: {}", id.ToString(), s.ToString());
      }
    }
    lock.lock();
  }
}

Result<Node::OpenProject*> Node::OpenLocked(const ProjectRecord& record) {
  auto it = open_.find(record.id);
  if (it == open_.end()) {
    OpenProject project;
    ASSIGN_OR_RETURN(project.tree, fs::LiveTree::Open(&data_dir_->database(), record.id,
                                                       options_.project_owner, options_.clock));
    fs::FileDataOptions data_options;
    data_options.dirty_dir = options_.data_dir + "/dirty";
    data_options.clock = options_.clock;
    ASSIGN_OR_RETURN(project.data, fs::FileData::Open(project.tree.get(), &data_dir_->chunks(),
                                                      &chunker_, data_options));
    project.limiter = std::make_unique<fs::IoLimiter>(options_.clock);
    // A restore killed midway may have left temporaries: gone before anything (the kernel, a
    // snapshot, a restore) can see them. Only a crash leaves them, so once per open suffices.
    auto leftovers = RemoveRestoreLeftovers(*project.tree, /*server=*/nullptr);
    if (!leftovers.ok()) return leftovers.status().WithContext("removing restore leftovers");
    it = open_.emplace(record.id, std::move(project)).first;
  }
  it->second.tree->set_limits(LimitsOf(record));
  it->second.limiter->set_rates(RatesOf(record));
  return &it->second;
}

Status Node::MountLocked(ProjectRecord record) {
  ASSIGN_OR_RETURN(OpenProject * project, OpenLocked(record));
  if (project->server) return Status::Ok();
  const std::string mountpoint = MountpointOf(record.id);
  ClearStaleMount(mountpoint);
  RETURN_IF_ERROR(MakeDirs(mountpoint, 0755));
  fs::MountOptions mount_options;
  mount_options.limiter = project->limiter.get();
  ASSIGN_OR_RETURN(fs::Inode root, project->tree->GetAttr(fs::kRootIno));
  project->snapshots = std::make_unique<fs::SnapshotView>(
      snapshots_.get(), &data_dir_->chunks(), snapshot::ProjectKey(record.id.key()), root.uid,
      root.gid);
  mount_options.snapshots = project->snapshots.get();
  mount_options.entry_timeout_s = options_.entry_timeout_s;
  mount_options.attr_timeout_s = options_.attr_timeout_s;
  mount_options.negative_timeout_s = options_.negative_timeout_s;
  mount_options.threads = options_.fuse_threads;
  mount_options.readahead_kib = options_.readahead_kib;
  mount_options.writeback_cache = options_.writeback_cache;
  ASSIGN_OR_RETURN(project->server, fs::FuseServer::Mount(project->tree.get(), project->data.get(),
                                                          mountpoint, mount_options));
  if (!record.mounted) {
    record.mounted = true;
    RETURN_IF_ERROR(catalog_->UpdateProject(record));
  }
  spdlog::info("mounted project {} ({}) at {}", record.name, record.id.ToString(), mountpoint);
  return Status::Ok();
}

Status Node::UnmountLocked(const fs::ProjectId& id) {
  auto it = open_.find(id);
  if (it == open_.end()) return Status::Ok();
  Status result;
  if (it->second.server) result = it->second.server->Unmount();
  Status committed = it->second.data->CommitAll();
  if (result.ok()) result = committed;
  open_.erase(it);
  return result;
}

Result<ProjectRecord> Node::CreateProject(const std::string& name, uint64_t quota_bytes,
                                          uint64_t quota_inodes) {
  std::lock_guard<std::mutex> lock(mu_);
  ProjectRecord record;
  record.id = fs::ProjectId::Generate();
  record.name = name;
  record.quota_bytes = quota_bytes;
  record.quota_inodes = quota_inodes;
  record.created_ms = options_.clock->NowMillis();
  RETURN_IF_ERROR(catalog_->CreateProject(record));
  return record;
}

Result<ProjectStatus> Node::GetProject(const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
  ProjectStatus status;
  status.record = record;
  auto it = open_.find(record.id);
  status.mounted = it != open_.end() && it->second.server != nullptr;
  status.mountpoint = MountpointOf(record.id);
  if (it != open_.end()) {
    status.usage = it->second.tree->usage();
  } else {
    ASSIGN_OR_RETURN(OpenProject * project, OpenLocked(record));
    status.usage = project->tree->usage();
    open_.erase(record.id);
  }
  return status;
}

Result<std::vector<ProjectStatus>> Node::ListProjects() {
  ASSIGN_OR_RETURN(auto records, catalog_->ListProjects());
  std::vector<ProjectStatus> out;
  for (const ProjectRecord& record : records) {
    ASSIGN_OR_RETURN(ProjectStatus status, GetProject(record.id.ToString()));
    out.push_back(std::move(status));
  }
  return out;
}

Result<ProjectRecord> Node::SetProject(const std::string& id_or_name, const ProjectChange& c) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
  if (c.name) record.name = *c.name;
  if (c.quota_bytes) record.quota_bytes = *c.quota_bytes;
  if (c.quota_inodes) record.quota_inodes = *c.quota_inodes;
  if (c.read_bytes_per_second) record.io.read_bytes_per_second = *c.read_bytes_per_second;
  if (c.write_bytes_per_second) record.io.write_bytes_per_second = *c.write_bytes_per_second;
  if (c.iops) record.io.iops = *c.iops;
  if (c.running) record.running = *c.running;
  if (c.limits) record.limits = *c.limits;
  if (c.network_address) record.network_address = *c.network_address;
  RETURN_IF_ERROR(catalog_->UpdateProject(record));
  if (auto it = open_.find(record.id); it != open_.end()) {
    it->second.tree->set_limits(LimitsOf(record));
    it->second.limiter->set_rates(RatesOf(record));
  }
  return record;
}

Status Node::DeleteProject(const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
  if (open_.count(record.id) && open_[record.id].server) {
    return FailedPreconditionError("project " + record.name + " is mounted; unmount it first");
  }
  open_.erase(record.id);
  RETURN_IF_ERROR(fs::DeleteLiveTree(&data_dir_->database(), record.id));
  // Its snapshots go with it; their objects stay until gc finds them unreferenced.
  RETURN_IF_ERROR(snapshots_->DeleteAll(snapshot::ProjectKey(record.id.key()), /*sync=*/true));
  RETURN_IF_ERROR(catalog_->DeleteProject(record.id));
  std::error_code ec;
  std::filesystem::remove(MountpointOf(record.id), ec);
  return Status::Ok();
}

Status Node::WithProject(const std::string& id_or_name,
                         const std::function<Status(ProjectAccess&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
  ASSIGN_OR_RETURN(OpenProject * project, OpenLocked(record));
  ProjectAccess access{record, project->tree.get(), project->data.get(), project->server.get()};
  return fn(access);
}

std::vector<fs::ProjectId> Node::MountedProjects() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<fs::ProjectId> ids;
  for (const auto& [id, open] : open_) {
    if (open.server) ids.push_back(id);
  }
  return ids;
}

Result<ProjectStatus> Node::Mount(const std::string& id_or_name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
    RETURN_IF_ERROR(MountLocked(record));
  }
  return GetProject(id_or_name);
}

Status Node::Unmount(const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
  RETURN_IF_ERROR(UnmountLocked(record.id));
  record.mounted = false;
  return catalog_->UpdateProject(record);
}

Status Node::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    if (stopping_) return Status::Ok();
    stopping_ = true;
  }
  commit_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  Status result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<fs::ProjectId> ids;
    for (const auto& [id, open] : open_) ids.push_back(id);
    for (const auto& id : ids) {
      Status s = UnmountLocked(id);
      if (!s.ok() && result.ok()) result = s;
    }
  }
  catalog_.reset();
  if (data_dir_) {
    Status closed = data_dir_->Close();
    if (!closed.ok() && result.ok()) result = closed;
    data_dir_.reset();
  }
  return result;
}

}  // namespace berth::cluster
