#include "runtime/cgroup_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/file.h"
#include "tests/testing/status_matchers.h"

namespace berth::runtime {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using V = CgroupVersion;

// This development machine: every controller on its own v1 hierarchy, and a v2 hierarchy
// mounted beside them that carries only hugetlb.
constexpr char kHybridProcCgroup[] =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/1986\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
// A current systemd distribution: the unified hierarchy only.
constexpr char kV2ProcCgroup[] = "0::/user.slice/user-1000.slice/session-2.scope\n";
constexpr char kV2Controllers[] = "cpuset cpu io memory hugetlb pids rdma misc\n";

TEST(CgroupLayoutTest, HybridHostUsesTheV1Hierarchies) {
  CgroupLayout layout = CgroupLayout::FromProcCgroup(kHybridProcCgroup, "hugetlb\n", true);
  EXPECT_EQ(layout.memory, V::kV1);
  EXPECT_EQ(layout.cpu, V::kV1);
  EXPECT_EQ(layout.cpuacct, V::kV1);
  EXPECT_EQ(layout.pids, V::kV1);
  EXPECT_EQ(layout.io, V::kV1);
  EXPECT_TRUE(layout.memory_swap);
  EXPECT_EQ(layout.ToString(), "memory=v1 cpu=v1 cpuacct=v1 pids=v1 io=v1 swap=yes");
}

TEST(CgroupLayoutTest, UnifiedHostUsesV2) {
  CgroupLayout layout = CgroupLayout::FromProcCgroup(kV2ProcCgroup, kV2Controllers, false);
  EXPECT_EQ(layout.memory, V::kV2);
  EXPECT_EQ(layout.cpu, V::kV2);
  EXPECT_EQ(layout.cpuacct, V::kV2);
  EXPECT_EQ(layout.pids, V::kV2);
  EXPECT_EQ(layout.io, V::kV2);
  EXPECT_TRUE(layout.memory_swap);
}

TEST(CgroupLayoutTest, MissingControllersAreNone) {
  CgroupLayout layout = CgroupLayout::FromProcCgroup("3:memory:/\n2:cpu,cpuacct:/\n", "", false);
  EXPECT_EQ(layout.memory, V::kV1);
  EXPECT_EQ(layout.cpu, V::kV1);
  EXPECT_EQ(layout.cpuacct, V::kV1);
  EXPECT_EQ(layout.pids, V::kNone);
  EXPECT_EQ(layout.io, V::kNone);
  EXPECT_FALSE(layout.memory_swap);  // v1 without memory.memsw.*
}

TEST(CgroupLayoutTest, DetectMatchesThisHost) {
  ASSERT_OK_AND_ASSIGN(CgroupLayout layout, CgroupLayout::Detect());
  ASSERT_OK_AND_ASSIGN(std::string self, ReadFileToString("/proc/self/cgroup"));
  // Whatever the host, a controller listed on a v1 line must be detected as v1.
  if (self.find(":memory:") != std::string::npos) {
    EXPECT_EQ(layout.memory, V::kV1);
  }
  if (self.find(":pids:") != std::string::npos) {
    EXPECT_EQ(layout.pids, V::kV1);
  }
  // A unified-only host: memory must come from the v2 hierarchy.
  if (self.rfind("0::", 0) == 0 && self.find('\n') == self.size() - 1) {
    EXPECT_EQ(layout.memory, V::kV2);
  }
}

ResourceLimits AllLimits() {
  ResourceLimits l;
  l.memory_bytes = 64 << 20;
  l.swap_bytes = 32 << 20;
  l.cpu_weight = 200;
  l.cpu_cores = 1.5;
  l.pids = 128;
  l.blkio_weight = 300;
  return l;
}

TEST(CgroupPlanTest, V1KeyNames) {
  CgroupLayout layout = CgroupLayout::FromProcCgroup(kHybridProcCgroup, "hugetlb", true);
  ASSERT_OK_AND_ASSIGN(CgroupPlan plan, PlanLimits(AllLimits(), layout));
  EXPECT_THAT(plan.writes,
              ElementsAre(CgroupWrite{V::kV1, "memory.limit_in_bytes", "67108864"},
                          CgroupWrite{V::kV1, "memory.memsw.limit_in_bytes", "100663296"},
                          CgroupWrite{V::kV1, "cpu.shares", "2048"},
                          CgroupWrite{V::kV1, "cpu.cfs_period_us", "100000"},
                          CgroupWrite{V::kV1, "cpu.cfs_quota_us", "150000"},
                          CgroupWrite{V::kV1, "pids.max", "128"}));
  EXPECT_THAT(plan.io_weight_candidates,
              ElementsAre(CgroupWrite{V::kV1, "blkio.weight", "300"},
                          CgroupWrite{V::kV1, "blkio.bfq.weight", "300"}));
  EXPECT_TRUE(plan.not_applied.empty());
  EXPECT_EQ(plan.writes[0].LxcConfigKey(), "lxc.cgroup.memory.limit_in_bytes");
}

TEST(CgroupPlanTest, V2KeyNames) {
  CgroupLayout layout = CgroupLayout::FromProcCgroup(kV2ProcCgroup, kV2Controllers, false);
  ASSERT_OK_AND_ASSIGN(CgroupPlan plan, PlanLimits(AllLimits(), layout));
  EXPECT_THAT(plan.writes, ElementsAre(CgroupWrite{V::kV2, "memory.max", "67108864"},
                                       CgroupWrite{V::kV2, "memory.swap.max", "33554432"},
                                       CgroupWrite{V::kV2, "cpu.weight", "200"},
                                       CgroupWrite{V::kV2, "cpu.max", "150000 100000"},
                                       CgroupWrite{V::kV2, "pids.max", "128"}));
  EXPECT_THAT(plan.io_weight_candidates, ElementsAre(CgroupWrite{V::kV2, "io.weight", "default 60"},
                                                     CgroupWrite{V::kV2, "io.bfq.weight", "300"}));
  EXPECT_EQ(plan.writes[0].LxcConfigKey(), "lxc.cgroup2.memory.max");
}

TEST(CgroupPlanTest, WeightConversionsStayInRange) {
  CgroupLayout v1 = CgroupLayout::FromProcCgroup(kHybridProcCgroup, "", true);
  ResourceLimits l;
  l.cpu_weight = 1;
  ASSERT_OK_AND_ASSIGN(CgroupPlan low, PlanLimits(l, v1));
  EXPECT_EQ(low.writes[0], (CgroupWrite{V::kV1, "cpu.shares", "10"}));
  l.cpu_weight = 10000;
  ASSERT_OK_AND_ASSIGN(CgroupPlan high, PlanLimits(l, v1));
  EXPECT_EQ(high.writes[0], (CgroupWrite{V::kV1, "cpu.shares", "102400"}));
  l.cpu_weight = 100;
  ASSERT_OK_AND_ASSIGN(CgroupPlan def, PlanLimits(l, v1));
  EXPECT_EQ(def.writes[0], (CgroupWrite{V::kV1, "cpu.shares", "1024"}));
}

TEST(CgroupPlanTest, MissingControllers) {
  CgroupLayout none;
  ResourceLimits mem;
  mem.memory_bytes = 64 << 20;
  EXPECT_THAT(PlanLimits(mem, none), StatusIs(StatusCode::kFailedPrecondition));
  ResourceLimits pids;
  pids.pids = 10;
  EXPECT_THAT(PlanLimits(pids, none), StatusIs(StatusCode::kFailedPrecondition));
  // The I/O weight and swap only warn.
  CgroupLayout v1 = CgroupLayout::FromProcCgroup("3:memory:/\n", "", /*v1_memsw=*/false);
  ResourceLimits soft;
  soft.memory_bytes = 64 << 20;
  soft.swap_bytes = 0;
  soft.blkio_weight = 100;
  ASSERT_OK_AND_ASSIGN(CgroupPlan plan, PlanLimits(soft, v1));
  EXPECT_EQ(plan.writes.size(), 1u);
  EXPECT_EQ(plan.not_applied.size(), 2u);
}

TEST(CgroupStatTest, KeysAndParsers) {
  CgroupStatKeys v1 = StatKeysFor(CgroupLayout::FromProcCgroup(kHybridProcCgroup, "", true));
  EXPECT_EQ(v1.memory_current, "memory.usage_in_bytes");
  EXPECT_EQ(v1.cpu_usage, "cpuacct.usage");
  EXPECT_EQ(v1.oom_events, "memory.oom_control");
  CgroupStatKeys v2 = StatKeysFor(CgroupLayout::FromProcCgroup(kV2ProcCgroup, kV2Controllers, 0));
  EXPECT_EQ(v2.memory_current, "memory.current");
  EXPECT_EQ(v2.cpu_usage, "cpu.stat");
  EXPECT_EQ(v2.oom_events, "memory.events");

  ASSERT_OK_AND_ASSIGN(int64_t ns1, ParseCpuUsageNanos(V::kV1, "123456789\n"));
  EXPECT_EQ(ns1, 123456789);
  ASSERT_OK_AND_ASSIGN(int64_t ns2,
                       ParseCpuUsageNanos(V::kV2, "usage_usec 1500\nuser_usec 1000\n"));
  EXPECT_EQ(ns2, 1500000);
  EXPECT_THAT(ParseCpuUsageNanos(V::kV1, "12x"), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(int64_t kills,
                       ParseFlatKey("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"));
  EXPECT_EQ(kills, 3);
  EXPECT_THAT(ParseFlatKey("low 0\n", "oom_kill"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(int64_t max, ParseCgroupInt("max\n"));
  EXPECT_EQ(max, INT64_MAX);
}

}  // namespace
}  // namespace berth::runtime
