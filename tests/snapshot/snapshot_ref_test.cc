#include "snapshot/snapshot_ref.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace berth::snapshot {
namespace {

using Path = std::vector<std::string>;

SnapshotRef Parse(std::string_view text) {
  auto ref = ParseSnapshotRef(text);
  EXPECT_TRUE(ref.ok()) << text << ": " << ref.status().ToString();
  return ref.ok() ? *ref : SnapshotRef{};
}

TEST(SnapshotRefTest, ProjectSnapshotAndPath) {
  SnapshotRef r = Parse("demo@latest:notes/paper.tex");
  EXPECT_EQ(r.project, "demo");
  EXPECT_EQ(r.snapshot, "latest");
  EXPECT_EQ(r.path, (Path{"notes", "paper.tex"}));
  EXPECT_EQ(Parse("demo@-2").snapshot, "-2");
  EXPECT_TRUE(Parse("demo@-2").path.empty());
  EXPECT_EQ(Parse("demo@before-exam:/a//./b/").path, (Path{"a", "b"}));
  EXPECT_TRUE(Parse("demo@latest:").path.empty());
  EXPECT_TRUE(Parse("demo@latest:/").path.empty());
}

TEST(SnapshotRefTest, TimePrefixesKeepTheirColons) {
  SnapshotRef r = Parse("demo@2026-11-25T14:05:notes/a.tex");
  EXPECT_EQ(r.snapshot, "2026-11-25T14:05");
  EXPECT_EQ(r.path, (Path{"notes", "a.tex"}));
  EXPECT_EQ(Parse("demo@2026-11-25T14:05:03.123Z").snapshot, "2026-11-25T14:05:03.123Z");
  EXPECT_TRUE(Parse("demo@2026-11-25T14:05:03.123Z").path.empty());
  EXPECT_EQ(Parse("demo@2026-11-25T14:05:03:x").path, Path{"x"});
  EXPECT_EQ(Parse("demo@2026-11-25:x").snapshot, "2026-11-25");
  EXPECT_EQ(Parse("demo@2026-11-25T14").snapshot, "2026-11-25T14");
  // A name that only starts like a date is a label or an id prefix: split at the first colon.
  EXPECT_EQ(Parse("demo@2026-11-25-final:x").snapshot, "2026-11-25-final");
}

TEST(SnapshotRefTest, MistakesAreExplained) {
  for (const char* bad : {"demo", "@latest", "demo@", "demo@:x", "demo@latest:a/../b"}) {
    EXPECT_EQ(ParseSnapshotRef(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace berth::snapshot
