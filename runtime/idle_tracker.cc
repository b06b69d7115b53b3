#include "runtime/idle_tracker.h"

namespace berth::runtime {

IdleTracker::IdleTracker(const Clock* clock, IdleOptions options)
    : clock_(clock), options_(options) {}

void IdleTracker::Observe(const std::string& name, const ActivitySample& sample) {
  const int64_t now = clock_->NowNanos();
  auto it = states_.find(name);
  if (it == states_.end()) {
    states_[name] = State{sample, now, now};
    return;
  }
  State& s = it->second;
  bool used = sample.active_execs > 0 || sample.exec_count != s.last.exec_count;
  const int64_t wall = now - s.last_sample_nanos;
  const int64_t cpu = sample.cpu_nanos - s.last.cpu_nanos;
  // A counter that went backwards is a restarted container: fresh use.
  if (cpu < 0) used = true;
  if (wall > 0 &&
      static_cast<double>(cpu) > options_.busy_cpu_fraction * static_cast<double>(wall)) {
    used = true;
  }
  s.last = sample;
  s.last_sample_nanos = now;
  if (used) s.last_used_nanos = now;
}

void IdleTracker::Forget(const std::string& name) { states_.erase(name); }

std::vector<std::string> IdleTracker::IdleContainers() const {
  const int64_t now = clock_->NowNanos();
  const int64_t timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.idle_timeout).count();
  std::vector<std::string> out;
  for (const auto& [name, s] : states_) {
    if (now - s.last_used_nanos >= timeout) out.push_back(name);
  }
  return out;
}

int64_t IdleTracker::LastUsedNanos(const std::string& name) const {
  auto it = states_.find(name);
  return it == states_.end() ? 0 : it->second.last_used_nanos;
}

}  // namespace berth::runtime
