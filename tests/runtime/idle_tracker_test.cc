#include "runtime/idle_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class IdleTrackerTest : public ::testing::Test {
 protected:
  IdleTrackerTest() : tracker_(&clock_, Options()) {}
  static IdleOptions Options() {
    IdleOptions o;
    o.idle_timeout = std::chrono::minutes(10);
    o.busy_cpu_fraction = 0.02;
    return o;
  }
  // Advances the clock by `seconds` and samples `name`.
  void Tick(const std::string& name, int seconds, ActivitySample s) {
    clock_.AdvanceMillis(seconds * 1000);
    tracker_.Observe(name, s);
  }
  ManualClock clock_;
  IdleTracker tracker_;
};

TEST_F(IdleTrackerTest, UnusedContainerBecomesIdleAfterTheTimeout) {
  tracker_.Observe("a", {});
  for (int i = 0; i < 9; ++i) Tick("a", 60, {});
  EXPECT_THAT(tracker_.IdleContainers(), IsEmpty());
  Tick("a", 60, {});
  EXPECT_THAT(tracker_.IdleContainers(), ElementsAre("a"));
}

TEST_F(IdleTrackerTest, OpenExecSessionKeepsItAlive) {
  tracker_.Observe("a", {});
  for (int i = 0; i < 30; ++i) Tick("a", 60, {0, 1, 1});
  EXPECT_THAT(tracker_.IdleContainers(), IsEmpty());
  // Session ended: ten quiet minutes later it is idle.
  for (int i = 0; i < 10; ++i) Tick("a", 60, {0, 0, 1});
  EXPECT_THAT(tracker_.IdleContainers(), ElementsAre("a"));
}

TEST_F(IdleTrackerTest, ShortExecBetweenSamplesCounts) {
  tracker_.Observe("a", {});
  for (int i = 0; i < 9; ++i) Tick("a", 60, {});
  Tick("a", 60, {0, 0, 1});  // one exec started and ended since the last sample
  for (int i = 0; i < 9; ++i) Tick("a", 60, {0, 0, 1});
  EXPECT_THAT(tracker_.IdleContainers(), IsEmpty());
  Tick("a", 60, {0, 0, 1});
  EXPECT_THAT(tracker_.IdleContainers(), ElementsAre("a"));
}

TEST_F(IdleTrackerTest, CpuAboveTheThresholdCountsAndTricklesDoNot) {
  tracker_.Observe("busy", {});
  tracker_.Observe("cron", {});
  int64_t busy_cpu = 0, cron_cpu = 0;
  for (int i = 0; i < 20; ++i) {
    busy_cpu += 30'000'000'000;  // half a core over 60 s
    cron_cpu += 100'000'000;     // 0.17% of a core
    clock_.AdvanceMillis(60'000);
    tracker_.Observe("busy", {busy_cpu, 0, 0});
    tracker_.Observe("cron", {cron_cpu, 0, 0});
  }
  EXPECT_THAT(tracker_.IdleContainers(), ElementsAre("cron"));
}

TEST_F(IdleTrackerTest, ForgetDropsAContainer) {
  tracker_.Observe("a", {});
  clock_.AdvanceMillis(3600'000);
  EXPECT_THAT(tracker_.IdleContainers(), ElementsAre("a"));
  tracker_.Forget("a");
  EXPECT_THAT(tracker_.IdleContainers(), IsEmpty());
  EXPECT_EQ(tracker_.LastUsedNanos("a"), 0);
}

}  // namespace
}  // namespace berth::runtime
