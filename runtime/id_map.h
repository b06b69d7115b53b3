#ifndef BERTH_RUNTIME_ID_MAP_H_
#define BERTH_RUNTIME_ID_MAP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace berth::runtime {

// The user-namespace id map of every berth container: container uid/gid N is host uid/gid
// host_base + N, for N < count. The same map is used for uids and gids.
struct IdMap {
  // The host id of the container's root. Default: 100000.
  uint32_t host_base = 100000;
  // How many ids are mapped; container ids at or above it show as 65534 (nobody). Default: 65536.
  uint32_t count = 65536;

  uint32_t ToHost(uint32_t container_id) const { return host_base + container_id; }
  // InvalidArgument unless 0 < host_base, 65536 <= count, and the range fits in 32 bits.
  Status Validate() const;
};

// True when `text` (the /etc/subuid or /etc/subgid format, "user:first:count" per line) gives
// `user` a range that contains [map.host_base, map.host_base + map.count).
bool SubordinateRangeCovered(std::string_view text, std::string_view user, const IdMap& map);

// `text` with the line "user:host_base:count" appended, unless the range is covered already (then
// `text` unchanged).
std::string WithSubordinateRange(std::string_view text, std::string_view user, const IdMap& map);

// Makes `path` (/etc/subuid or /etc/subgid) give `user` the map's range: appends a line when none
// covers it, rewriting the file atomically; does nothing when one does. A missing file is created.
// liblxc, running as root, writes /proc/<pid>/uid_map itself, but newuidmap and the shadow tools
// consult these files, and an operator reading them should see the range berth uses.
Status EnsureSubordinateIds(const std::string& path, std::string_view user, const IdMap& map);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_ID_MAP_H_
