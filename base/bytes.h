#ifndef BERTH_BASE_BYTES_H_
#define BERTH_BASE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// A borrowed, read-only run of bytes. The owner must outlive the view.
using ByteView = std::span<const uint8_t>;
// Owned bytes.
using Bytes = std::vector<uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsChars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// Lower-case hex of `bytes`.
std::string ToHex(ByteView bytes);
// Parses hex (either case). Returns false on odd length or a non-hex digit.
bool FromHex(std::string_view hex, Bytes* out);

}  // namespace berth

#endif  // BERTH_BASE_BYTES_H_
