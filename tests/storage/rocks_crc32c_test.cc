#include "storage/internal/rocks_crc32c.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace berth::storage::internal {
namespace {

using CrcExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

TEST(RocksCrc32cTest, KnownValue) {
  // The CRC-32C check value (RFC 3720): "123456789" -> 0xe3069283.
  EXPECT_EQ(BitwiseCrc32cExtend(0, "123456789", 9), 0xe3069283u);
  if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_EQ(HardwareCrc32cExtend(0, "123456789", 9), 0xe3069283u);
  }
}

TEST(RocksCrc32cTest, HardwareAgreesWithTheLibraryAndBitwiseEverywhere) {
  if (!__builtin_cpu_supports("sse4.2")) GTEST_SKIP() << "no SSE4.2";
  auto library = reinterpret_cast<CrcExtendFn>(dlsym(RTLD_NEXT, "_ZN7rocksdb6crc32c6ExtendEjPKcm"));
  std::mt19937_64 rng(3);
  std::string buf(5000, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (int i = 0; i < 2000; ++i) {
    const size_t start = rng() % 64, size = rng() % (buf.size() - 64);
    const uint32_t seed = i % 2 ? static_cast<uint32_t>(rng()) : 0;
    const uint32_t hardware = HardwareCrc32cExtend(seed, buf.data() + start, size);
    ASSERT_EQ(hardware, BitwiseCrc32cExtend(seed, buf.data() + start, size)) << start << "+" << size;
    if (library != nullptr) {
      ASSERT_EQ(hardware, library(seed, buf.data() + start, size)) << start << "+" << size;
    }
  }
}

// The override is in effect in a binary that opens databases: RocksDB's calls reach ours.
TEST(RocksCrc32cTest, RocksDbUsesTheInstruction) {
  if (!__builtin_cpu_supports("sse4.2")) GTEST_SKIP() << "no SSE4.2";
  EXPECT_STREQ(RocksCrc32cImplementation(), "hardware");
  void* seen = dlsym(RTLD_DEFAULT, "_ZN7rocksdb6crc32c6ExtendEjPKcm");
  void* library = dlsym(RTLD_NEXT, "_ZN7rocksdb6crc32c6ExtendEjPKcm");
  ASSERT_NE(seen, nullptr);
  EXPECT_NE(seen, library) << "librocksdb's own CRC32c is the one that runs";
}

}  // namespace
}  // namespace berth::storage::internal
