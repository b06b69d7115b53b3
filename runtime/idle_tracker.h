#ifndef BERTH_RUNTIME_IDLE_TRACKER_H_
#define BERTH_RUNTIME_IDLE_TRACKER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"

namespace berth::runtime {

struct IdleOptions {
  // A container nobody used for this long is idle. Default: 30 minutes.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  // CPU use above this fraction of one core between two samples counts as use (a computation
  // left running is use; a idle shell or cron ticking is not). Default: 0.02 (2% of a core).
  double busy_cpu_fraction = 0.02;
};

// What the node samples from Runtime::Stats / List for each running container.
struct ActivitySample {
  int64_t cpu_nanos = 0;    // the container's total CPU time
  int active_execs = 0;     // exec sessions running now
  uint64_t exec_count = 0;  // exec sessions started so far
};

// Decides which containers are idle. "Used" means: an exec session is open, one was started
// since the last sample, or the container burned more than busy_cpu_fraction of a core since the
// last sample. The first sample of a container counts as use (it was just started or adopted).
// A pure state machine over the clock it is given: the node calls Observe for every running
// container every few seconds, Stops what IdleContainers() names, and Forgets stopped ones.
// Not thread-safe: driven by one thread (the node's housekeeping loop).
class IdleTracker {
 public:
  // `clock` is borrowed and must outlive the tracker.
  IdleTracker(const Clock* clock, IdleOptions options);

  void Observe(const std::string& name, const ActivitySample& sample);
  void Forget(const std::string& name);
  // Containers whose last use is at least idle_timeout ago, sorted.
  std::vector<std::string> IdleContainers() const;
  // When `name` was last used, in the clock's nanoseconds; 0 if unknown.
  int64_t LastUsedNanos(const std::string& name) const;

 private:
  struct State {
    ActivitySample last;
    int64_t last_sample_nanos = 0;
    int64_t last_used_nanos = 0;
  };
  const Clock* clock_;
  IdleOptions options_;
  std::map<std::string, State> states_;
};

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_IDLE_TRACKER_H_
