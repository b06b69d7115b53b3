#ifndef BERTH_STORAGE_INTERNAL_INDEX_ENTRY_H_
#define BERTH_STORAGE_INTERNAL_INDEX_ENTRY_H_

#include <string>
#include <string_view>

#include "base/coding.h"
#include "base/status.h"
#include "storage/chunk_store.h"

namespace berth::storage::internal {

// chunk_index value (doc/record_format.md): version(1) kind(1) flags(1) 0(1)
// plaintext_size(u32) stored_size(u32) written_ms(u64) = 20 bytes.
inline constexpr size_t kIndexEntrySize = 20;
inline constexpr uint8_t kIndexEntryVersion = 1;

inline std::string EncodeIndexEntry(const ChunkInfo& info) {
  uint8_t buf[kIndexEntrySize];
  buf[0] = kIndexEntryVersion;
  buf[1] = static_cast<uint8_t>(info.kind);
  buf[2] = info.flags;
  buf[3] = 0;
  EncodeFixed32(buf + 4, info.plaintext_size);
  EncodeFixed32(buf + 8, info.stored_size);
  EncodeFixed64(buf + 12, static_cast<uint64_t>(info.written_ms));
  return std::string(reinterpret_cast<const char*>(buf), sizeof(buf));
}

inline Result<ChunkInfo> DecodeIndexEntry(const ChunkId& id, std::string_view value) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  if (value.size() != kIndexEntrySize || p[0] != kIndexEntryVersion || p[1] < 1 || p[1] > 3) {
    return DataLossError("corrupt index entry for chunk " + id.ShortHex());
  }
  ChunkInfo info;
  info.id = id;
  info.kind = static_cast<ChunkKind>(p[1]);
  info.flags = p[2];
  info.plaintext_size = DecodeFixed32(p + 4);
  info.stored_size = DecodeFixed32(p + 8);
  info.written_ms = static_cast<int64_t>(DecodeFixed64(p + 12));
  return info;
}

}  // namespace berth::storage::internal

#endif  // BERTH_STORAGE_INTERNAL_INDEX_ENTRY_H_
