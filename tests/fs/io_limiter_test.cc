#include "fs/io_limiter.h"

#include <gtest/gtest.h>

namespace berth::fs {
namespace {

// The limiter waits by calling the sleep function; here it moves a manual clock, so the total
// time the limiter made callers wait is exact and the test takes no real time.
class IoLimiterTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  int64_t slept_ns_ = 0;
  IoLimiter limiter_{&clock_, [this](int64_t ns) {
                       slept_ns_ += ns;
                       clock_.Set(clock_.NowNanos() + ns);
                     }};
};

TEST_F(IoLimiterTest, UnlimitedNeverWaits) {
  for (int i = 0; i < 1000; ++i) limiter_.AcquireWrite(1 << 20);
  EXPECT_EQ(slept_ns_, 0);
}

TEST_F(IoLimiterTest, WriteBandwidthSpreadsTheWritesOut) {
  limiter_.set_rates({0, 10 << 20, 0});  // 10 MiB/s, bucket starts full (1 s)
  for (int i = 0; i < 50; ++i) limiter_.AcquireWrite(1 << 20);  // 50 MiB
  // 10 MiB came from the full bucket; the other 40 MiB took 4 s.
  EXPECT_NEAR(static_cast<double>(slept_ns_) / 1e9, 4.0, 0.01);
}

TEST_F(IoLimiterTest, ReadsAndWritesHaveTheirOwnBuckets) {
  limiter_.set_rates({1 << 20, 0, 0});
  limiter_.AcquireWrite(100 << 20);
  EXPECT_EQ(slept_ns_, 0);
  limiter_.AcquireRead(3 << 20);  // 1 MiB in the bucket, 2 MiB of debt
  EXPECT_NEAR(static_cast<double>(slept_ns_) / 1e9, 2.0, 0.01);
}

TEST_F(IoLimiterTest, IopsLimitCountsOperations) {
  limiter_.set_rates({0, 0, 100});
  for (int i = 0; i < 300; ++i) limiter_.AcquireRead(4096);
  EXPECT_NEAR(static_cast<double>(slept_ns_) / 1e9, 2.0, 0.05);
}

TEST_F(IoLimiterTest, IdleTimeRefillsButOnlyUpToOneSecond) {
  limiter_.set_rates({0, 1 << 20, 0});
  limiter_.AcquireWrite(1 << 20);  // empties the bucket
  clock_.AdvanceMillis(60'000);    // a minute idle earns only one second of credit
  limiter_.AcquireWrite(1 << 20);
  EXPECT_EQ(slept_ns_, 0);
  limiter_.AcquireWrite(1 << 20);
  EXPECT_NEAR(static_cast<double>(slept_ns_) / 1e9, 1.0, 0.01);
}

}  // namespace
}  // namespace berth::fs
