#include "snapshot/retention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/testing/status_matchers.h"

namespace berth::snapshot {
namespace {

constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;

struct Simulated {
  std::vector<RetentionCandidate> kept;
};

// Snapshots every `every_ms` from `start` to `end`, thinned every `thin_every` snapshots.
std::vector<RetentionCandidate> Simulate(int64_t start, int64_t end, int64_t every_ms,
                                         int thin_every, const RetentionPolicy& policy,
                                         std::set<int64_t> labelled_times = {}) {
  std::vector<RetentionCandidate> kept;
  int n = 0;
  for (int64_t t = start; t <= end; t += every_ms) {
    kept.push_back({std::to_string(t), t, labelled_times.count(t) > 0});
    if (++n % thin_every == 0 || t + every_ms > end) {
      auto drop = SnapshotsToDrop(kept, t, policy);
      std::set<std::string> gone(drop.begin(), drop.end());
      std::erase_if(kept, [&](const RetentionCandidate& c) { return gone.count(c.id) > 0; });
    }
  }
  return kept;
}

// The tier (1: 10 min, 2: hourly, 3: daily) and bucket of a snapshot of age `age`.
std::pair<int, int64_t> TierBucket(int64_t t, int64_t age) {
  const int64_t interval = age < kDay ? 10 * kMinute : age < 7 * kDay ? kHour : kDay;
  return {age < kDay ? 1 : age < 7 * kDay ? 2 : 3, t / interval};
}

TEST(RetentionTest, DefaultPolicyKeepsTheDocumentedSet) {
  // Ten days of a snapshot every minute, thinned every 10 snapshots and once at the end.
  const int64_t start = 1'700'000'000'000 / kDay * kDay;  // midnight UTC
  const int64_t end = start + 10 * kDay;
  RetentionPolicy policy;
  for (int thin_every : {10, 1 << 30}) {
    auto kept = Simulate(start, end, kMinute, thin_every, policy);
    std::set<int64_t> got;
    for (const auto& c : kept) got.insert(c.time_ms);

    // The documented set at `end`: every snapshot of the last hour; the oldest one of each
    // 10-minute bucket from 1 h to 1 day, of each hour from 1 day to 1 week, of each day after.
    // Buckets that straddle an age limit are left out of the comparison.
    std::map<std::pair<int, int64_t>, std::vector<int64_t>> buckets;
    for (int64_t t = start; t <= end; t += kMinute) {
      if (end - t < kHour) {
        EXPECT_EQ(got.count(t), 1u) << "a snapshot of the last hour went";
        continue;
      }
      buckets[TierBucket(t, end - t)].push_back(t);
    }
    size_t compared = 0;
    for (const auto& [bucket, times] : buckets) {
      const int64_t interval = bucket.first == 1 ? 10 * kMinute : bucket.first == 2 ? kHour : kDay;
      if (times.size() != static_cast<size_t>(interval / kMinute)) continue;  // straddles
      ++compared;
      for (int64_t t : times) {
        EXPECT_EQ(got.count(t), t == times.front() ? 1u : 0u)
            << "tier " << bucket.first << ", " << (end - t) / kMinute << " min old";
      }
    }
    EXPECT_GT(compared, 280u);
    EXPECT_LT(got.size(), 400u);  // of 14,401
  }
}

TEST(RetentionTest, ThinningOftenKeepsNoMoreThanThinningOnce) {
  const int64_t start = 1'700'000'000'000;
  const int64_t end = start + 3 * kDay + 17 * kMinute;
  RetentionPolicy policy;
  auto often = Simulate(start, end, 20'000, 1, policy);
  auto once = Simulate(start, end, 20'000, 1 << 30, policy);
  std::set<std::string> once_ids;
  for (const auto& c : once) once_ids.insert(c.id);
  for (const auto& c : often) EXPECT_EQ(once_ids.count(c.id), 1u) << c.id;
  EXPECT_GE(often.size() + 3, once.size());  // at most one fewer per tier limit
}

TEST(RetentionTest, LabelledAndLatestSnapshotsStay) {
  const int64_t start = 1'700'000'000'000;
  RetentionPolicy policy;
  policy.tiers = {{kHour, 0}};  // nothing older than an hour, unless labelled
  auto kept = Simulate(start, start + 5 * kHour, kMinute, 7, policy, {start + 3 * kMinute});
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.front().time_ms, start + 3 * kMinute);
  EXPECT_TRUE(kept.front().labelled);
  EXPECT_EQ(kept.size(), 1u + 60u);

  // A lone snapshot, however old, is the latest one: it stays.
  std::vector<RetentionCandidate> lone = {{"old", start, false}};
  EXPECT_TRUE(SnapshotsToDrop(lone, start + 100 * kDay, policy).empty());
}

TEST(RetentionTest, ParsesAndPrintsTheConfigForm) {
  auto policy = RetentionPolicy::Parse("1h:all,1d:10m,1w:1h,90d:1d,2y:1w");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->tiers.size(), 5u);
  EXPECT_EQ(policy->ToString(), RetentionPolicy().ToString());
  EXPECT_EQ(policy->ToString(), "1h:all,1d:10m,1w:1h,90d:1d,2y:1w");

  for (const char* bad : {"", "1h", "1h:all,1h:10m", "1d:7m,1w:1h", "1x:all", "-1h:all",
                          "1h:all,1d:0m", "1h:10m,1d:all"}) {
    EXPECT_EQ(RetentionPolicy::Parse(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace berth::snapshot
