#ifndef BERTH_CLUSTER_CONTAINER_SERVICE_H_
#define BERTH_CLUSTER_CONTAINER_SERVICE_H_

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/status.h"
#include "cluster/catalog.h"
#include "cluster/node.h"
#include "runtime/idle_tracker.h"
#include "runtime/runtime.h"

namespace berth::cluster {

struct ContainerServiceOptions {
  // The node's data dir: containers live in <data_dir>/containers, base images in
  // <data_dir>/images, and each project's parent directory (bound into its container at /home)
  // in <data_dir>/homes/<id>. Every directory on the way must be searchable by others (o+x):
  // the container's mapped root walks them. Required.
  std::string data_dir;
  // The base image containers start from. Default: "busybox" (berth image build busybox
  // --busybox).
  std::string image = "busybox";
  // How long `stop` (and the daemon's shutdown) waits for a container to halt before killing it.
  // Default: 10 s.
  std::chrono::milliseconds stop_timeout = std::chrono::seconds(10);
  // A container nobody used for idle.idle_timeout is stopped (0: never). Default: 30 minutes.
  runtime::IdleOptions idle;
  // Containers' optional network (berth start --network): a veth whose host end joins the bridge
  // `network_bridge`, which holds the subnet's first address; each project gets the lowest free
  // address of `network_subnet`, kept in the catalog. Nothing leaves the host: berth adds no
  // uplink, forwarding or NAT (doc/runtime.md). Defaults: "berth0" and 100.80.0.0/16 (shared
  // address space, RFC 6598: private to this host here).
  std::string network_bridge = "berth0";
  std::string network_subnet = "100.80.0.0/16";
  // How often containers are sampled for idleness. Default: 10 s.
  std::chrono::milliseconds idle_check_interval = std::chrono::seconds(10);
  Clock* clock = Clock::Real();
};

// A running project container as `berth ps` shows it.
struct ContainerStatus {
  ProjectRecord record;
  runtime::ContainerStats stats;
};

// The node's project containers (runtime/): one per running project, with the project's FUSE
// mount at /home/user inside, limits from the catalog, and idle containers stopped.
//
// The mount reaches the container through the project's parent directory P: a shared mount on
// the host, bound into the container rbind,rslave at /home, holding a bind of the FUSE mount at
// P/user. After a daemon restart the node mounts the project again and Open binds it again at
// P/user, which the running container sees at once.
//
// Thread-safe. Borrows `node`, which must outlive it.
class ContainerService {
 public:
  // Opens the runtime and reconciles: a running container whose project the node serves
  // mounted gets its mount bound again (healing it); any other is stopped; projects the catalog
  // wants running are started. When the runtime cannot open (no LXC, a data dir others cannot
  // search), the service still opens and every operation fails with that reason.
  static std::unique_ptr<ContainerService> Open(Node* node, const ContainerServiceOptions& options);
  ~ContainerService();
  ContainerService(const ContainerService&) = delete;
  ContainerService& operator=(const ContainerService&) = delete;

  // Mounts the project if needed and starts its container. `network`: true gives it a network
  // (an address is allocated the first time and kept), false takes it away, unset keeps what the
  // catalog has. AlreadyExists if it runs; NotFound naming the image when the base image is
  // missing; ResourceExhausted when the subnet is full. Returns the container's name, its address
  // (empty without a network) and warnings about limits this host cannot apply.
  struct Started {
    std::string container;
    std::string address;
    std::vector<std::string> warnings;
  };
  Result<Started> Start(const std::string& project, std::optional<bool> network = std::nullopt);
  // Stops the container (halt, then kill after `timeout`); no process or mount of it is left.
  // OK when it does not run.
  Status Stop(const std::string& project, std::chrono::milliseconds timeout);
  // Runs argv in the project's container as the project user with the given stdin, stdout and
  // stderr; returns its exit code. FailedPrecondition when the container does not run.
  Result<int> Exec(const std::string& project, const std::vector<std::string>& argv,
                   const std::array<int, 3>& stdio);
  Result<std::vector<ContainerStatus>> List();
  // Fields set replace the catalog's; 0 means none.
  struct LimitsChange {
    std::optional<uint64_t> memory_bytes, swap_bytes, cpu_weight, pids, blkio_weight;
    std::optional<double> cpu_cores;
  };
  struct LimitsOutcome {
    ContainerLimits limits;             // the project's limits after the change
    std::vector<std::string> warnings;  // limits this host could not apply, and why
  };
  // Stores new limits in the catalog and applies them live when the container runs (a limit
  // lifted to none takes effect at the next start). InvalidArgument for limits that make no sense
  // (negative, NaN, above the host), with nothing changed.
  Result<LimitsOutcome> SetLimits(const std::string& project, const LimitsChange& change);
  // Builds a base image from Debian's busybox-static; returns its root filesystem's path.
  Result<std::string> BuildBusyboxImage(const std::string& name);
  // Whether the project's container runs.
  bool IsRunning(const fs::ProjectId& id);
  // Stops every container (the daemon's shutdown). The catalog still wants them running, so the
  // next start starts them again.
  void StopAll();

 private:
  ContainerService(Node* node, const ContainerServiceOptions& options);
  Status Reconcile();
  void IdleLoop();
  Status RuntimeReady() const;
  std::string ParentDir(const fs::ProjectId& id) const;
  static std::string ContainerName(const fs::ProjectId& id);
  Result<std::vector<std::string>> StartLocked(const ProjectStatus& project);
  Result<runtime::ContainerSpec::Network> NetworkOf(const ProjectRecord& record) const;
  Result<std::string> AllocateAddressLocked(const ProjectRecord& record);
  Status StopLocked(const ProjectRecord& record, std::chrono::milliseconds timeout);

  Node* const node_;
  const ContainerServiceOptions options_;
  std::unique_ptr<runtime::Runtime> runtime_;  // null when it failed to open
  Status runtime_error_;

  std::mutex mu_;  // serialises start and stop; not held while a command runs in a container

  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  bool stopping_ = false;  // GUARDED_BY(idle_mu_)
  std::thread idle_thread_;
};

// The runtime's limits for the catalog's: 0 means none, so only non-zero fields are set.
runtime::ResourceLimits ToRuntimeLimits(const ContainerLimits& limits);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_CONTAINER_SERVICE_H_
