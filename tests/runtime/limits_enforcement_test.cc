// Cgroup limits on real containers (root only): the kernel enforces what the runtime wrote, at
// start and when changed live. The key names for both cgroup versions are unit-tested in
// cgroup_layout_test.cc; here the files are read back from the host's own hierarchy.
#include <gmock/gmock.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/runtime/runtime_fixture.h"

namespace berth::runtime::testing {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

TEST_F(RuntimeTest, MemoryLimitKillsAnOverAllocatingProcess) {
  ContainerSpec spec = Spec("mem", MakeProject("mem"));
  spec.limits.memory_bytes = 64 << 20;
  spec.limits.swap_bytes = 0;
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  if (runtime_->cgroup_layout().memory == CgroupVersion::kV1) {
    EXPECT_EQ(CgroupFile(started.init_pid, "memory.limit_in_bytes"), "67108864\n");
    EXPECT_EQ(CgroupFile(started.init_pid, "memory.memsw.limit_in_bytes"), "67108864\n");
  } else {
    EXPECT_EQ(CgroupFile(started.init_pid, "memory.max"), "67108864\n");
    EXPECT_EQ(CgroupFile(started.init_pid, "memory.swap.max"), "0\n");
  }
  // dd allocates its 256 MiB block and fills it: the kernel kills it at 64 MiB.
  ExecResult r = Exec(spec.name, {"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"});
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.err;
  ASSERT_OK_AND_ASSIGN(ContainerStats stats, runtime_->Stats(spec.name));
  EXPECT_GE(stats.oom_kills, 1);
  EXPECT_LE(stats.memory_bytes, int64_t{64} << 20);
  // The container and its init live on; something that fits still runs.
  EXPECT_TRUE(stats.running);
  EXPECT_EQ(stats.init_pid, started.init_pid);
  r = Exec(spec.name, {"dd", "if=/dev/zero", "of=/dev/null", "bs=16M", "count=2"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(RuntimeTest, PidsLimitHoldsAForkBomb) {
  ContainerSpec spec = Spec("bomb", MakeProject("bomb"));
  spec.limits.pids = 64;
  spec.limits.cpu_cores = 0.5;  // the bomb spins; keep it off the other engineers' builds
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  EXPECT_EQ(CgroupFile(started.init_pid, "pids.max"), "64\n");
  // Every shell forks two more until /home/user/stop appears.
  // (The launching shell may itself meet the limit, so its exit code is not checked.)
  Sh(spec.name, "b() { [ -e /home/user/stop ] && return; b | b & }; b");
  ASSERT_TRUE(Eventually([&] {
    return ParseFlatKey(CgroupFile(started.init_pid, "pids.events"), "max").value_or(0) > 0;
  })) << "the bomb never reached the limit";
  for (int i = 0; i < 50; ++i) {
    Result<int64_t> now = ParseCgroupInt(CgroupFile(started.init_pid, "pids.current"));
    ASSERT_OK(now);
    EXPECT_LE(*now, 64);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Defused, the container is usable again.
  ASSERT_OK(WriteFileAtomically(ProjectMount("bomb") + "/stop", AsBytes("")));
  ASSERT_TRUE(Eventually([&] {
    Result<int64_t> now = ParseCgroupInt(CgroupFile(started.init_pid, "pids.current"));
    return now.ok() && *now <= 2;
  }));
  EXPECT_EQ(Sh(spec.name, "echo alive").out, "alive\n");
  // And stoppable, leaving nothing.
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(started.init_pid);
  ASSERT_OK(runtime_->Stop(spec.name, std::chrono::seconds(2)));
  ExpectNothingLeft(spec.name, started.init_pid, cgroups);
}

TEST_F(RuntimeTest, ForkBombAtTheLimitIsStillStoppable) {
  ContainerSpec spec = Spec("bomb2", MakeProject("bomb2"));
  spec.limits.pids = 32;
  spec.limits.cpu_cores = 0.5;
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  Sh(spec.name, "b() { b | b & }; b");
  ASSERT_TRUE(Eventually([&] {
    return ParseFlatKey(CgroupFile(started.init_pid, "pids.events"), "max").value_or(0) > 0;
  }));
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(started.init_pid);
  ASSERT_OK(runtime_->Stop(spec.name, std::chrono::seconds(1)));
  ExpectNothingLeft(spec.name, started.init_pid, cgroups);
}

TEST_F(RuntimeTest, CpuQuotaGivesAboutHalfACore) {
  ContainerSpec spec = Spec("cpu", MakeProject("cpu"));
  spec.limits.cpu_cores = 0.5;
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  if (runtime_->cgroup_layout().cpu == CgroupVersion::kV1) {
    EXPECT_EQ(CgroupFile(started.init_pid, "cpu.cfs_quota_us"), "50000\n");
    EXPECT_EQ(CgroupFile(started.init_pid, "cpu.cfs_period_us"), "100000\n");
  } else {
    EXPECT_EQ(CgroupFile(started.init_pid, "cpu.max"), "50000 100000\n");
  }
  // Two busy loops want two cores; the quota gives them half of one.
  EXPECT_EQ(Sh(spec.name, "(while :; do :; done) & (while :; do :; done) &").code, 0);
  // Beside them a busy thread of this process, outside any quota, shows what one runnable task
  // could get in the same window: on a machine loaded by other tests the container gets less
  // than its quota, but not much less than that peer.
  std::atomic<bool> spin{true};
  std::atomic<int64_t> peer_cpu_ns{0};
  std::thread peer([&] {
    while (spin.load(std::memory_order_relaxed)) {
    }
    struct timespec used {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
    peer_cpu_ns = used.tv_sec * 1'000'000'000LL + used.tv_nsec;
  });
  ASSERT_OK_AND_ASSIGN(ContainerStats before, runtime_->Stats(spec.name));
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the measurement window itself
  Result<ContainerStats> after = runtime_->Stats(spec.name);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spin = false;
  peer.join();
  ASSERT_OK(after.status());
  const double cores = (after->cpu_nanos - before.cpu_nanos) / 1e9 / wall;
  const double peer_cores = peer_cpu_ns / 1e9 / wall;
  EXPECT_GE(cores, 0.7 * std::min(0.5, peer_cores)) << "peer thread: " << peer_cores << " cores";
  EXPECT_LE(cores, 0.65);
  RecordProperty("cores", std::to_string(cores));
  std::printf("CPU under a 0.5-core quota: %.3f cores over %.2f s (an unlimited peer thread: %.3f)\n",
              cores, wall, peer_cores);
}

TEST_F(RuntimeTest, SetLimitsChangesTheCgroupLive) {
  ContainerSpec spec = Spec("live", MakeProject("live"));
  spec.limits.memory_bytes = 64 << 20;
  spec.limits.swap_bytes = 0;
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  const pid_t pid = started.init_pid;
  const bool v1 = runtime_->cgroup_layout().memory == CgroupVersion::kV1;

  // Raising memory past memory+swap needs memsw raised first on v1; the runtime orders it.
  ResourceLimits more;
  more.memory_bytes = 256 << 20;
  ASSERT_OK(runtime_->SetLimits(spec.name, more));
  EXPECT_EQ(CgroupFile(pid, v1 ? "memory.limit_in_bytes" : "memory.max"), "268435456\n");
  if (v1) {
    EXPECT_EQ(CgroupFile(pid, "memory.memsw.limit_in_bytes"), "268435456\n");
  }
  // And lowering it, the other order.
  ResourceLimits less;
  less.memory_bytes = 32 << 20;
  ASSERT_OK(runtime_->SetLimits(spec.name, less));
  EXPECT_EQ(CgroupFile(pid, v1 ? "memory.limit_in_bytes" : "memory.max"), "33554432\n");

  ResourceLimits rest;
  rest.cpu_cores = 1.5;
  rest.cpu_weight = 200;
  rest.pids = 100;
  rest.blkio_weight = 300;
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> warnings, runtime_->SetLimits(spec.name, rest));
  if (runtime_->cgroup_layout().cpu == CgroupVersion::kV1) {
    EXPECT_EQ(CgroupFile(pid, "cpu.cfs_quota_us"), "150000\n");
    EXPECT_EQ(CgroupFile(pid, "cpu.shares"), "2048\n");
  } else {
    EXPECT_EQ(CgroupFile(pid, "cpu.max"), "150000 100000\n");
    EXPECT_EQ(CgroupFile(pid, "cpu.weight"), "200\n");
  }
  EXPECT_EQ(CgroupFile(pid, "pids.max"), "100\n");
  // The block I/O weight lands in whichever file this host's scheduler offers, or is reported.
  std::string io = CgroupFile(pid, "blkio.weight") + CgroupFile(pid, "blkio.bfq.weight") +
                   CgroupFile(pid, "io.weight") + CgroupFile(pid, "io.bfq.weight");
  if (warnings.empty()) {
    EXPECT_THAT(io, ::testing::AnyOf(HasSubstr("300"), HasSubstr("60")));
  } else {
    EXPECT_THAT(warnings[0], HasSubstr("block I/O weight"));
  }
  std::printf("block I/O weight: %s\n",
              warnings.empty() ? ("applied: " + io).c_str() : warnings[0].c_str());

  ASSERT_OK_AND_ASSIGN(ContainerStats stats, runtime_->Stats(spec.name));
  EXPECT_EQ(stats.spec.limits.memory_bytes, 32 << 20);
  EXPECT_EQ(stats.spec.limits.pids, 100);
  EXPECT_EQ(stats.spec.limits.cpu_cores, 1.5);

  // Nonsense changes nothing.
  ResourceLimits bad;
  bad.cpu_cores = 1000;
  EXPECT_THAT(runtime_->SetLimits(spec.name, bad), StatusIs(StatusCode::kInvalidArgument));
  bad = {};
  bad.pids = -3;
  EXPECT_THAT(runtime_->SetLimits(spec.name, bad), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(CgroupFile(pid, "pids.max"), "100\n");
  EXPECT_THAT(runtime_->SetLimits(Name("nope"), rest), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace berth::runtime::testing
