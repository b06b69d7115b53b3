#ifndef BERTH_STORAGE_SECRET_KEY_H_
#define BERTH_STORAGE_SECRET_KEY_H_

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace berth::storage {

// A 32-byte secret (the dedup key, the at-rest encryption key). Zeroed on destruction with
// sodium_memzero so it does not linger in freed memory. Copyable: each copy zeroes its own bytes.
class SecretKey {
 public:
  static constexpr size_t kSize = 32;

  SecretKey() { bytes_.fill(0); }
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();

  // A fresh key from the system's CSPRNG.
  static SecretKey Generate();
  // REQUIRES: bytes.size() == kSize.
  static SecretKey FromBytes(ByteView bytes);

  // Key files hold the key as 64 hex digits and a newline, mode 0600.
  static Result<SecretKey> LoadFile(const std::string& path);
  Status SaveFile(const std::string& path) const;

  // A public digest of the key (BLAKE2b keyed with the key over a fixed label): stored beside
  // the data so that opening with another key fails clearly, without revealing the key.
  std::array<uint8_t, 32> Fingerprint() const;

  const uint8_t* data() const { return bytes_.data(); }

 private:
  std::array<uint8_t, kSize> bytes_;
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_SECRET_KEY_H_
