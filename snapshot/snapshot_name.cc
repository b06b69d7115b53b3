#include "snapshot/snapshot_name.h"

#include <string>
#include <vector>

namespace berth::snapshot {

namespace {

constexpr size_t kMaxCandidates = 10;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Lengths at which a prefix of "2026-11-25T14:05:03.123Z" ends a whole field.
bool AtFieldBoundary(size_t n) {
  return n == 4 || n == 7 || n == 10 || n == 13 || n == 16 || n == 19 || n == 23 || n == 24;
}

std::string Describe(const SnapshotRecord& r) {
  std::string s = r.id.ToString();
  if (!r.label.empty()) s += " (" + r.label + ")";
  return s;
}

// "a, b, c and 4 more", newest first.
std::string ListCandidates(const std::vector<const SnapshotRecord*>& candidates) {
  std::string out;
  size_t shown = 0;
  for (auto it = candidates.rbegin(); it != candidates.rend() && shown < kMaxCandidates;
       ++it, ++shown) {
    if (shown > 0) out += ", ";
    out += Describe(**it);
  }
  if (candidates.size() > shown)
    out += " and " + std::to_string(candidates.size() - shown) + " more";
  return out;
}

std::vector<const SnapshotRecord*> All(std::span<const SnapshotRecord> snapshots) {
  std::vector<const SnapshotRecord*> out;
  for (const SnapshotRecord& r : snapshots) out.push_back(&r);
  return out;
}

Status NoMatch(std::span<const SnapshotRecord> snapshots, const std::string& what) {
  return NotFoundError("no snapshot " + what +
                       "; the newest are: " + ListCandidates(All(snapshots)));
}

}  // namespace

Result<SnapshotRecord> ResolveSnapshotName(std::span<const SnapshotRecord> snapshots,
                                           std::string_view name) {
  const std::string quoted = "'" + std::string(name) + "'";
  if (name.empty()) return InvalidArgumentError("empty snapshot name");
  if (snapshots.empty())
    return NotFoundError("the project has no snapshots (looking for " + quoted + ")");

  if (name == "latest") return snapshots.back();

  if (name[0] == '-') {
    std::string_view digits = name.substr(1);
    if (digits.empty() || digits.size() > 9) {
      return InvalidArgumentError(quoted + " is not a snapshot name: -N takes a number");
    }
    size_t back = 0;
    for (char c : digits) {
      if (!IsDigit(c))
        return InvalidArgumentError(quoted + " is not a snapshot name: -N takes a number");
      back = back * 10 + static_cast<size_t>(c - '0');
    }
    if (back >= snapshots.size()) {
      return NotFoundError("no snapshot " + quoted + ": the project has only " +
                           std::to_string(snapshots.size()) + " (oldest " +
                           snapshots.front().id.ToString() + ")");
    }
    return snapshots[snapshots.size() - 1 - back];
  }

  if (IsDigit(name[0])) {
    std::vector<const SnapshotRecord*> matches;
    for (const SnapshotRecord& r : snapshots) {
      if (r.id.ToString().starts_with(name)) matches.push_back(&r);
    }
    if (matches.empty()) return NoMatch(snapshots, "matches " + quoted);
    if (matches.size() == 1 || AtFieldBoundary(name.size())) return *matches.back();
    return InvalidArgumentError(quoted + " matches " + std::to_string(matches.size()) +
                                " snapshots: " + ListCandidates(matches) +
                                "; give more of the id, or a whole field for the newest in it");
  }

  Status label_ok = ValidateLabel(name);
  if (!label_ok.ok()) {
    return InvalidArgumentError(quoted +
                                " is not a snapshot name (latest, -N, a time or id prefix, "
                                "or a label): " +
                                label_ok.message());
  }
  std::vector<const SnapshotRecord*> labelled;
  for (const SnapshotRecord& r : snapshots) {
    if (r.label == name) return r;
    if (!r.label.empty()) labelled.push_back(&r);
  }
  if (labelled.empty())
    return NotFoundError("no snapshot labelled " + quoted + "; none has a label");
  return NotFoundError("no snapshot labelled " + quoted +
                       "; labelled: " + ListCandidates(labelled));
}

Result<SnapshotRecord> ResolveSnapshotName(const SnapshotStore& store, const ProjectKey& project,
                                           std::string_view name) {
  ASSIGN_OR_RETURN(std::vector<SnapshotRecord> all, store.List(project));
  return ResolveSnapshotName(all, name);
}

}  // namespace berth::snapshot
