#ifndef BERTH_BASE_CODING_H_
#define BERTH_BASE_CODING_H_

#include <cstdint>
#include <cstring>

#include "base/bytes.h"

namespace berth {

// Fixed-width little-endian integers, the byte order of every berth format.
// The memcpy keeps these free of alignment and aliasing traps; x86 and arm64 are little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "berth formats assume little-endian hosts");

inline void EncodeFixed32(uint8_t* dst, uint32_t v) { std::memcpy(dst, &v, 4); }
inline void EncodeFixed64(uint8_t* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
inline uint32_t DecodeFixed32(const uint8_t* src) {
  uint32_t v;
  std::memcpy(&v, src, 4);
  return v;
}
inline uint64_t DecodeFixed64(const uint8_t* src) {
  uint64_t v;
  std::memcpy(&v, src, 8);
  return v;
}

inline void PutFixed32(Bytes* dst, uint32_t v) {
  uint8_t buf[4];
  EncodeFixed32(buf, v);
  dst->insert(dst->end(), buf, buf + 4);
}
inline void PutFixed64(Bytes* dst, uint64_t v) {
  uint8_t buf[8];
  EncodeFixed64(buf, v);
  dst->insert(dst->end(), buf, buf + 8);
}

}  // namespace berth

#endif  // BERTH_BASE_CODING_H_
