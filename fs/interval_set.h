#ifndef BERTH_FS_INTERVAL_SET_H_
#define BERTH_FS_INTERVAL_SET_H_

#include <cstdint>
#include <map>

namespace berth::fs {

// A set of byte ranges [begin, end), kept merged: the dirty parts of a file. Thread-compatible.
class IntervalSet {
 public:
  void Add(uint64_t begin, uint64_t end) {
    if (begin >= end) return;
    auto it = ranges_.upper_bound(begin);
    if (it != ranges_.begin() && std::prev(it)->second >= begin) {
      --it;
      begin = it->first;
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    while (it != ranges_.end() && it->first <= end) {
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_[begin] = end;
  }
  // Drops everything at or past `size`.
  void TrimTo(uint64_t size) {
    auto it = ranges_.lower_bound(size);
    ranges_.erase(it, ranges_.end());
    if (!ranges_.empty() && ranges_.rbegin()->second > size) ranges_.rbegin()->second = size;
  }
  bool empty() const { return ranges_.empty(); }
  void clear() { ranges_.clear(); }
  uint64_t first() const { return ranges_.begin()->first; }  // REQUIRES: !empty()
  uint64_t last_end() const { return ranges_.rbegin()->second; }  // REQUIRES: !empty()
  // The range holding `offset`, or the next one after it; end() if none.
  std::map<uint64_t, uint64_t>::const_iterator FindFrom(uint64_t offset) const {
    auto it = ranges_.upper_bound(offset);
    if (it != ranges_.begin() && std::prev(it)->second > offset) return std::prev(it);
    return it;
  }
  std::map<uint64_t, uint64_t>::const_iterator end() const { return ranges_.end(); }
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }

 private:
  std::map<uint64_t, uint64_t> ranges_;  // begin -> end, disjoint and not touching
};

}  // namespace berth::fs

#endif  // BERTH_FS_INTERVAL_SET_H_
