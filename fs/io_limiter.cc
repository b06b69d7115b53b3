#include "fs/io_limiter.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace berth::fs {

IoLimiter::IoLimiter(Clock* clock, SleepFn sleep)
    : clock_(clock), sleep_(sleep ? std::move(sleep) : [](int64_t ns) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
      }) {}

void IoLimiter::set_rates(const Rates& rates) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowNanos();
  // A changed rate starts from a full bucket of the new size.
  for (auto [bucket, rate] : {std::pair{&read_, rates.read_bytes_per_second},
                              std::pair{&write_, rates.write_bytes_per_second},
                              std::pair{&ops_, rates.iops}}) {
    if (bucket->rate == rate) continue;
    bucket->rate = rate;
    bucket->tokens = static_cast<double>(rate);
    bucket->last_ns = now;
  }
}

IoLimiter::Rates IoLimiter::rates() {
  std::lock_guard<std::mutex> lock(mu_);
  return Rates{read_.rate, write_.rate, ops_.rate};
}

int64_t IoLimiter::Take(Bucket& bucket, double amount, int64_t now) {
  if (bucket.rate == 0) return 0;
  const double rate = static_cast<double>(bucket.rate);
  bucket.tokens = std::min(rate, bucket.tokens + rate * static_cast<double>(now - bucket.last_ns) / 1e9);
  bucket.last_ns = now;
  bucket.tokens -= amount;
  if (bucket.tokens >= 0) return 0;
  return static_cast<int64_t>(-bucket.tokens / rate * 1e9);
}

void IoLimiter::Acquire(Bucket& bytes_bucket, uint64_t bytes) {
  int64_t wait = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_->NowNanos();
    wait = std::max(Take(bytes_bucket, static_cast<double>(bytes), now), Take(ops_, 1, now));
  }
  if (wait > 0) sleep_(wait);
}

void IoLimiter::AcquireRead(uint64_t bytes) { Acquire(read_, bytes); }
void IoLimiter::AcquireWrite(uint64_t bytes) { Acquire(write_, bytes); }

}  // namespace berth::fs
