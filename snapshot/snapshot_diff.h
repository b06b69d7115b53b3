#ifndef BERTH_SNAPSHOT_SNAPSHOT_DIFF_H_
#define BERTH_SNAPSHOT_SNAPSHOT_DIFF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/tree_object.h"
#include "storage/chunk_id.h"

namespace berth::snapshot {

enum class ChangeKind : uint8_t { kAdded, kRemoved, kModified };
const char* ChangeKindName(ChangeKind kind);  // "added", "removed", "modified"

// One difference between two trees at one path.
struct Change {
  ChangeKind kind = ChangeKind::kModified;
  std::string path;                 // "/a/b"
  std::optional<TreeEntry> before;  // the entry in the old tree (removed, modified)
  std::optional<TreeEntry> after;   // the entry in the new tree (added, modified)
};

struct DiffOptions {
  // List every path under an added or removed directory too, not just the directory.
  // Default: false (one change per added or removed directory, so cost stays O(difference)).
  bool expand_directories = false;
};

struct DiffResult {
  std::vector<Change> changes;  // in path order (a directory before what is under it)
  uint64_t trees_read = 0;      // tree objects loaded: the cost, O(difference)
};

// The differences between the trees `before` and `after` (root ids), from the Merkle structure:
// subtrees with equal ids are skipped without being read. A name present in both is "modified"
// when anything recorded about it differs (content, size, metadata, xattrs, link group); a
// directory whose own metadata is equal is not reported itself, only what changed inside it.
// The root ("/") is reported modified when both trees record its attributes and they differ.
// A name that changed type is reported as removed, then added.
Result<DiffResult> DiffTrees(const SnapshotReader& reader, const storage::ChunkId& before,
                             const storage::ChunkId& after, const DiffOptions& options = {});

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_DIFF_H_
