#include "storage/chunker.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

namespace berth::storage {

namespace {

// The gear table: 256 pseudo-random 64-bit values from splitmix64 with a fixed seed.
// Part of the chunk format (doc/chunking.md): never change it.
constexpr std::array<uint64_t, 256> MakeGearTable() {
  std::array<uint64_t, 256> table{};
  uint64_t state = 0x62657274682d6763;  // "berth-gc"
  for (auto& entry : table) {
    state += 0x9e3779b97f4a7c15;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    entry = z ^ (z >> 31);
  }
  return table;
}
constexpr std::array<uint64_t, 256> kGear = MakeGearTable();

// The gear hash shifts left once per byte, so bit k depends on the last k+1 bytes only. Masks
// take the top bits, which depend on the last 64 bytes: the rolling window.
constexpr uint64_t TopBits(int n) { return n <= 0 ? 0 : ~uint64_t{0} << (64 - n); }

}  // namespace

Status ChunkerOptions::Validate() const {
  auto fail = [](std::string why) { return InvalidArgumentError("chunker options: " + why); };
  if (min_size < 64) return fail("min_size must be at least 64 bytes");
  if (!std::has_single_bit(avg_size)) return fail("avg_size must be a power of two");
  if (!(min_size < avg_size && avg_size < max_size)) {
    return fail("need min_size < avg_size < max_size");
  }
  if (max_size > (16u << 20)) return fail("max_size must be at most 16 MiB");
  if (normalization < 0 || normalization > 4) return fail("normalization must be 0..4");
  return Status::Ok();
}

Chunker::Chunker(const ChunkerOptions& options) : options_(options) {
  int bits = std::countr_zero(options.avg_size);
  mask_small_ = TopBits(bits + options.normalization);
  mask_large_ = TopBits(bits - options.normalization);
}

size_t Chunker::FindCut(ByteView data) const {
  const size_t n = std::min<size_t>(data.size(), options_.max_size);
  if (n <= options_.min_size) return n;
  const size_t normal = std::min<size_t>(n, options_.avg_size);
  const uint8_t* p = data.data();
  uint64_t h = 0;
  size_t i = options_.min_size;
  for (; i < normal; ++i) {
    h = (h << 1) + kGear[p[i]];
    if ((h & mask_small_) == 0) return i + 1;
  }
  for (; i < n; ++i) {
    h = (h << 1) + kGear[p[i]];
    if ((h & mask_large_) == 0) return i + 1;
  }
  return n;
}

std::vector<uint32_t> Chunker::Split(ByteView data) const {
  std::vector<uint32_t> lengths;
  lengths.reserve(data.size() / options_.avg_size + 1);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t cut = FindCut(data.subspan(pos));
    lengths.push_back(static_cast<uint32_t>(cut));
    pos += cut;
  }
  return lengths;
}

}  // namespace berth::storage
