#ifndef BERTH_BASE_CODING_H_
#define BERTH_BASE_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>

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

// Big-endian integers, for keys whose byte order must sort numerically.
inline void PutBigEndian64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}
inline uint64_t DecodeBigEndian64(const uint8_t* src) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | src[i];
  return v;
}

// Reads fixed-width little-endian fields from a buffer, refusing to read past its end. Every
// decoder of untrusted bytes goes through this: a short buffer fails, it never over-reads.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}
  bool ReadU8(uint8_t* v) {
    if (data_.size() - pos_ < 1) return false;
    *v = data_[pos_++];
    return true;
  }
  bool ReadU32(uint32_t* v) {
    if (data_.size() - pos_ < 4) return false;
    *v = DecodeFixed32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool ReadU64(uint64_t* v) {
    if (data_.size() - pos_ < 8) return false;
    *v = DecodeFixed64(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool ReadI64(int64_t* v) {
    uint64_t u;
    if (!ReadU64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  // Reads `n` bytes as a view into the buffer.
  bool ReadBytes(size_t n, ByteView* v) {
    if (data_.size() - pos_ < n) return false;
    *v = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace berth

#endif  // BERTH_BASE_CODING_H_
