#ifndef BERTH_SNAPSHOT_INTERNAL_WIRE_H_
#define BERTH_SNAPSHOT_INTERNAL_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/coding.h"
#include "base/status.h"
#include "storage/chunk_id.h"

namespace berth::snapshot::internal {

// Little-endian writers for snapshot/'s formats (doc/snapshot_format.md).
inline void PutU8(Bytes* out, uint8_t v) { out->push_back(v); }
inline void PutU16(Bytes* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v));
  out->push_back(static_cast<uint8_t>(v >> 8));
}
inline void PutRaw(Bytes* out, std::string_view s) { out->insert(out->end(), s.begin(), s.end()); }
inline void PutRaw(Bytes* out, ByteView b) { out->insert(out->end(), b.begin(), b.end()); }
inline void PutId(Bytes* out, const storage::ChunkId& id) { PutRaw(out, id.bytes()); }

// A bounds-checked reader of one object that remembers what it was decoding, so every failure
// becomes a DataLoss naming the object kind, the byte offset and what was wrong.
class WireReader {
 public:
  WireReader(ByteView data, std::string_view what) : data_(data), what_(what) {}

  bool U8(uint8_t* v) {
    if (data_.size() - pos_ < 1) return false;
    *v = data_[pos_++];
    return true;
  }
  bool U16(uint16_t* v) {
    if (data_.size() - pos_ < 2) return false;
    *v = static_cast<uint16_t>(data_[pos_] | data_[pos_ + 1] << 8);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() - pos_ < 4) return false;
    *v = DecodeFixed32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (data_.size() - pos_ < 8) return false;
    *v = DecodeFixed64(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Raw(size_t n, std::string* v) {
    if (data_.size() - pos_ < n) return false;
    v->assign(reinterpret_cast<const char*>(data_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool Id(storage::ChunkId* id) {
    if (data_.size() - pos_ < storage::ChunkId::kSize) return false;
    *id = storage::ChunkId::FromBytes(data_.subspan(pos_, storage::ChunkId::kSize));
    pos_ += storage::ChunkId::kSize;
    return true;
  }

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  // DataLoss("<what>: <problem> at byte <pos>").
  Status Fail(std::string_view problem) const {
    return DataLossError(std::string(what_) + ": " + std::string(problem) + " at byte " +
                         std::to_string(pos_));
  }
  Status Truncated(std::string_view field) const { return Fail("truncated " + std::string(field)); }

 private:
  ByteView data_;
  std::string_view what_;
  size_t pos_ = 0;
};

}  // namespace berth::snapshot::internal

#endif  // BERTH_SNAPSHOT_INTERNAL_WIRE_H_
