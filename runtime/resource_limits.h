#ifndef BERTH_RUNTIME_RESOURCE_LIMITS_H_
#define BERTH_RUNTIME_RESOURCE_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace berth::runtime {

// What the host has, to check limits against.
struct HostResources {
  int64_t memory_bytes = 0;  // physical memory
  int cpus = 0;              // online CPUs

  // sysconf(_SC_PHYS_PAGES) * page size and sysconf(_SC_NPROCESSORS_ONLN).
  static HostResources Detect();
};

// A container's cgroup limits. An unset field means "no limit" at start and "unchanged" in
// Runtime::SetLimits (a limit, once set, is lifted only by restarting the container without it).
// The cgroup v1 and v2 files each field becomes are in cgroup_layout.h and doc/runtime.md.
struct ResourceLimits {
  // Memory in use (anonymous memory and page cache) before the kernel reclaims and then
  // OOM-kills inside the container. At least 1 MiB, at most the host's memory.
  std::optional<int64_t> memory_bytes;
  // Swap the container may use ON TOP of memory_bytes (so memory + swap in all). 0 forbids
  // swap. Requires memory_bytes. v1 writes memory.memsw.limit_in_bytes = memory + swap; v2 writes
  // memory.swap.max = swap. Unset: swap is not limited (the host may have none).
  std::optional<int64_t> swap_bytes;
  // Relative CPU share against other containers, in cgroup v2 units: 1..10000, 100 is the
  // kernel's default. v1 cpu.shares = weight * 1024 / 100 (systemd's conversion).
  std::optional<int64_t> cpu_weight;
  // Hard CPU quota in cores (1.5 = one and a half CPUs' time per wall second), enforced over a
  // 100 ms period. 0.01 .. the host's CPU count.
  std::optional<double> cpu_cores;
  // Processes and threads; fork() fails with EAGAIN at the limit. At least 1. Runtime::Exec needs
  // one free slot per command.
  std::optional<int64_t> pids;
  // Relative block I/O share, in cgroup v1 units: 10..1000, 500 is the default weight. Applied
  // only where the host's I/O scheduler offers a weight file (BFQ, CFQ); elsewhere it is reported
  // as not applied and the container starts anyway.
  std::optional<int64_t> blkio_weight;

  // InvalidArgument, naming the field, for values that make no sense: not positive, NaN, out of
  // the ranges above, more memory or cores than `host` has, swap without memory.
  Status Validate(const HostResources& host) const;

  // These limits with every field set in `update` replaced by update's value.
  ResourceLimits MergedWith(const ResourceLimits& update) const;

  bool empty() const;
  // "memory=64MiB swap=0B cpu_weight=100 cpu_cores=0.5 pids=64 blkio_weight=500" (set fields).
  std::string ToString() const;

  bool operator==(const ResourceLimits&) const = default;
};

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_RESOURCE_LIMITS_H_
