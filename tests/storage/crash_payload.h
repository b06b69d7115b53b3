#ifndef BERTH_TESTS_STORAGE_CRASH_PAYLOAD_H_
#define BERTH_TESTS_STORAGE_CRASH_PAYLOAD_H_

#include "base/bytes.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {

// Chunk `i` of the crash test's batch `seed`: 64-256 KiB, half random and half text-like.
inline Bytes CrashPayload(uint64_t seed, int i) {
  uint64_t s = seed * 100003 + static_cast<uint64_t>(i);
  size_t size = (64u << 10) + (s * 7919) % (192u << 10);
  return (i % 2 == 0) ? berth::testing::RandomBytes(size, s) : berth::testing::TextBytes(size, s);
}

}  // namespace berth::storage

#endif  // BERTH_TESTS_STORAGE_CRASH_PAYLOAD_H_
