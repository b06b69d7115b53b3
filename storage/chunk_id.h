#ifndef BERTH_STORAGE_CHUNK_ID_H_
#define BERTH_STORAGE_CHUNK_ID_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/secret_key.h"

namespace berth::storage {

// The identity of a chunk: BLAKE2b-256 of its plaintext, keyed with the cluster's dedup key.
// Keyed, so an id reveals nothing about content outside the cluster; cryptographic, so nobody can
// make their data collide with another user's. A plain value type.
class ChunkId {
 public:
  static constexpr size_t kSize = 32;

  ChunkId() { bytes_.fill(0); }
  // REQUIRES: bytes.size() == kSize.
  static ChunkId FromBytes(ByteView bytes);
  static Result<ChunkId> FromHex(std::string_view hex);

  ByteView bytes() const { return ByteView(bytes_.data(), kSize); }
  std::string_view key() const { return AsChars(bytes()); }  // as a RocksDB key
  std::string ToHex() const;
  // The first 12 hex digits, for messages.
  std::string ShortHex() const { return ToHex().substr(0, 12); }

  friend bool operator==(const ChunkId& a, const ChunkId& b) { return a.bytes_ == b.bytes_; }
  friend auto operator<=>(const ChunkId& a, const ChunkId& b) { return a.bytes_ <=> b.bytes_; }

 private:
  std::array<uint8_t, kSize> bytes_;
};

struct ChunkIdHash {
  size_t operator()(const ChunkId& id) const {
    size_t h;
    std::memcpy(&h, id.bytes().data(), sizeof(h));  // already uniformly random
    return h;
  }
};
using ChunkIdSet = std::unordered_set<ChunkId, ChunkIdHash>;

// Computes chunk ids under one dedup key. Thread-safe (immutable after construction).
class ChunkHasher {
 public:
  explicit ChunkHasher(const SecretKey& dedup_key) : key_(dedup_key) {}
  ChunkId Hash(ByteView plaintext) const;

 private:
  SecretKey key_;
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_CHUNK_ID_H_
