#ifndef BERTH_CLUSTER_CATALOG_H_
#define BERTH_CLUSTER_CATALOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "fs/project_id.h"

namespace berth::cluster {

// Per-project I/O limits enforced by the node daemon (token buckets); 0 means unlimited.
struct IoLimits {
  uint64_t read_bytes_per_second = 0;
  uint64_t write_bytes_per_second = 0;
  uint64_t iops = 0;
};

// Per-project container limits (cgroups, runtime/); 0 means the runtime's default (none).
struct ContainerLimits {
  uint64_t memory_bytes = 0;
  uint64_t swap_bytes = 0;   // swap on top of memory
  double cpu_cores = 0;      // CPU quota in cores, e.g. 1.5
  uint64_t cpu_weight = 0;   // relative CPU share, 1..10000
  uint64_t pids = 0;         // processes and threads
  uint64_t blkio_weight = 0; // relative block I/O share, 10..1000

  bool operator==(const ContainerLimits&) const = default;
};

// What the catalog knows of a project.
struct ProjectRecord {
  fs::ProjectId id;
  std::string name;            // unique; letters, digits, '-', '_', '.'; at most 64 bytes
  uint64_t quota_bytes = 0;    // 0: unlimited
  uint64_t quota_inodes = 0;   // 0: unlimited
  IoLimits io;
  bool mounted = false;        // wanted mounted: a restarted daemon mounts it again
  bool running = false;        // wanted running: its container is started with the node
  ContainerLimits limits;
  // The container's IPv4 address and prefix ("100.80.0.2/16"), allocated when its container
  // first starts with a network (berth start --network) and kept; empty: no network.
  std::string network_address;
  int64_t created_ms = 0;
};

// The catalog of projects behind one interface: embedded in the node's RocksDB by default
// (EmbeddedCatalog), etcd for several hosts later. Implementations are thread-safe.
class Catalog {
 public:
  virtual ~Catalog() = default;
  // AlreadyExists if the name is taken; InvalidArgument for a bad name.
  virtual Status CreateProject(const ProjectRecord& project) = 0;
  // By id (a UUID) or by name. NotFound with the name in the message.
  virtual Result<ProjectRecord> GetProject(std::string_view id_or_name) = 0;
  virtual Result<std::vector<ProjectRecord>> ListProjects() = 0;
  // Replaces the record with the same id (a rename keeps names unique). NotFound if absent.
  virtual Status UpdateProject(const ProjectRecord& project) = 0;
  virtual Status DeleteProject(const fs::ProjectId& id) = 0;
};

// Checks a project name: 1-64 bytes of [A-Za-z0-9._-], not starting with '.' or '-', and not a
// UUID (ids and names must not be confused).
Status ValidateProjectName(std::string_view name);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_CATALOG_H_
