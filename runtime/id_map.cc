#include "runtime/id_map.h"

#include <charconv>
#include <vector>

#include "base/bytes.h"
#include "base/file.h"

namespace berth::runtime {

namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Status IdMap::Validate() const {
  if (host_base == 0) {
    return InvalidArgumentError("id map: host_base 0 would map the container's root to the host's");
  }
  if (count < 65536) {
    return InvalidArgumentError("id map: count " + std::to_string(count) +
                                " is below 65536, the ids a distribution's base system uses");
  }
  if (uint64_t{host_base} + count > uint64_t{UINT32_MAX}) {
    return InvalidArgumentError("id map: host_base + count overflows 32-bit ids");
  }
  return Status::Ok();
}

bool SubordinateRangeCovered(std::string_view text, std::string_view user, const IdMap& map) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    if (line.substr(0, c1) != user) continue;
    uint64_t first = 0, n = 0;
    if (!ParseU64(line.substr(c1 + 1, c2 - c1 - 1), &first)) continue;
    if (!ParseU64(line.substr(c2 + 1), &n)) continue;
    if (first <= map.host_base && uint64_t{map.host_base} + map.count <= first + n) return true;
  }
  return false;
}

std::string WithSubordinateRange(std::string_view text, std::string_view user, const IdMap& map) {
  std::string out(text);
  if (SubordinateRangeCovered(text, user, map)) return out;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += std::string(user) + ":" + std::to_string(map.host_base) + ":" + std::to_string(map.count) +
         "\n";
  return out;
}

Status EnsureSubordinateIds(const std::string& path, std::string_view user, const IdMap& map) {
  RETURN_IF_ERROR(map.Validate());
  std::string text;
  if (PathExists(path)) {
    ASSIGN_OR_RETURN(text, ReadFileToString(path));
  }
  if (SubordinateRangeCovered(text, user, map)) return Status::Ok();
  std::string updated = WithSubordinateRange(text, user, map);
  return WriteFileAtomically(path, AsBytes(updated), 0644)
      .WithContext("adding " + std::string(user) + "'s subordinate ids to " + path);
}

}  // namespace berth::runtime
