#include "fs/chunk_prefetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

namespace berth::fs {
namespace {

using storage::ChunkId;

ChunkId Id(uint8_t n) {
  uint8_t bytes[ChunkId::kSize] = {n};
  return ChunkId::FromBytes(ByteView(bytes, sizeof(bytes)));
}

// Counts fetches per id; fetches block until released, so the test controls what is in flight.
struct Fetches {
  std::mutex mu;
  std::condition_variable cv;
  std::map<ChunkId, int> count;
  int started = 0;
  bool released = false;

  void Fetch(const ChunkId& id) {
    std::unique_lock<std::mutex> lock(mu);
    ++count[id];
    ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
  void WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return started >= n; });
  }
};

TEST(ChunkPrefetcherTest, FetchesEachQueuedIdOnceAtATime) {
  Fetches fetches;
  {
    ChunkPrefetcher prefetcher([&](const ChunkId& id) { fetches.Fetch(id); }, 1, 16);
    prefetcher.Enqueue(Id(1));
    fetches.WaitStarted(1);
    // Id 1 is being fetched and 2 waits: neither is queued again.
    prefetcher.Enqueue(Id(1));
    prefetcher.Enqueue(Id(2));
    prefetcher.Enqueue(Id(2));
    fetches.Release();
    fetches.WaitStarted(2);
  }
  EXPECT_EQ(fetches.count[Id(1)], 1);
  EXPECT_EQ(fetches.count[Id(2)], 1);
}

TEST(ChunkPrefetcherTest, DropsWhatExceedsTheQueueAndStopsWithWorkPending) {
  Fetches fetches;
  {
    ChunkPrefetcher prefetcher([&](const ChunkId& id) { fetches.Fetch(id); }, 1, 2);
    prefetcher.Enqueue(Id(1));
    fetches.WaitStarted(1);  // the only thread is busy with 1
    for (uint8_t n = 2; n < 10; ++n) prefetcher.Enqueue(Id(n));
    // Destroying it drops the queue (2 and 3) and waits for the fetch of 1.
    std::thread release([&] { fetches.Release(); });
    release.join();
  }
  EXPECT_EQ(fetches.count[Id(1)], 1);
  EXPECT_LE(fetches.started, 3);  // at most 1 and the two that fit the queue
  EXPECT_EQ(fetches.count.count(Id(9)), 0u);
}

TEST(ChunkPrefetcherTest, UnusedStartsNoThread) {
  std::atomic<int> calls{0};
  { ChunkPrefetcher prefetcher([&](const ChunkId&) { ++calls; }, 4, 16); }
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace berth::fs
