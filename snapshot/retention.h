#ifndef BERTH_SNAPSHOT_RETENTION_H_
#define BERTH_SNAPSHOT_RETENTION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace berth::snapshot {

// Keep one snapshot per `interval_ms` (0: every snapshot) among those younger than `max_age_ms`
// and older than the previous tier's max age.
struct RetentionTier {
  int64_t max_age_ms = 0;
  int64_t interval_ms = 0;
};

// Which automatic snapshots survive thinning. Tiers are in increasing age; a snapshot older than
// the last tier goes. Labelled snapshots are kept until deleted, and the latest snapshot always
// stays. Each bucket keeps its oldest snapshot; buckets are aligned to the epoch (UTC) and each
// tier's interval divides the next one's, so the oldest snapshot of a bucket always survived the
// tier before: however often thinning runs, every bucket that lies wholly within one tier keeps
// exactly its oldest snapshot. (A bucket that straddles a tier's age limit may keep one fewer
// when thinned often than when thinned once.)
struct RetentionPolicy {
  // Default: all for 1 hour, one per 10 minutes for 1 day, hourly for 1 week, daily for 90
  // days, weekly for 2 years (730 days).
  std::vector<RetentionTier> tiers = DefaultTiers();

  static std::vector<RetentionTier> DefaultTiers();
  // InvalidArgument unless max ages increase, intervals are >= 0 and each divides the next.
  Status Validate() const;
  // "1h:all,1d:10m,1w:1h,90d:1d,2y:1w": max age and interval per tier, with units s, m, h, d,
  // w, y (365 d). The config's `retention` key.
  static Result<RetentionPolicy> Parse(std::string_view text);
  std::string ToString() const;
};

struct RetentionCandidate {
  std::string id;
  int64_t time_ms = 0;
  bool labelled = false;
};

// The ids of the snapshots the policy drops at `now_ms`, in the order given.
std::vector<std::string> SnapshotsToDrop(const std::vector<RetentionCandidate>& snapshots,
                                         int64_t now_ms, const RetentionPolicy& policy);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_RETENTION_H_
