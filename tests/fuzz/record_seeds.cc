// Valid records (plain and encrypted, raw and compressed) for the record fuzz target to mutate.
#include <cstring>
#include <vector>

#include "storage/chunk_id.h"
#include "storage/record.h"

std::vector<std::vector<uint8_t>> FuzzSeeds() {
  using namespace berth;
  using namespace berth::storage;
  const auto key = SecretKey::FromBytes(
      ByteView(reinterpret_cast<const uint8_t*>("0123456789abcdef0123456789abcdef"), 32));
  std::vector<std::vector<uint8_t>> seeds;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "berth chunk " + std::to_string(i % 7) + "\n";
  std::vector<uint8_t> noise(500);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 131 + 7);
  for (const RecordCodec* codec :
       {new RecordCodec(3, std::nullopt), new RecordCodec(3, key)}) {
    for (ByteView plain : {AsBytes(text), ByteView(noise), ByteView()}) {
      Bytes record;
      codec->Encode(ChunkId(), ChunkKind::kData, plain, &record);
      seeds.push_back(record);
    }
    delete codec;
  }
  return seeds;
}
