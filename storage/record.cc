#include "storage/record.h"

#include <sodium.h>
#include <xxhash.h>
#include <zstd.h>

#include <cassert>
#include <cstring>
#include <memory>
#include <string>

#include "base/coding.h"

namespace berth::storage {

namespace {

constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr uint8_t kKnownFlags = kFlagCompressed | kFlagEncrypted;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context per thread: creating a compression context costs more than compressing a small file.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

Status Corrupt(std::string what) { return DataLossError("corrupt record: " + what); }

// Associated data for the AEAD: the chunk id and the first 8 header bytes.
void MakeAad(const ChunkId& id, const uint8_t* header, uint8_t* aad) {
  std::memcpy(aad, id.bytes().data(), ChunkId::kSize);
  std::memcpy(aad + ChunkId::kSize, header, 8);
}

}  // namespace

// The seed makes a flipped bit in the version, kind, flags or length fail the check as well.
uint64_t RecordChecksum(const uint8_t* header, ByteView payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(), DecodeFixed64(header));
}

const char* ChunkKindName(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kData: return "data";
    case ChunkKind::kTree: return "tree";
    case ChunkKind::kList: return "list";
  }
  return "unknown";
}

Result<RecordHeader> CheckRecord(ByteView record) {
  if (record.size() < kRecordHeaderSize) {
    return Corrupt("shorter (" + std::to_string(record.size()) + " bytes) than its header");
  }
  const uint8_t* h = record.data();
  if (h[0] != kRecordVersion) {
    return Corrupt("unknown format version " + std::to_string(h[0]) + " (this build reads " +
                   std::to_string(kRecordVersion) + ")");
  }
  if (h[1] < 1 || h[1] > 3) return Corrupt("unknown kind " + std::to_string(h[1]));
  if ((h[2] & ~kKnownFlags) != 0) return Corrupt("unknown flags " + std::to_string(h[2]));
  if (h[3] != 0) return Corrupt("reserved byte is not zero");
  RecordHeader header;
  header.kind = static_cast<ChunkKind>(h[1]);
  header.flags = h[2];
  header.plaintext_size = DecodeFixed32(h + 4);
  if (header.plaintext_size > kMaxPlaintextSize) {
    return Corrupt("plaintext length " + std::to_string(header.plaintext_size) + " over the limit");
  }
  ByteView payload = record.subspan(kRecordHeaderSize);
  if (DecodeFixed64(h + 8) != RecordChecksum(h, payload)) return Corrupt("checksum mismatch");
  return header;
}

RecordCodec::RecordCodec(int zstd_level, std::optional<SecretKey> encryption_key)
    : zstd_level_(zstd_level), key_(std::move(encryption_key)) {}

void RecordCodec::Encode(const ChunkId& id, ChunkKind kind, ByteView plaintext, Bytes* out) const {
  assert(plaintext.size() <= kMaxPlaintextSize);
  const size_t bound = ZSTD_compressBound(plaintext.size());
  const size_t crypto_overhead = key_ ? kNonceSize + kTagSize : 0;
  out->resize(kRecordHeaderSize + crypto_overhead + std::max(bound, plaintext.size()));
  uint8_t* h = out->data();
  // With encryption the (compressed) payload is built after the nonce and encrypted in place.
  uint8_t* body = h + kRecordHeaderSize + (key_ ? kNonceSize : 0);

  uint8_t flags = 0;
  size_t body_size = plaintext.size();
  if (!plaintext.empty()) {
    ZSTD_CCtx* cctx = ThreadCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, zstd_level_);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);   // the header's checksum covers it
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);  // the header has the length
    size_t n = ZSTD_compress2(cctx, body, bound, plaintext.data(), plaintext.size());
    if (!ZSTD_isError(n) && n < plaintext.size() - plaintext.size() / 64) {
      flags |= kFlagCompressed;
      body_size = n;
    }
  }
  if (!(flags & kFlagCompressed) && !plaintext.empty()) {
    std::memcpy(body, plaintext.data(), plaintext.size());
  }

  if (key_) flags |= kFlagEncrypted;
  h[0] = kRecordVersion;
  h[1] = static_cast<uint8_t>(kind);
  h[2] = flags;
  h[3] = 0;
  EncodeFixed32(h + 4, static_cast<uint32_t>(plaintext.size()));

  size_t payload_size = body_size;
  if (key_) {
    uint8_t* nonce = h + kRecordHeaderSize;
    randombytes_buf(nonce, kNonceSize);
    uint8_t aad[ChunkId::kSize + 8];
    MakeAad(id, h, aad);
    unsigned long long cipher_size = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(body, &cipher_size, body, body_size, aad,
                                               sizeof(aad), nullptr, nonce, key_->data());
    payload_size = kNonceSize + cipher_size;
  }
  out->resize(kRecordHeaderSize + payload_size);
  EncodeFixed64(h + 8, RecordChecksum(h, ByteView(*out).subspan(kRecordHeaderSize)));
}

Status RecordCodec::Decode(const ChunkId& id, ByteView record, RecordHeader* header,
                           Bytes* plaintext) const {
  ASSIGN_OR_RETURN(*header, CheckRecord(record));
  ByteView payload = record.subspan(kRecordHeaderSize);
  Bytes decrypted;
  if (header->flags & kFlagEncrypted) {
    if (!key_) {
      return FailedPreconditionError("record " + id.ShortHex() +
                                     " is encrypted and no encryption key was given");
    }
    if (payload.size() < kNonceSize + kTagSize) return Corrupt("encrypted payload too short");
    decrypted.resize(payload.size() - kNonceSize - kTagSize);
    uint8_t aad[ChunkId::kSize + 8];
    MakeAad(id, record.data(), aad);
    unsigned long long n = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            decrypted.data(), &n, nullptr, payload.data() + kNonceSize,
            payload.size() - kNonceSize, aad, sizeof(aad), payload.data(), key_->data()) != 0) {
      return Corrupt("authentication failed (wrong key, wrong id, or damaged bytes)");
    }
    payload = ByteView(decrypted.data(), n);
  }

  plaintext->resize(header->plaintext_size);
  if (header->flags & kFlagCompressed) {
    size_t n = ZSTD_decompressDCtx(ThreadDCtx(), plaintext->data(), plaintext->size(),
                                   payload.data(), payload.size());
    if (ZSTD_isError(n)) return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n != header->plaintext_size) return Corrupt("decompressed length differs from header");
  } else {
    if (payload.size() != header->plaintext_size) {
      return Corrupt("raw payload length differs from header");
    }
    if (!payload.empty()) std::memcpy(plaintext->data(), payload.data(), payload.size());
  }
  return Status::Ok();
}

}  // namespace berth::storage
