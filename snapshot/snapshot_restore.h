#ifndef BERTH_SNAPSHOT_SNAPSHOT_RESTORE_H_
#define BERTH_SNAPSHOT_SNAPSHOT_RESTORE_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/tree_object.h"

namespace berth::snapshot {

struct RestoreOptions {
  // Give every entry the snapshot's uid and gid (needs CAP_CHOWN). When false, entries belong to
  // the caller. Default: true.
  bool owners = true;
  // Restore extended attributes. One the target filesystem refuses (EPERM, ENOTSUP: e.g.
  // trusted.* without privilege; ENOSPC, E2BIG: a value larger than it keeps, like ext4's one
  // block) is skipped and counted, and the restore goes on. Default: true.
  bool xattrs = true;
  // Make character and block devices (needs CAP_MKNOD); when false they are skipped and counted.
  // Default: true.
  bool devices = true;
};

struct RestoreStats {
  uint64_t files = 0;        // regular files written (hard links not counted)
  uint64_t directories = 0;  // directories made, the target included
  uint64_t links = 0;        // extra names made with link(2) for hard-link groups
  uint64_t others = 0;       // symlinks, fifos, sockets, devices
  uint64_t bytes = 0;        // data bytes written (holes are not written)
  uint64_t skipped = 0;      // devices and xattrs left out (see RestoreOptions)
};

// Writes `entry` (a directory, the snapshot root as SnapshotReader::Stat gives it, or any other
// entry) of a snapshot to `target` on the native filesystem: contents with holes left as holes,
// modes (setuid/setgid included), owners, mtimes, symlinks, fifos, devices, xattrs, and hard links
// for the names of one link group within what is restored. Directories get their metadata after
// their contents, so read-only directories and their mtimes come out right.
//
// `target` must not exist, except that for a directory it may be an existing empty directory.
// AlreadyExists otherwise. The snapshot root (name "") gives `target` the attributes its tree
// object carries (mode, owner, mtime, xattrs); a root written before format version 2 has none,
// so a target made here gets 0755 and an existing one keeps its own. Access times are not
// recorded: they are left as the restore makes them. On error, what was written so far stays.
Result<RestoreStats> RestoreEntry(const SnapshotReader& reader, const TreeEntry& entry,
                                  const std::string& target, const RestoreOptions& options = {});

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_RESTORE_H_
