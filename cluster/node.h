#ifndef BERTH_CLUSTER_NODE_H_
#define BERTH_CLUSTER_NODE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "cluster/catalog.h"
#include "cluster/embedded_catalog.h"
#include "cluster/tree_import.h"
#include "fs/file_data.h"
#include "fs/fuse_server.h"
#include "fs/live_tree.h"
#include "fs/snapshot_view.h"
#include "storage/chunker.h"
#include "snapshot/snapshot_store.h"
#include "storage/data_dir.h"

namespace berth::cluster {

struct NodeOptions {
  // The node's data: chunk store, live trees, catalog. Default: /var/lib/berth.
  std::string data_dir = "/var/lib/berth";
  // Projects are mounted at <mount_root>/<project id>. Default: /projects.
  std::string mount_root = "/projects";
  // At-rest encryption key file for the chunk store; empty: none. Default: empty.
  std::string encryption_key_file;
  // Plain writes are committed at least this often; fsync commits at once. Default: 5000 ms.
  int64_t commit_interval_ms = 5000;
  // Kernel caching of every mount (fs/fuse_server.h MountOptions). Defaults as there.
  double entry_timeout_s = fs::kDefaultEntryTimeoutSeconds;
  double attr_timeout_s = fs::kDefaultAttrTimeoutSeconds;
  double negative_timeout_s = fs::kDefaultNegativeTimeoutSeconds;
  bool writeback_cache = false;
  // Threads serving each mount's requests (fs/fuse_server.h MountOptions::threads).
  int fuse_threads = fs::kDefaultServingThreads;
  // The kernel's readahead window for each mount, KiB; 0: the kernel's default.
  uint32_t readahead_kib = fs::kDefaultReadaheadKib;
  // Owner of a new project's root directory: the project user as the host sees it (uid and gid
  // 1000 inside the container, shifted by the runtime's id map), so that user can write its
  // home. Default: 101000:101000.
  fs::Caller project_owner{101000, 101000};
  Clock* clock = Clock::Real();
};

// What `project list` shows.
struct ProjectStatus {
  ProjectRecord record;
  fs::Usage usage;
  bool mounted = false;
  std::string mountpoint;
};

// Changes `project set` can make; empty fields stay.
struct ProjectChange {
  std::optional<std::string> name;
  std::optional<uint64_t> quota_bytes, quota_inodes;
  std::optional<uint64_t> read_bytes_per_second, write_bytes_per_second, iops;
  std::optional<bool> running;
  std::optional<ContainerLimits> limits;
  std::optional<std::string> network_address;  // "": none
};

// A project opened for work beside its mount (snapshots, restore): borrowed for the duration of
// Node::WithProject only.
struct ProjectAccess {
  ProjectRecord record;
  fs::LiveTree* tree = nullptr;
  fs::FileData* data = nullptr;
  fs::FuseServer* server = nullptr;  // null when not mounted
};

// One berth node: its data directory, its catalog and the projects it serves. Projects are
// named by id or unique name everywhere. Thread-safe: one mutex serialises project management;
// FUSE traffic does not take it.
class Node {
 public:
  // Opens (or creates) the data directory, unmounts mounts a crashed daemon left behind and
  // mounts again every project that was mounted.
  static Result<std::unique_ptr<Node>> Start(const NodeOptions& options);
  ~Node();

  Result<ProjectRecord> CreateProject(const std::string& name, uint64_t quota_bytes,
                                      uint64_t quota_inodes);
  Result<std::vector<ProjectStatus>> ListProjects();
  Result<ProjectStatus> GetProject(const std::string& id_or_name);
  Result<ProjectRecord> SetProject(const std::string& id_or_name, const ProjectChange& change);
  // FailedPrecondition while mounted. Drops the project's live tree.
  Status DeleteProject(const std::string& id_or_name);
  Result<ProjectStatus> Mount(const std::string& id_or_name);
  Status Unmount(const std::string& id_or_name);
  // Copies a native directory tree into the project's root (modes, owners, ns times, symlinks,
  // special files, hard links; cluster/tree_import.h), invalidating the kernel's caches if the
  // project is mounted. `progress` gets the running totals, on the calling thread.
  // (cluster/import.cc)
  Result<ImportReport> Import(const std::string& id_or_name, const std::string& source,
                              const std::function<void(const ImportReport&)>& progress);

  // Commits everything, unmounts every project (they stay marked mounted, so the next start
  // mounts them again) and closes the data directory.
  Status Shutdown();

  // Runs `fn` on the project's open live tree (opening it if it is not mounted), under the
  // node's project lock: the project is neither unmounted nor deleted meanwhile. `fn` must not
  // call back into the node.
  Status WithProject(const std::string& id_or_name,
                     const std::function<Status(ProjectAccess&)>& fn);
  // The projects mounted now.
  std::vector<fs::ProjectId> MountedProjects();

  // The node's chunk store and snapshot records; valid while the node lives.
  storage::ChunkStore& chunks() { return data_dir_->chunks(); }
  snapshot::SnapshotStore& snapshots() { return *snapshots_; }

  const NodeOptions& options() const { return options_; }
  std::string MountpointOf(const fs::ProjectId& id) const;

 private:
  // A project's open live tree; mounted when `server` is set.
  struct OpenProject {
    std::unique_ptr<fs::LiveTree> tree;
    std::unique_ptr<fs::FileData> data;
    std::unique_ptr<fs::IoLimiter> limiter;
    std::unique_ptr<fs::SnapshotView> snapshots;  // `.snapshots/` of the mount
    std::unique_ptr<fs::FuseServer> server;  // destroyed first: it borrows the others
  };

  explicit Node(const NodeOptions& options);
  // REQUIRES: mu_ held.
  Result<OpenProject*> OpenLocked(const ProjectRecord& record);
  Status MountLocked(ProjectRecord record);
  Status UnmountLocked(const fs::ProjectId& id);
  void CommitLoop();

  const NodeOptions options_;
  std::unique_ptr<storage::DataDir> data_dir_;
  std::unique_ptr<EmbeddedCatalog> catalog_;
  std::unique_ptr<snapshot::SnapshotStore> snapshots_;
  storage::Chunker chunker_;

  std::mutex mu_;  // project management; lock order: mu_ before any tree's mutex
  std::map<fs::ProjectId, OpenProject> open_;  // GUARDED_BY(mu_)

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  bool stopping_ = false;  // GUARDED_BY(commit_mu_)
  std::thread committer_;
};

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_NODE_H_
