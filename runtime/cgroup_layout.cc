#include "runtime/cgroup_layout.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "base/file.h"
#include "runtime/internal/mount_table.h"

namespace berth::runtime {

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool Contains(const std::vector<std::string_view>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view w : Split(s, ' ')) {
    w = Trim(w);
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

}  // namespace

std::string_view CgroupVersionName(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::kNone:
      return "none";
    case CgroupVersion::kV1:
      return "v1";
    case CgroupVersion::kV2:
      return "v2";
  }
  return "none";
}

CgroupLayout CgroupLayout::FromProcCgroup(std::string_view proc_cgroup,
                                          std::string_view v2_root_controllers, bool v1_memsw) {
  std::vector<std::string_view> v1;  // controllers bound to v1 hierarchies
  bool unified = false;
  for (std::string_view line : Split(proc_cgroup, '\n')) {
    line = Trim(line);
    if (line.empty()) continue;
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() < 3) continue;
    if (f[0] == "0" && f[1].empty()) {
      unified = true;
      continue;
    }
    for (std::string_view c : Split(f[1], ',')) {
      if (!c.empty()) v1.push_back(c);
    }
  }
  std::vector<std::string_view> v2 = Words(v2_root_controllers);
  auto pick = [&](std::string_view v1_name, std::string_view v2_name) {
    if (Contains(v1, v1_name)) return CgroupVersion::kV1;
    if (unified && Contains(v2, v2_name)) return CgroupVersion::kV2;
    return CgroupVersion::kNone;
  };
  CgroupLayout layout;
  layout.memory = pick("memory", "memory");
  layout.cpu = pick("cpu", "cpu");
  // cpu.stat's usage_usec is a core file of every v2 cgroup, with or without the cpu controller.
  layout.cpuacct = Contains(v1, "cpuacct") ? CgroupVersion::kV1
                   : unified               ? CgroupVersion::kV2
                                           : CgroupVersion::kNone;
  layout.pids = pick("pids", "pids");
  layout.io = pick("blkio", "io");
  layout.memory_swap =
      layout.memory == CgroupVersion::kV2 || (layout.memory == CgroupVersion::kV1 && v1_memsw);
  return layout;
}

Result<CgroupLayout> CgroupLayout::Detect() {
  ASSIGN_OR_RETURN(std::string proc_cgroup, ReadFileToString("/proc/self/cgroup"));
  ASSIGN_OR_RETURN(std::vector<internal::MountEntry> mounts, internal::ReadMountTable());
  std::string v2_controllers;
  bool memsw = false;
  for (const internal::MountEntry& m : mounts) {
    if (m.fs_type == "cgroup2" && v2_controllers.empty()) {
      Result<std::string> c = ReadFileToString(m.mount_point + "/cgroup.controllers");
      if (c.ok()) v2_controllers = *c;
    } else if (m.fs_type == "cgroup" && Contains(Split(m.super_options, ','), "memory")) {
      memsw = PathExists(m.mount_point + "/memory.memsw.limit_in_bytes");
    }
  }
  return FromProcCgroup(proc_cgroup, v2_controllers, memsw);
}

std::string CgroupLayout::ToString() const {
  std::string out;
  out += "memory=" + std::string(CgroupVersionName(memory));
  out += " cpu=" + std::string(CgroupVersionName(cpu));
  out += " cpuacct=" + std::string(CgroupVersionName(cpuacct));
  out += " pids=" + std::string(CgroupVersionName(pids));
  out += " io=" + std::string(CgroupVersionName(io));
  out += memory_swap ? " swap=yes" : " swap=no";
  return out;
}

std::string CgroupWrite::LxcConfigKey() const {
  return (version == CgroupVersion::kV2 ? "lxc.cgroup2." : "lxc.cgroup.") + key;
}

