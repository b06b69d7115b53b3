#include "fs/inode_refs.h"

#include <algorithm>

namespace berth::fs {

void InodeRefs::AddLookups(Ino ino, uint64_t n) {
  if (ino == kRootIno || n == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  counts_[ino].lookups += n;
}

bool InodeRefs::Forget(Ino ino, uint64_t n) {
  if (ino == kRootIno) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(ino);
  if (it == counts_.end()) return true;
  it->second.lookups -= std::min(n, it->second.lookups);
  return EraseIfIdle(it);
}

uint64_t InodeRefs::Open(Ino ino, bool atime_due) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t fh = next_handle_++;
  handles_.emplace(fh, Handle{ino, atime_due});
  if (ino != kRootIno) ++counts_[ino].opens;
  return fh;
}

bool InodeRefs::TakeAtimeDue(uint64_t fh) {
  std::lock_guard<std::mutex> lock(mu_);
  auto handle = handles_.find(fh);
  if (handle == handles_.end() || !handle->second.atime_due) return false;
  handle->second.atime_due = false;
  return true;
}

std::optional<InodeRefs::Released> InodeRefs::Release(uint64_t fh) {
  std::lock_guard<std::mutex> lock(mu_);
  auto handle = handles_.find(fh);
  if (handle == handles_.end()) return std::nullopt;
  const Ino ino = handle->second.ino;
  handles_.erase(handle);
  if (ino == kRootIno) return Released{ino, false};
  auto it = counts_.find(ino);
  if (it == counts_.end()) return Released{ino, true};
  if (it->second.opens > 0) --it->second.opens;
  return Released{ino, EraseIfIdle(it)};
}

bool InodeRefs::IsUnreferenced(Ino ino) const {
  if (ino == kRootIno) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return counts_.find(ino) == counts_.end();
}

uint64_t InodeRefs::lookups(Ino ino) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(ino);
  return it == counts_.end() ? 0 : it->second.lookups;
}

uint64_t InodeRefs::opens(Ino ino) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(ino);
  return it == counts_.end() ? 0 : it->second.opens;
}

std::vector<Ino> InodeRefs::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Ino> inos;
  inos.reserve(counts_.size());
  for (const auto& [ino, counts] : counts_) inos.push_back(ino);
  counts_.clear();
  handles_.clear();
  return inos;
}

bool InodeRefs::EraseIfIdle(std::unordered_map<Ino, Counts>::iterator it) {
  if (it->second.lookups != 0 || it->second.opens != 0) return false;
  counts_.erase(it);
  return true;
}

}  // namespace berth::fs
