#include "storage/secret_key.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

#include "base/file.h"

namespace berth::storage {

namespace {
constexpr char kFingerprintLabel[] = "berth key fingerprint v1";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

SecretKey SecretKey::Generate() {
  SecretKey key;
  randombytes_buf(key.bytes_.data(), kSize);
  return key;
}

SecretKey SecretKey::FromBytes(ByteView bytes) {
  assert(bytes.size() == kSize);
  SecretKey key;
  std::memcpy(key.bytes_.data(), bytes.data(), kSize);
  return key;
}

Result<SecretKey> SecretKey::LoadFile(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("reading key file");
  std::string hex = Trim(std::move(*text));
  Bytes raw;
  bool parsed = hex.size() == 2 * kSize && FromHex(hex, &raw);
  sodium_memzero(hex.data(), hex.size());
  if (!parsed) {
    return InvalidArgumentError("key file " + path + " must hold exactly 64 hex digits");
  }
  SecretKey key = FromBytes(raw);
  sodium_memzero(raw.data(), raw.size());
  return key;
}

Status SecretKey::SaveFile(const std::string& path) const {
  std::string text = ToHex(ByteView(bytes_.data(), kSize)) + "\n";
  Status status = WriteFileAtomically(path, AsBytes(text), 0600);
  sodium_memzero(text.data(), text.size());
  return status;
}

std::array<uint8_t, 32> SecretKey::Fingerprint() const {
  std::array<uint8_t, 32> out;
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const uint8_t*>(kFingerprintLabel),
                     sizeof(kFingerprintLabel) - 1, bytes_.data(), kSize);
  return out;
}

}  // namespace berth::storage
