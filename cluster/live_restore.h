#ifndef BERTH_CLUSTER_LIVE_RESTORE_H_
#define BERTH_CLUSTER_LIVE_RESTORE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cluster/node.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/snapshot_restore.h"

namespace berth::cluster {

// Restores `entry` (at `path` in the snapshot whose root tree is `root`) into the project's
// live tree at the same path, while it may be mounted and in use:
// - a file, symlink or special file is built under a temporary name (IsRestoreTemporary) beside
//   its place and renamed over it, so a reader sees the old version or the new one, never a mix;
// - a directory is made if missing and its entries restored one by one; names the snapshot does
//   not have are left alone (restore brings back, it does not delete); its mode, owner, mtime
//   and xattrs become the snapshot's;
// - the whole project (`path` empty) also gives the root directory the attributes the snapshot
//   recorded for it (format version 2; an older snapshot leaves the root's alone);
// - missing parent directories are made with the snapshot's metadata;
// - hard links: names of one link group within what is restored become one file again. And a
//   restored name of a file that is hard-linked now keeps its links where the snapshot has them
//   too: every other live name of the old file that the snapshot holds as a name of the same
//   file (same link group) is moved to the restored file as well, each in one atomic rename.
//   A live name the snapshot does not have as that file keeps the old file and its content.
//   (What a user expects: restoring a path gives that path its snapshot version; names that
//   were one file then and are one file now stay one file.)
// - every name replaced is invalidated in the kernel's caches, so the mount shows it at once.
// A path that is now a directory where the snapshot has a file (or the reverse) is refused with
// FailedPrecondition naming it, before anything under it changes. Quota errors (EDQUOT) stop the
// restore; what was restored so far stays, and nothing is half-written. A restore killed
// midway may leave temporaries: RemoveRestoreLeftovers clears them.
Result<snapshot::RestoreStats> RestoreIntoLiveTree(const snapshot::SnapshotReader& reader,
                                                   const storage::ChunkId& root,
                                                   const std::vector<std::string>& path,
                                                   const snapshot::TreeEntry& entry,
                                                   ProjectAccess& project);

// Whether `name` has the form of an in-place restore's temporary: ".berth-restore-" and 16
// lowercase hex digits. No user file should be named so: RemoveRestoreLeftovers deletes them.
bool IsRestoreTemporary(std::string_view name);

// Removes the temporaries a restore killed midway left in the project's live tree, and returns
// how many. A temporary is only ever made in a directory the restore changed, and a changed
// directory keeps its dirty mark until a snapshot has recorded it (a snapshot never runs while
// an in-place restore does: SnapshotService serialises them); so only the directories with a
// dirty mark are listed, and the cost is that of the next snapshot's listing, not of the
// project. Must run before the first snapshot of the project after a crash (else that snapshot
// records the leftovers and clears the marks). `server`: the project's mount, to invalidate the
// names removed; null when not mounted. Logs what it removed. The node runs it when it opens a
// project, before mounting it.
Result<uint64_t> RemoveRestoreLeftovers(fs::LiveTree& tree, fs::FuseServer* server);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_LIVE_RESTORE_H_
