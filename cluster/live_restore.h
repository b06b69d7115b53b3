#ifndef BERTH_CLUSTER_LIVE_RESTORE_H_
#define BERTH_CLUSTER_LIVE_RESTORE_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "cluster/node.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/snapshot_restore.h"

namespace berth::cluster {

// Restores `entry` (at `path` in the snapshot whose root tree is `root`) into the project's
// live tree at the same path, while it may be mounted and in use:
// - a file, symlink or special file is built under a temporary name beside its place and renamed
//   over it, so a reader sees the old version or the new one, never a mix;
// - a directory is made if missing and its entries restored one by one; names the snapshot does
//   not have are left alone (restore brings back, it does not delete);
// - missing parent directories are made with the snapshot's metadata;
// - hard links within what is restored are made again as links;
// - every name replaced is invalidated in the kernel's caches, so the mount shows it at once.
// A path that is now a directory where the snapshot has a file (or the reverse) is refused with
// FailedPrecondition naming it, before anything under it changes. Quota errors (EDQUOT) stop the
// restore; what was restored so far stays, and nothing is half-written.
Result<snapshot::RestoreStats> RestoreIntoLiveTree(const snapshot::SnapshotReader& reader,
                                                   const storage::ChunkId& root,
                                                   const std::vector<std::string>& path,
                                                   const snapshot::TreeEntry& entry,
                                                   ProjectAccess& project);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_LIVE_RESTORE_H_
