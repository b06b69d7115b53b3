#ifndef BERTH_CMD_PROGRESS_H_
#define BERTH_CMD_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace berth::cmd {

// A one-line progress display on stderr, redrawn at most every 200 ms, shown only when stderr is
// a terminal (scripts and logs get nothing). Not thread-safe.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  // `done` and `total` are counts of `unit` (total 0: unknown).
  void Update(uint64_t done, uint64_t total, const std::string& detail = "");
  // Clears the line.
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

// "1.23 GB", "512 kB", "17 B" (decimal units, as df -H).
std::string HumanBytes(uint64_t bytes);

}  // namespace berth::cmd

#endif  // BERTH_CMD_PROGRESS_H_
