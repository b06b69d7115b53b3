#ifndef BERTH_STORAGE_RECORD_H_
#define BERTH_STORAGE_RECORD_H_

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/chunk_id.h"
#include "storage/secret_key.h"

namespace berth::storage {

// What a chunk holds. Trees and lists are snapshot/'s objects, stored like data so that
// replication and sweep treat everything alike.
enum class ChunkKind : uint8_t { kData = 1, kTree = 2, kList = 3 };
const char* ChunkKindName(ChunkKind kind);

// The stored form of a chunk (doc/record_format.md):
//   [0]     format version (kRecordVersion)
//   [1]     kind (ChunkKind)
//   [2]     flags (kFlagCompressed | kFlagEncrypted)
//   [3]     reserved, 0
//   [4..8)  plaintext length, u32 little-endian
//   [8..16) XXH3-64 of the payload, seeded with bytes [0..8) read as a little-endian u64
//   [16..)  payload: the plaintext, zstd-compressed or not; if encrypted,
//           nonce(24) || XChaCha20-Poly1305(payload) || tag(16), with the chunk id and bytes
//           [0..8) as associated data, so a record cannot be passed off under another id.
inline constexpr uint8_t kRecordVersion = 1;
inline constexpr size_t kRecordHeaderSize = 16;
inline constexpr uint8_t kFlagCompressed = 1;
inline constexpr uint8_t kFlagEncrypted = 2;
// Larger records are refused on encode and treated as corrupt on decode.
inline constexpr uint32_t kMaxPlaintextSize = 64u << 20;

struct RecordHeader {
  ChunkKind kind = ChunkKind::kData;
  uint8_t flags = 0;
  uint32_t plaintext_size = 0;
};

// XXH3-64 of `payload` seeded with the 8 header bytes at `header`, read as a little-endian u64:
// the checksum at bytes [8..16).
uint64_t RecordChecksum(const uint8_t* header, ByteView payload);

// Parses the header and checks the XXH3 checksum over header and payload: the fast check,
// which needs no key. DataLoss if anything is off.
Result<RecordHeader> CheckRecord(ByteView record);

// Encodes and decodes records under one compression level and optional encryption key.
// Thread-safe: zstd contexts are per thread.
class RecordCodec {
 public:
  // zstd_level: 1..19. encryption_key: set to encrypt new records and to read encrypted ones.
  RecordCodec(int zstd_level, std::optional<SecretKey> encryption_key);

  // REQUIRES: plaintext.size() <= kMaxPlaintextSize and id is the plaintext's id.
  // Compresses when it saves at least 1/64 of the size, else stores the bytes raw.
  void Encode(const ChunkId& id, ChunkKind kind, ByteView plaintext, Bytes* out) const;

  // Checks, decrypts and decompresses. DataLoss when the record is corrupt or does not belong to
  // `id`; FailedPrecondition when it is encrypted and this codec has no key.
  // Does not recompute the id (see ChunkHasher; the deep verify does).
  Status Decode(const ChunkId& id, ByteView record, RecordHeader* header, Bytes* plaintext) const;

  bool encrypts() const { return key_.has_value(); }

 private:
  int zstd_level_;
  std::optional<SecretKey> key_;
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_RECORD_H_