Result<CgroupPlan> PlanLimits(const ResourceLimits& limits, const CgroupLayout& layout) {
  using V = CgroupVersion;
  CgroupPlan plan;
  auto missing = [](const std::string& what, const std::string& controller) {
    return FailedPreconditionError(what + " asked for, but this host has no " + controller +
                                   " cgroup controller");
  };
  if (limits.memory_bytes) {
    if (layout.memory == V::kNone) return missing("a memory limit", "memory");
    const int64_t mem = *limits.memory_bytes;
    if (layout.memory == V::kV1) {
      plan.writes.push_back({V::kV1, "memory.limit_in_bytes", std::to_string(mem)});
    } else {
      plan.writes.push_back({V::kV2, "memory.max", std::to_string(mem)});
    }
    if (limits.swap_bytes) {
      const int64_t swap = *limits.swap_bytes;
      if (!layout.memory_swap) {
        plan.not_applied.push_back(
            "swap limit: swap accounting is off on this host (boot with swapaccount=1)");
      } else if (layout.memory == V::kV1) {
        plan.writes.push_back({V::kV1, "memory.memsw.limit_in_bytes", std::to_string(mem + swap)});
      } else {
        plan.writes.push_back({V::kV2, "memory.swap.max", std::to_string(swap)});
      }
    }
  }
  if (limits.cpu_weight) {
    if (layout.cpu == V::kNone) return missing("a CPU weight", "cpu");
    const int64_t w = *limits.cpu_weight;
    if (layout.cpu == V::kV1) {
      int64_t shares = std::clamp<int64_t>(w * 1024 / 100, 2, 262144);
      plan.writes.push_back({V::kV1, "cpu.shares", std::to_string(shares)});
    } else {
      plan.writes.push_back({V::kV2, "cpu.weight", std::to_string(w)});
    }
  }
  if (limits.cpu_cores) {
    if (layout.cpu == V::kNone) return missing("a CPU quota", "cpu");
    constexpr int64_t kPeriodUs = 100000;
    const int64_t quota = std::max<int64_t>(1000, std::llround(*limits.cpu_cores * kPeriodUs));
    if (layout.cpu == V::kV1) {
      plan.writes.push_back({V::kV1, "cpu.cfs_period_us", std::to_string(kPeriodUs)});
      plan.writes.push_back({V::kV1, "cpu.cfs_quota_us", std::to_string(quota)});
    } else {
      plan.writes.push_back(
          {V::kV2, "cpu.max", std::to_string(quota) + " " + std::to_string(kPeriodUs)});
    }
  }
  if (limits.pids) {
    if (layout.pids == V::kNone) return missing("a pids limit", "pids");
    plan.writes.push_back({layout.pids, "pids.max", std::to_string(*limits.pids)});
  }
  if (limits.blkio_weight) {
    const int64_t w = *limits.blkio_weight;
    if (layout.io == V::kV1) {
      plan.io_weight_candidates.push_back({V::kV1, "blkio.weight", std::to_string(w)});
      plan.io_weight_candidates.push_back({V::kV1, "blkio.bfq.weight", std::to_string(w)});
    } else if (layout.io == V::kV2) {
      int64_t v2 = std::clamp<int64_t>(w * 100 / 500, 1, 10000);
      plan.io_weight_candidates.push_back({V::kV2, "io.weight", "default " + std::to_string(v2)});
      plan.io_weight_candidates.push_back({V::kV2, "io.bfq.weight", std::to_string(w)});
    } else {
      plan.not_applied.push_back("block I/O weight: this host has no blkio/io cgroup controller");
    }
  }
  return plan;
}

CgroupStatKeys StatKeysFor(const CgroupLayout& layout) {
  CgroupStatKeys keys;
  if (layout.memory == CgroupVersion::kV1) {
    keys.memory_current = "memory.usage_in_bytes";
    keys.oom_events = "memory.oom_control";
  } else if (layout.memory == CgroupVersion::kV2) {
    keys.memory_current = "memory.current";
    keys.oom_events = "memory.events";
  }
  keys.cpu_version = layout.cpuacct;
  if (layout.cpuacct == CgroupVersion::kV1) keys.cpu_usage = "cpuacct.usage";
  if (layout.cpuacct == CgroupVersion::kV2) keys.cpu_usage = "cpu.stat";
  if (layout.pids != CgroupVersion::kNone) keys.pids_current = "pids.current";
  return keys;
}

Result<int64_t> ParseCgroupInt(std::string_view text) {
  text = Trim(text);
  if (text == "max") return INT64_MAX;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return InvalidArgumentError("not a cgroup integer: \"" + std::string(text.substr(0, 40)) +
                                "\"");
  }
  return v;
}

Result<int64_t> ParseFlatKey(std::string_view text, std::string_view name) {
  for (std::string_view line : Split(text, '\n')) {
    std::vector<std::string_view> w = Words(line);
    if (w.size() == 2 && w[0] == name) return ParseCgroupInt(w[1]);
  }
  return NotFoundError("no \"" + std::string(name) + "\" line in the cgroup file");
}

Result<int64_t> ParseCpuUsageNanos(CgroupVersion version, std::string_view text) {
  if (version == CgroupVersion::kV1) return ParseCgroupInt(text);
  if (version == CgroupVersion::kV2) {
    ASSIGN_OR_RETURN(int64_t usec, ParseFlatKey(text, "usage_usec"));
    return usec * 1000;
  }
  return FailedPreconditionError("no CPU accounting controller on this host");
}

}  // namespace berth::runtime
