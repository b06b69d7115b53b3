// Fuzz target for the record decoder: any bytes, under any id, with and without a key, must give
// either the plaintext or a clean error, never a crash or an out-of-bounds read.
#include <cstddef>
#include <cstdint>

#include "base/coding.h"
#include "storage/chunk_id.h"
#include "storage/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth;
  using namespace berth::storage;
  static const RecordCodec plain(3, std::nullopt);
  static const RecordCodec encrypted(3, SecretKey::FromBytes(ByteView(
                                            reinterpret_cast<const uint8_t*>(
                                                "0123456789abcdef0123456789abcdef"),
                                            32)));
  ByteView input(data, size);
  ChunkId id;
  RecordHeader header;
  Bytes out;
  (void)CheckRecord(input);
  plain.Decode(id, input, &header, &out).IgnoreError();
  encrypted.Decode(id, input, &header, &out).IgnoreError();
  // Random bytes rarely pass the checksum; seal them so the decrypt and decompress paths see
  // arbitrary payloads and lengths too.
  if (size >= kRecordHeaderSize) {
    Bytes sealed(data, data + size);
    EncodeFixed64(sealed.data() + 8,
                  RecordChecksum(sealed.data(), ByteView(sealed).subspan(kRecordHeaderSize)));
    plain.Decode(id, sealed, &header, &out).IgnoreError();
    encrypted.Decode(id, sealed, &header, &out).IgnoreError();
  }
  return 0;
}
