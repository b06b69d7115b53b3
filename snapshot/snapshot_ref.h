#ifndef BERTH_SNAPSHOT_SNAPSHOT_REF_H_
#define BERTH_SNAPSHOT_SNAPSHOT_REF_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace berth::snapshot {

// What a user types to name something in a snapshot: `PROJECT@SNAPSHOT[:PATH]`.
struct SnapshotRef {
  std::string project;   // an id or a name; resolved by the catalog
  std::string snapshot;  // `latest`, `-N`, a time prefix, an id prefix or a label
  std::vector<std::string> path;  // components below the snapshot's root; empty: the root
};

// Parses `PROJECT@SNAPSHOT[:PATH]`. A time prefix may itself hold colons
// (`demo@2026-11-25T14:05:notes/a.tex`): a snapshot name that starts like a date takes the longest
// time prefix, and the path starts after the colon that follows it. The path is split as
// SplitSnapshotPath does (it may start with '/' or not; "." and empty components are dropped;
// ".." is refused). InvalidArgument saying what is wrong otherwise.
Result<SnapshotRef> ParseSnapshotRef(std::string_view text);

// "a/b/c" for components {a, b, c}; "/" for none.
std::string JoinProjectPath(const std::vector<std::string>& components);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_REF_H_
