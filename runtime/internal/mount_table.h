#ifndef BERTH_RUNTIME_INTERNAL_MOUNT_TABLE_H_
#define BERTH_RUNTIME_INTERNAL_MOUNT_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace berth::runtime::internal {

// One line of /proc/<pid>/mountinfo (proc(5)), with the octal escapes (\040 ...) decoded.
struct MountEntry {
  int id = 0;
  int parent_id = 0;
  std::string root;         // the mounted subtree of the filesystem
  std::string mount_point;  // where it is mounted, in the reader's namespace
  std::string options;      // per-mount options ("rw,relatime")
  std::string optional;     // propagation fields ("shared:12 master:3"), may be empty
  std::string fs_type;      // "overlay", "cgroup2", "fuse.berth" ...
  std::string source;
  std::string super_options;  // per-superblock options ("rw,memory" for a v1 cgroup)
};

// Parses mountinfo text. Malformed lines are skipped: the kernel writes this file, so a line we
// cannot parse is a format we do not know, not an attack.
std::vector<MountEntry> ParseMountInfo(std::string_view text);

// The mounts of the calling process's mount namespace.
Result<std::vector<MountEntry>> ReadMountTable();

// True when `path` (absolute, no trailing slash, no symlinks: callers pass canonical paths) is
// the mount point of at least one mount. Never stats `path` itself, so a dead FUSE mount there
// ("Transport endpoint is not connected") is still seen as a mount point.
Result<bool> IsMountPoint(const std::string& path);

// The mount points at `dir` or below it, deepest (last mounted) first: the order to unmount them.
Result<std::vector<std::string>> MountsUnder(const std::string& dir);

// The canonical absolute form of `path` (realpath(3)); the path must exist.
Result<std::string> CanonicalPath(const std::string& path);

}  // namespace berth::runtime::internal

#endif  // BERTH_RUNTIME_INTERNAL_MOUNT_TABLE_H_
