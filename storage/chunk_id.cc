#include "storage/chunk_id.h"

#include <sodium.h>

#include <cassert>

namespace berth::storage {

ChunkId ChunkId::FromBytes(ByteView bytes) {
  assert(bytes.size() == kSize);
  ChunkId id;
  std::memcpy(id.bytes_.data(), bytes.data(), kSize);
  return id;
}

Result<ChunkId> ChunkId::FromHex(std::string_view hex) {
  Bytes raw;
  if (hex.size() != 2 * kSize || !berth::FromHex(hex, &raw)) {
    return InvalidArgumentError("not a chunk id (64 hex digits): '" + std::string(hex) + "'");
  }
  return FromBytes(raw);
}

std::string ChunkId::ToHex() const { return berth::ToHex(bytes()); }

ChunkId ChunkHasher::Hash(ByteView plaintext) const {
  uint8_t out[ChunkId::kSize];
  crypto_generichash(out, sizeof(out), plaintext.data(), plaintext.size(), key_.data(),
                     SecretKey::kSize);
  return ChunkId::FromBytes(ByteView(out, sizeof(out)));
}

}  // namespace berth::storage
