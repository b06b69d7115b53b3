#ifndef BERTH_SNAPSHOT_FILE_VERSIONS_H_
#define BERTH_SNAPSHOT_FILE_VERSIONS_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/tree_object.h"

namespace berth::snapshot {

// One distinct content of a file across a project's snapshots (`berth versions PROJECT PATH`).
struct FileVersion {
  TreeEntry entry;         // the file as the first snapshot holding this content has it
  SnapshotId first;        // the first snapshot holding this content at the path
  SnapshotId last;         // the last one
  uint64_t snapshots = 0;  // how many hold it
};

// Each distinct content (size and chunk list) the regular file at `path` had in `snapshots`
// (oldest first, as SnapshotStore::List gives them), in order of first appearance. Snapshots
// where the path is missing or not a regular file are skipped. Tree objects shared by
// consecutive snapshots are read once, so the cost follows how often the path's directories
// changed. NotFound when no snapshot has a file there; DataLoss on a corrupt object.
Result<std::vector<FileVersion>> FileVersions(const SnapshotReader& reader,
                                              std::span<const SnapshotRecord> snapshots,
                                              std::string_view path);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_FILE_VERSIONS_H_
