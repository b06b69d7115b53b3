#include "base/clock.h"

#include <time.h>

namespace berth {

namespace {
class RealClock : public Clock {
 public:
  int64_t NowNanos() const override {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
};
}  // namespace

Clock* Clock::Real() {
  static RealClock clock;
  return &clock;
}

}  // namespace berth
