#include "fs/chunk_prefetcher.h"

namespace berth::fs {

ChunkPrefetcher::ChunkPrefetcher(std::function<void(const storage::ChunkId&)> fetch, int threads,
                                 size_t max_queued)
    : fetch_(std::move(fetch)), threads_wanted_(threads), max_queued_(max_queued) {}

ChunkPrefetcher::~ChunkPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();  // no Enqueue runs any more: threads_ is stable
}

void ChunkPrefetcher::Enqueue(const storage::ChunkId& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_ || !pending_.insert(id).second) return;
    queue_.push_back(id);
    // Started at the first use: a node serves many projects that are never read sequentially.
    while (static_cast<int>(threads_.size()) < threads_wanted_) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  wake_.notify_one();
}

void ChunkPrefetcher::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const storage::ChunkId id = queue_.front();
    queue_.pop_front();
    lock.unlock();
    fetch_(id);
    lock.lock();
    pending_.erase(id);
  }
}

}  // namespace berth::fs
