#ifndef BERTH_FS_CHUNK_PREFETCHER_H_
#define BERTH_FS_CHUNK_PREFETCHER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "storage/chunk_id.h"

namespace berth::fs {

// Fetches chunks ahead of a sequential reader on background threads, so that reading a chunk
// from disk and decompressing it overlap with the kernel's requests instead of stalling each
// one. `fetch` loads a chunk into the reader's cache; its errors are the reader's to see again.
//
// Its `threads` start at the first Enqueue. Bounded: at most `max_queued` ids wait; more are dropped (a reader that far ahead of the disk
// gains nothing from more). An id queued or being fetched is not queued twice. Thread-safe.
class ChunkPrefetcher {
 public:
  ChunkPrefetcher(std::function<void(const storage::ChunkId&)> fetch, int threads,
                  size_t max_queued);
  // Drops what is queued and waits for the fetches that run.
  ~ChunkPrefetcher();
  ChunkPrefetcher(const ChunkPrefetcher&) = delete;
  ChunkPrefetcher& operator=(const ChunkPrefetcher&) = delete;

  void Enqueue(const storage::ChunkId& id);

 private:
  void Work();

  const std::function<void(const storage::ChunkId&)> fetch_;
  const int threads_wanted_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<storage::ChunkId> queue_;                                  // GUARDED_BY(mu_)
  std::unordered_set<storage::ChunkId, storage::ChunkIdHash> pending_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                                               // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;  // GUARDED_BY(mu_) while Enqueue may run
};

}  // namespace berth::fs

#endif  // BERTH_FS_CHUNK_PREFETCHER_H_
