#include "runtime/resource_limits.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace berth::runtime {

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

std::string Bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && n != 0 && n % 1024 == 0) {
    n /= 1024;
    ++u;
  }
  return std::to_string(n) + units[u];
}

}  // namespace

HostResources HostResources::Detect() {
  HostResources host;
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) host.memory_bytes = int64_t{pages} * page_size;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  host.cpus = cpus > 0 ? static_cast<int>(cpus) : 1;
  return host;
}

Status ResourceLimits::Validate(const HostResources& host) const {
  if (memory_bytes) {
    if (*memory_bytes < kMiB) {
      return InvalidArgumentError("memory limit " + std::to_string(*memory_bytes) +
                                  " bytes: must be at least 1 MiB");
    }
    if (host.memory_bytes > 0 && *memory_bytes > host.memory_bytes) {
      return InvalidArgumentError("memory limit " + Bytes(*memory_bytes) +
                                  " is more than the host's memory (" + Bytes(host.memory_bytes) +
                                  ")");
    }
  }
  if (swap_bytes) {
    if (*swap_bytes < 0) {
      return InvalidArgumentError("swap limit " + std::to_string(*swap_bytes) +
                                  " bytes: must not be negative (0 forbids swap)");
    }
    if (!memory_bytes) {
      return InvalidArgumentError(
          "a swap limit needs a memory limit (swap is counted on top of memory)");
    }
  }
  if (cpu_weight && (*cpu_weight < 1 || *cpu_weight > 10000)) {
    return InvalidArgumentError("CPU weight " + std::to_string(*cpu_weight) +
                                ": must be within 1..10000 (100 is the default share)");
  }
  if (cpu_cores) {
    if (std::isnan(*cpu_cores) || *cpu_cores < 0.01) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%g", *cpu_cores);
      return InvalidArgumentError(std::string("CPU quota ") + buf +
                                  " cores: must be at least 0.01");
    }
    if (host.cpus > 0 && *cpu_cores > host.cpus) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%g", *cpu_cores);
      return InvalidArgumentError(std::string("CPU quota ") + buf + " cores is more than the " +
                                  std::to_string(host.cpus) + " CPUs this host has");
    }
  }
  if (pids && (*pids < 1 || *pids > (int64_t{1} << 22))) {
    return InvalidArgumentError("pids limit " + std::to_string(*pids) +
                                ": must be within 1..4194304");
  }
  if (blkio_weight && (*blkio_weight < 10 || *blkio_weight > 1000)) {
    return InvalidArgumentError("block I/O weight " + std::to_string(*blkio_weight) +
                                ": must be within 10..1000 (500 is the default share)");
  }
  return Status::Ok();
}

ResourceLimits ResourceLimits::MergedWith(const ResourceLimits& update) const {
  ResourceLimits out = *this;
  if (update.memory_bytes) out.memory_bytes = update.memory_bytes;
  if (update.swap_bytes) out.swap_bytes = update.swap_bytes;
  if (update.cpu_weight) out.cpu_weight = update.cpu_weight;
  if (update.cpu_cores) out.cpu_cores = update.cpu_cores;
  if (update.pids) out.pids = update.pids;
  if (update.blkio_weight) out.blkio_weight = update.blkio_weight;
  return out;
}

bool ResourceLimits::empty() const {
  return !memory_bytes && !swap_bytes && !cpu_weight && !cpu_cores && !pids && !blkio_weight;
}

std::string ResourceLimits::ToString() const {
  std::string out;
  auto add = [&out](const std::string& item) {
    if (!out.empty()) out += ' ';
    out += item;
  };
  if (memory_bytes) add("memory=" + Bytes(*memory_bytes));
  if (swap_bytes) add("swap=" + Bytes(*swap_bytes));
  if (cpu_weight) add("cpu_weight=" + std::to_string(*cpu_weight));
  if (cpu_cores) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%g", *cpu_cores);
    add(std::string("cpu_cores=") + buf);
  }
  if (pids) add("pids=" + std::to_string(*pids));
  if (blkio_weight) add("blkio_weight=" + std::to_string(*blkio_weight));
  return out.empty() ? "none" : out;
}

}  // namespace berth::runtime
