// CRC32c for RocksDB. Debian's librocksdb is built without SSE4.2, so its CRC32c (of every WAL
// record, every blob at flush, every SST block) is a table loop: about 0.9 GB/s here, where the
// CPU's crc32 instruction gives 5.4 GB/s; it took 38% of the daemon's CPU samples in a 1 GiB
// sequential write. librocksdb calls rocksdb::crc32c::Extend through its PLT (37 call sites, no
// -Bsymbolic), so the definition below, in our binary, takes the place of its own; a build of
// the library that binds it internally simply ignores it (slower, never wrong). The value is the
// same CRC32c, so files stay readable by either; the first call checks the instruction against
// the library's own function and keeps the library's on any difference.
#include <dlfcn.h>
#include <nmmintrin.h>

#include <cstring>
#include <initializer_list>

#include "storage/internal/rocks_crc32c.h"

namespace berth::storage::internal {

namespace {

using CrcExtendFn = uint32_t (*)(uint32_t crc, const char* data, size_t size);

constexpr char kLibrarySymbol[] = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

struct Choice {
  CrcExtendFn extend;
  const char* name;
};

Choice Choose() {
  auto library = reinterpret_cast<CrcExtendFn>(dlsym(RTLD_NEXT, kLibrarySymbol));
  if (!__builtin_cpu_supports("sse4.2")) {
    return library ? Choice{library, "library"} : Choice{BitwiseCrc32cExtend, "bitwise"};
  }
  if (library == nullptr) return {HardwareCrc32cExtend, "hardware"};
  // Odd lengths, unaligned starts and a nonzero seed (a chained call), against the library.
  char sample[301];
  for (size_t i = 0; i < sizeof(sample); ++i) sample[i] = static_cast<char>(i * 131 + 7);
  for (size_t start : {0, 1, 5}) {
    for (size_t size : {0, 1, 7, 8, 63, 200, 295}) {
      for (uint32_t seed : {0u, 0x8a9136aau}) {
        if (HardwareCrc32cExtend(seed, sample + start, size) !=
            library(seed, sample + start, size)) {
          return {library, "library"};
        }
      }
    }
  }
  return {HardwareCrc32cExtend, "hardware"};
}

const Choice& Chosen() {
  static const Choice choice = Choose();
  return choice;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t HardwareCrc32cExtend(uint32_t crc, const char* data,
                                                                size_t size) {
  uint64_t state = crc ^ 0xffffffffu;
  const char* p = data;
  const char* end = data + size;
  while (p < end && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    state = _mm_crc32_u8(static_cast<uint32_t>(state), static_cast<uint8_t>(*p++));
  }
  for (; end - p >= 8; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    state = _mm_crc32_u64(state, word);
  }
  while (p < end) state = _mm_crc32_u8(static_cast<uint32_t>(state), static_cast<uint8_t>(*p++));
  return static_cast<uint32_t>(state) ^ 0xffffffffu;
}

uint32_t BitwiseCrc32cExtend(uint32_t crc, const char* data, size_t size) {
  uint32_t state = crc ^ 0xffffffffu;
  for (size_t i = 0; i < size; ++i) {
    state ^= static_cast<uint8_t>(data[i]);
    for (int bit = 0; bit < 8; ++bit) state = (state >> 1) ^ (0x82f63b78u & (0u - (state & 1)));
  }
  return state ^ 0xffffffffu;
}

const char* RocksCrc32cImplementation() { return Chosen().name; }

}  // namespace berth::storage::internal

namespace rocksdb::crc32c {
uint32_t Extend(uint32_t crc, const char* buf, size_t size) {
  return berth::storage::internal::Chosen().extend(crc, buf, size);
}
}  // namespace rocksdb::crc32c
