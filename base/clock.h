#ifndef BERTH_BASE_CLOCK_H_
#define BERTH_BASE_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace berth {

// Wall-clock time behind an interface, so tests can move time by hand.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch.
  virtual int64_t NowNanos() const = 0;
  int64_t NowMillis() const { return NowNanos() / 1'000'000; }

  // The real clock (CLOCK_REALTIME). Never null; lives for the whole program.
  static Clock* Real();
};

// A clock that stands still until told to move. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_nanos = 1'700'000'000'000'000'000) : now_(start_nanos) {}
  int64_t NowNanos() const override { return now_.load(); }
  void Set(int64_t nanos) { now_.store(nanos); }
  void AdvanceMillis(int64_t ms) { now_.fetch_add(ms * 1'000'000); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace berth

#endif  // BERTH_BASE_CLOCK_H_
