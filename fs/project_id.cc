#include "fs/project_id.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

namespace berth::fs {

ProjectId ProjectId::Generate() {
  ProjectId id;
  randombytes_buf(id.bytes_.data(), kSize);
  id.bytes_[6] = (id.bytes_[6] & 0x0f) | 0x40;  // version 4
  id.bytes_[8] = (id.bytes_[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return id;
}

ProjectId ProjectId::FromBytes(ByteView bytes) {
  assert(bytes.size() == kSize);
  ProjectId id;
  std::memcpy(id.bytes_.data(), bytes.data(), kSize);
  return id;
}

Result<ProjectId> ProjectId::Parse(std::string_view text) {
  const Status bad = InvalidArgumentError("not a project id (a UUID like 0f8e1c2a-...): '" +
                                          std::string(text) + "'");
  if (text.size() != 36) return bad;
  std::string hex;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_place = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_place) {
      if (text[i] != '-') return bad;
    } else {
      hex.push_back(text[i]);
    }
  }
  Bytes raw;
  if (!FromHex(hex, &raw)) return bad;
  return FromBytes(raw);
}

std::string ProjectId::ToString() const {
  std::string hex = ToHex(ByteView(bytes_.data(), kSize));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace berth::fs
