#ifndef BERTH_RUNTIME_CGROUP_LAYOUT_H_
#define BERTH_RUNTIME_CGROUP_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/resource_limits.h"

namespace berth::runtime {

enum class CgroupVersion { kNone, kV1, kV2 };
std::string_view CgroupVersionName(CgroupVersion version);  // "none", "v1", "v2"

// Which cgroup hierarchy carries each controller berth uses. On a hybrid host (v1 controllers
// with a v2 hierarchy mounted beside them, like the development machine) a controller bound to a
// v1 hierarchy is v1 even though the unified hierarchy exists: that is where liblxc finds it.
struct CgroupLayout {
  CgroupVersion memory = CgroupVersion::kNone;
  CgroupVersion cpu = CgroupVersion::kNone;      // weight and quota
  CgroupVersion cpuacct = CgroupVersion::kNone;  // CPU time: v1 "cpuacct", v2 cpu.stat
  CgroupVersion pids = CgroupVersion::kNone;
  CgroupVersion io = CgroupVersion::kNone;  // v1 "blkio", v2 "io"
  // Swap accounting: v1 needs the memory.memsw.* files (swapaccount=1); on v2 it is assumed
  // with the memory controller (the default since Linux 5.8).
  bool memory_swap = false;

  // From /proc/<pid>/cgroup text ("4:memory:/x" lines for v1, "0::/x" for v2), the unified
  // hierarchy's root cgroup.controllers ("cpu io memory pids", empty if none is mounted) and
  // whether the v1 memory hierarchy has memory.memsw.limit_in_bytes.
  static CgroupLayout FromProcCgroup(std::string_view proc_cgroup,
                                     std::string_view v2_root_controllers, bool v1_memsw);
  // This host's layout, from /proc/self/cgroup and the mounted hierarchies.
  static Result<CgroupLayout> Detect();

  // "memory=v1 cpu=v1 cpuacct=v1 pids=v1 io=v1 swap=yes".
  std::string ToString() const;
  bool operator==(const CgroupLayout&) const = default;
};

// One cgroup file write: key is the file name in the container's cgroup ("memory.max").
struct CgroupWrite {
  CgroupVersion version = CgroupVersion::kV1;
  std::string key;
  std::string value;

  // The liblxc config item that makes the write at start: "lxc.cgroup.<key>" (v1) or
  // "lxc.cgroup2.<key>" (v2).
  std::string LxcConfigKey() const;
  bool operator==(const CgroupWrite&) const = default;
};

// How a ResourceLimits becomes cgroup writes on one layout.
struct CgroupPlan {
  // In the order a fresh cgroup needs them (v1: memory before memsw, which must not be lower).
  std::vector<CgroupWrite> writes;
  // The block I/O weight, whose file depends on the I/O scheduler and exists only once the
  // container's cgroup does: the first candidate whose file exists is written, after start.
  std::vector<CgroupWrite> io_weight_candidates;
  // Limits this host cannot apply, each with the reason (the container still starts).
  std::vector<std::string> not_applied;
};

// The mapping, field by field (doc/runtime.md has the table):
//   memory_bytes  v1 memory.limit_in_bytes             v2 memory.max
//   swap_bytes    v1 memory.memsw.limit_in_bytes=m+s   v2 memory.swap.max=s
//   cpu_weight    v1 cpu.shares=w*1024/100 (2..262144) v2 cpu.weight=w
//   cpu_cores     v1 cpu.cfs_period_us=100000, cpu.cfs_quota_us=c*100000
//                 v2 cpu.max="c*100000 100000"
//   pids          pids.max on both
//   blkio_weight  v1 blkio.weight or blkio.bfq.weight=w
//                 v2 io.weight="default w/5" (1..10000) or io.bfq.weight=w
// FailedPrecondition when a memory, CPU or pids limit is asked for and its controller is
// missing (a limit silently dropped would be worse than no container); swap without swap
// accounting and the I/O weight without an io controller go to not_applied instead.
// REQUIRES: limits.Validate() passed.
Result<CgroupPlan> PlanLimits(const ResourceLimits& limits, const CgroupLayout& layout);

// The cgroup files statistics are read from, for `layout`.
struct CgroupStatKeys {
  std::string memory_current;  // v1 memory.usage_in_bytes, v2 memory.current (bytes)
  std::string cpu_usage;       // v1 cpuacct.usage (ns), v2 cpu.stat (usage_usec line)
  std::string pids_current;    // pids.current
  std::string oom_events;      // v1 memory.oom_control, v2 memory.events ("oom_kill N" line)
  CgroupVersion cpu_version = CgroupVersion::kNone;
};
CgroupStatKeys StatKeysFor(const CgroupLayout& layout);

// CPU time in nanoseconds from the content of stat_keys.cpu_usage. InvalidArgument if malformed.
Result<int64_t> ParseCpuUsageNanos(CgroupVersion version, std::string_view text);
// The value of the "name N" line of a flat-keyed cgroup file (memory.events, cpu.stat ...).
// NotFound when the line is missing.
Result<int64_t> ParseFlatKey(std::string_view text, std::string_view name);
// A single integer file ("123\n"); "max" reads as INT64_MAX.
Result<int64_t> ParseCgroupInt(std::string_view text);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_CGROUP_LAYOUT_H_
