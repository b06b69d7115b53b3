#include "cmd/size_parse.h"

#include <cctype>

namespace berth::cmd {

Result<uint64_t> ParseSize(const std::string& text) {
  auto bad = [&] {
    return InvalidArgumentError("not a size: '" + text + "' (try 1048576, 512K, 10M, 2G, 1T)");
  };
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    uint64_t next = value * 10 + static_cast<uint64_t>(text[i] - '0');
    if (next / 10 != value) return bad();
    value = next;
    ++i;
  }
  if (i == 0) return bad();
  std::string unit = text.substr(i);
  if (unit.size() > 1 && (unit.substr(1) == "B" || unit.substr(1) == "iB")) unit = unit.substr(0, 1);
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "k") shift = 10;
  else if (unit == "M") shift = 20;
  else if (unit == "G") shift = 30;
  else if (unit == "T") shift = 40;
  else return bad();
  if (shift > 0 && value > (UINT64_MAX >> shift)) return bad();
  return value << shift;
}

}  // namespace berth::cmd
