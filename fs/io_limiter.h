#ifndef BERTH_FS_IO_LIMITER_H_
#define BERTH_FS_IO_LIMITER_H_

#include <cstdint>
#include <functional>
#include <mutex>

#include "base/clock.h"

namespace berth::fs {

// Per-project read and write bandwidth and IOPS limits: token buckets that the FUSE server
// draws from before each read and write. cgroup block-I/O limits cannot see this I/O (the
// daemon does it on the project's behalf), so it is limited here. A caller that overdraws waits
// until the bucket is back in credit, so a large request is not refused, only spread out.
// A bucket holds at most one second of its rate. Thread-safe.
class IoLimiter {
 public:
  struct Rates {
    uint64_t read_bytes_per_second = 0;  // 0: unlimited
    uint64_t write_bytes_per_second = 0;
    uint64_t iops = 0;
  };
  // Sleeps for the given nanoseconds; tests pass one that moves a ManualClock.
  using SleepFn = std::function<void(int64_t nanos)>;

  explicit IoLimiter(Clock* clock = Clock::Real(), SleepFn sleep = nullptr);

  void set_rates(const Rates& rates);
  Rates rates();

  // Blocks until the read (write) of `bytes` bytes, one operation, is within the limits.
  void AcquireRead(uint64_t bytes);
  void AcquireWrite(uint64_t bytes);

 private:
  struct Bucket {
    uint64_t rate = 0;   // tokens per second; 0: unlimited
    double tokens = 0;   // may go negative: debt that later callers wait out
    int64_t last_ns = 0;
  };
  // Takes `amount` from the bucket; returns how long the caller must wait (ns).
  int64_t Take(Bucket& bucket, double amount, int64_t now);
  void Acquire(Bucket& bytes_bucket, uint64_t bytes);

  Clock* const clock_;
  const SleepFn sleep_;
  std::mutex mu_;
  Bucket read_, write_, ops_;  // GUARDED_BY(mu_)
};

}  // namespace berth::fs

#endif  // BERTH_FS_IO_LIMITER_H_
