// A driver for fuzz targets where libFuzzer is not linked (the gcc build): runs the target on
// every file named on the command line, then on deterministic mutations of valid inputs made
// by the target's seed generator, so the ctest run exercises the decoder's error paths.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Valid inputs to start mutating from; defined next to each target.
std::vector<std::vector<uint8_t>> FuzzSeeds();

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    ++runs;
  }
  std::mt19937_64 rng(20261125);
  for (const auto& seed : FuzzSeeds()) {
    LLVMFuzzerTestOneInput(seed.data(), seed.size());
    for (int round = 0; round < 3000; ++round) {
      std::vector<uint8_t> m = seed;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !m.empty(); ++e) {
        switch (rng() % 4) {
          case 0: m[rng() % m.size()] ^= static_cast<uint8_t>(1 + rng() % 255); break;
          case 1: m.resize(rng() % (m.size() + 1)); break;
          case 2: m.insert(m.begin() + static_cast<long>(rng() % (m.size() + 1)),
                           static_cast<uint8_t>(rng())); break;
          default: m[rng() % m.size()] = static_cast<uint8_t>(rng());
        }
      }
      LLVMFuzzerTestOneInput(m.data(), m.size());
      ++runs;
    }
  }
  std::printf("fuzz replay: %zu inputs, no crash\n", runs);
  return 0;
}
