#ifndef BERTH_SNAPSHOT_SNAPSHOT_NAME_H_
#define BERTH_SNAPSHOT_SNAPSHOT_NAME_H_

#include <span>
#include <string_view>

#include "base/status.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/snapshot_store.h"

namespace berth::snapshot {

// Resolves what a user types after `PROJECT@` to one of a project's snapshots (`snapshots` oldest
// first, as SnapshotStore::List gives them):
//   latest            the newest snapshot
//   -N                N before the newest (-0 is the newest)
//   a full id         2026-11-25T14:05:03.123Z: that snapshot
//   a time prefix     ending at a field boundary (2026, 2026-11, 2026-11-25, 2026-11-25T14,
//                     2026-11-25T14:05, 2026-11-25T14:05:03, ...:03.123): the newest snapshot
//                     taken in that year, month, day, hour, minute or second
//   any other prefix  of an id (2026-11-25T14:0): the one snapshot whose id starts with it
//   a label           the snapshot carrying it (labels are unique per project)
// NotFound when nothing matches; InvalidArgument when a bare prefix matches several snapshots or
// the name is malformed. The message lists the candidates (at most 10, newest first).
Result<SnapshotRecord> ResolveSnapshotName(std::span<const SnapshotRecord> snapshots,
                                           std::string_view name);
// The same over a project's records in `store`.
Result<SnapshotRecord> ResolveSnapshotName(const SnapshotStore& store, const ProjectKey& project,
                                           std::string_view name);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_NAME_H_
