#include "snapshot/retention.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace berth::snapshot {

namespace {

constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute,
                  kDay = 24 * kHour, kWeek = 7 * kDay, kYear = 365 * kDay;

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("empty duration in retention");
  const char unit = text.back();
  int64_t scale = 0;
  switch (unit) {
    case 's': scale = kSecond; break;
    case 'm': scale = kMinute; break;
    case 'h': scale = kHour; break;
    case 'd': scale = kDay; break;
    case 'w': scale = kWeek; break;
    case 'y': scale = kYear; break;
    default:
      return InvalidArgumentError("duration '" + std::string(text) +
                                  "' needs a unit: s, m, h, d, w or y");
  }
  int64_t n = 0;
  const std::string_view digits = text.substr(0, text.size() - 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n <= 0 ||
      n > kYear * 1000 / scale) {
    return InvalidArgumentError("bad duration '" + std::string(text) + "'");
  }
  return n * scale;
}

std::string FormatDuration(int64_t ms) {
  for (auto [scale, unit] : {std::pair{kYear, 'y'}, {kWeek, 'w'}, {kDay, 'd'}, {kHour, 'h'},
                             {kMinute, 'm'}}) {
    if (ms % scale == 0) return std::to_string(ms / scale) + unit;
  }
  return std::to_string(ms / kSecond) + "s";
}

// Floor division that rounds towards minus infinity, so buckets before the epoch stay aligned.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::vector<RetentionTier> RetentionPolicy::DefaultTiers() {
  return {{kHour, 0}, {kDay, 10 * kMinute}, {kWeek, kHour}, {90 * kDay, kDay}, {2 * kYear, kWeek}};
}

Status RetentionPolicy::Validate() const {
  if (tiers.empty()) return InvalidArgumentError("retention needs at least one tier");
  int64_t previous_age = 0, previous_interval = 0;
  for (const RetentionTier& t : tiers) {
    if (t.max_age_ms <= previous_age) {
      return InvalidArgumentError("retention tiers must be in increasing age");
    }
    if (t.interval_ms < 0) return InvalidArgumentError("retention interval below zero");
    if (previous_interval != 0 && (t.interval_ms == 0 || t.interval_ms % previous_interval != 0)) {
      return InvalidArgumentError("each retention interval must be a multiple of the one before (" +
                                  FormatDuration(t.interval_ms) + " after " +
                                  FormatDuration(previous_interval) + ")");
    }
    previous_age = t.max_age_ms;
    previous_interval = t.interval_ms;
  }
  return Status::Ok();
}

Result<RetentionPolicy> RetentionPolicy::Parse(std::string_view text) {
  RetentionPolicy policy;
  policy.tiers.clear();
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view tier = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t colon = tier.find(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError("retention tier '" + std::string(tier) +
                                  "' is not AGE:INTERVAL (e.g. 1d:10m, or 1h:all)");
    }
    RetentionTier t;
    ASSIGN_OR_RETURN(t.max_age_ms, ParseDuration(tier.substr(0, colon)));
    const std::string_view interval = tier.substr(colon + 1);
    if (interval != "all") {
      ASSIGN_OR_RETURN(t.interval_ms, ParseDuration(interval));
    }
    policy.tiers.push_back(t);
  }
  RETURN_IF_ERROR(policy.Validate());
  return policy;
}

std::string RetentionPolicy::ToString() const {
  std::string out;
  for (const RetentionTier& t : tiers) {
    if (!out.empty()) out += ',';
    out += FormatDuration(t.max_age_ms) + ':' +
           (t.interval_ms == 0 ? std::string("all") : FormatDuration(t.interval_ms));
  }
  return out;
}

std::vector<std::string> SnapshotsToDrop(const std::vector<RetentionCandidate>& snapshots,
                                         int64_t now_ms, const RetentionPolicy& policy) {
  if (snapshots.empty()) return {};
  size_t latest = 0;
  for (size_t i = 1; i < snapshots.size(); ++i) {
    if (snapshots[i].time_ms > snapshots[latest].time_ms) latest = i;
  }
  // (tier, bucket) -> the oldest snapshot in it so far.
  std::map<std::pair<size_t, int64_t>, size_t> keeper;
  std::vector<bool> keep(snapshots.size(), false);
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const RetentionCandidate& s = snapshots[i];
    if (s.labelled || i == latest) {
      keep[i] = true;
      continue;
    }
    const int64_t age = std::max<int64_t>(0, now_ms - s.time_ms);
    size_t tier = 0;
    while (tier < policy.tiers.size() && age >= policy.tiers[tier].max_age_ms) ++tier;
    if (tier == policy.tiers.size()) continue;  // older than every tier
    const int64_t interval = policy.tiers[tier].interval_ms;
    if (interval == 0) {
      keep[i] = true;
      continue;
    }
    auto [it, inserted] = keeper.try_emplace({tier, FloorDiv(s.time_ms, interval)}, i);
    if (!inserted && s.time_ms < snapshots[it->second].time_ms) it->second = i;
  }
  for (const auto& [bucket, i] : keeper) keep[i] = true;
  std::vector<std::string> drop;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    if (!keep[i]) drop.push_back(snapshots[i].id);
  }
  return drop;
}

}  // namespace berth::snapshot
