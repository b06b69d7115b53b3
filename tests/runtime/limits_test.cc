#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/resource_limits.h"
#include "tests/testing/status_matchers.h"

namespace berth::runtime {
namespace {

using ::berth::testing::StatusIs;
using ::berth::testing::StatusMessageHas;

const HostResources kHost{int64_t{8} << 30, 4};

TEST(ResourceLimitsTest, EmptyAndSensibleLimitsAreValid) {
  EXPECT_OK(ResourceLimits{}.Validate(kHost));
  ResourceLimits l;
  l.memory_bytes = int64_t{2} << 30;
  l.swap_bytes = 0;
  l.cpu_weight = 100;
  l.cpu_cores = 1.5;
  l.pids = 512;
  l.blkio_weight = 500;
  EXPECT_OK(l.Validate(kHost));
  EXPECT_EQ(l.ToString(),
            "memory=2GiB swap=0B cpu_weight=100 cpu_cores=1.5 pids=512 blkio_weight=500");
}

TEST(ResourceLimitsTest, NonsenseIsInvalidArgumentNamingTheField) {
  auto check = [](ResourceLimits l, const char* text) {
    EXPECT_THAT(l.Validate(kHost), StatusIs(StatusCode::kInvalidArgument));
    EXPECT_THAT(l.Validate(kHost), StatusMessageHas(text));
  };
  ResourceLimits l;
  l.memory_bytes = -1;
  check(l, "memory limit");
  l = {};
  l.memory_bytes = 0;
  check(l, "at least 1 MiB");
  l = {};
  l.memory_bytes = int64_t{9} << 30;
  check(l, "more than the host's memory");
  l = {};
  l.swap_bytes = 1 << 20;
  check(l, "needs a memory limit");
  l = {};
  l.memory_bytes = 64 << 20;
  l.swap_bytes = -5;
  check(l, "swap");
  l = {};
  l.cpu_cores = std::nan("");
  check(l, "CPU quota");
  l = {};
  l.cpu_cores = -1;
  check(l, "CPU quota");
  l = {};
  l.cpu_cores = 0;
  check(l, "at least 0.01");
  l = {};
  l.cpu_cores = 5;
  check(l, "more than the 4 CPUs");
  l = {};
  l.cpu_weight = 0;
  check(l, "CPU weight");
  l = {};
  l.cpu_weight = 10001;
  check(l, "CPU weight");
  l = {};
  l.pids = 0;
  check(l, "pids");
  l = {};
  l.blkio_weight = 5;
  check(l, "block I/O weight");
  l = {};
  l.blkio_weight = 2000;
  check(l, "block I/O weight");
}

TEST(ResourceLimitsTest, MergeReplacesOnlySetFields) {
  ResourceLimits base;
  base.memory_bytes = 100 << 20;
  base.pids = 100;
  ResourceLimits update;
  update.pids = 200;
  update.cpu_cores = 0.5;
  ResourceLimits merged = base.MergedWith(update);
  EXPECT_EQ(merged.memory_bytes, base.memory_bytes);
  EXPECT_EQ(merged.pids, 200);
  EXPECT_EQ(merged.cpu_cores, 0.5);
  EXPECT_FALSE(merged.blkio_weight);
}

TEST(ResourceLimitsTest, HostDetection) {
  HostResources host = HostResources::Detect();
  EXPECT_GT(host.memory_bytes, int64_t{64} << 20);
  EXPECT_GE(host.cpus, 1);
}

}  // namespace
}  // namespace berth::runtime
