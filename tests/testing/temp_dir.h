#ifndef BERTH_TESTS_TESTING_TEMP_DIR_H_
#define BERTH_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <vector>
#include <filesystem>
#include <random>
#include <string>

namespace berth::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/berth-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Deterministic pseudo-random bytes.
inline std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<uint8_t>(rng());
  return out;
}

// Deterministic text-like bytes that zstd compresses well.
inline std::vector<uint8_t> TextBytes(size_t n, uint64_t seed) {
  static const char* kWords[] = {"chunk ", "store ", "berth ", "project ", "snapshot ",
                                 "int ", "return ", "{\n", "}\n", "for (", "x = ", "0;\n"};
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out;
  out.reserve(n);
  while (out.size() < n) {
    const char* w = kWords[rng() % 12];
    for (const char* p = w; *p && out.size() < n; ++p) out.push_back(static_cast<uint8_t>(*p));
  }
  return out;
}

}  // namespace berth::testing

#endif  // BERTH_TESTS_TESTING_TEMP_DIR_H_
