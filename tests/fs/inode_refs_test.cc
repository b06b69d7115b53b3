#include "fs/inode_refs.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace berth::fs {
namespace {

TEST(InodeRefsTest, LookupsAreReleasedByForget) {
  InodeRefs refs;
  EXPECT_TRUE(refs.IsUnreferenced(7));
  refs.AddLookups(7, 1);
  refs.AddLookups(7, 2);
  EXPECT_EQ(refs.lookups(7), 3u);
  EXPECT_FALSE(refs.IsUnreferenced(7));
  EXPECT_FALSE(refs.Forget(7, 2));
  EXPECT_TRUE(refs.Forget(7, 1));
  EXPECT_TRUE(refs.IsUnreferenced(7));
}

TEST(InodeRefsTest, ForgettingMoreThanHeldClampsToZero) {
  InodeRefs refs;
  refs.AddLookups(7, 1);
  EXPECT_TRUE(refs.Forget(7, 5));
  EXPECT_EQ(refs.lookups(7), 0u);
  EXPECT_TRUE(refs.Forget(8, 1));  // never counted: nothing holds it
}

TEST(InodeRefsTest, OpenHandlesKeepAnInodeReferenced) {
  InodeRefs refs;
  refs.AddLookups(7, 1);
  const uint64_t a = refs.Open(7);
  const uint64_t b = refs.Open(7);
  EXPECT_NE(a, b);
  EXPECT_NE(a, 0u);
  EXPECT_EQ(refs.opens(7), 2u);
  EXPECT_FALSE(refs.Forget(7, 1));  // still open
  auto released = refs.Release(a);
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->ino, 7u);
  EXPECT_FALSE(released->unreferenced);
  released = refs.Release(b);
  ASSERT_TRUE(released.has_value());
  EXPECT_TRUE(released->unreferenced);
  EXPECT_FALSE(refs.Release(b).has_value());  // closed already
}

TEST(InodeRefsTest, HandlesAreNeverReused) {
  InodeRefs refs;
  const uint64_t a = refs.Open(3);
  ASSERT_TRUE(refs.Release(a).has_value());
  EXPECT_NE(refs.Open(3), a);
}

TEST(InodeRefsTest, AtimeIsDueOncePerHandle) {
  InodeRefs refs;
  const uint64_t due = refs.Open(5, /*atime_due=*/true);
  const uint64_t not_due = refs.Open(5);
  EXPECT_TRUE(refs.TakeAtimeDue(due));
  EXPECT_FALSE(refs.TakeAtimeDue(due));
  EXPECT_FALSE(refs.TakeAtimeDue(not_due));
  ASSERT_TRUE(refs.Release(due).has_value());
  EXPECT_FALSE(refs.TakeAtimeDue(due));  // closed
}

// Linux's relatime: due when the atime is not newer than mtime or ctime, or a day old.
TEST(InodeRefsTest, AtimeDueFollowsRelatime) {
  constexpr int64_t kDay = 86'400'000'000'000;
  const int64_t now = 100 * kDay;
  Inode inode;
  inode.mtime_ns = inode.ctime_ns = now - 10;
  inode.atime_ns = now - 20;
  EXPECT_TRUE(AtimeDue(inode, now));  // older than the mtime
  inode.atime_ns = now - 10;
  EXPECT_TRUE(AtimeDue(inode, now));  // equal counts
  inode.atime_ns = now - 5;
  EXPECT_FALSE(AtimeDue(inode, now));  // read since the last change
  inode.mtime_ns = now - 2 * kDay;
  inode.ctime_ns = now - 1;
  EXPECT_TRUE(AtimeDue(inode, now));  // older than the ctime
  inode.ctime_ns = now - 2 * kDay;
  inode.atime_ns = now - kDay;
  EXPECT_TRUE(AtimeDue(inode, now));  // a day old
  inode.atime_ns = now - kDay + 1;
  EXPECT_FALSE(AtimeDue(inode, now));
}

TEST(InodeRefsTest, RootIsNeverCounted) {
  InodeRefs refs;
  refs.AddLookups(kRootIno, 4);
  EXPECT_FALSE(refs.IsUnreferenced(kRootIno));
  EXPECT_FALSE(refs.Forget(kRootIno, 4));
  const uint64_t fh = refs.Open(kRootIno);
  auto released = refs.Release(fh);
  ASSERT_TRUE(released.has_value());
  EXPECT_FALSE(released->unreferenced);
  EXPECT_TRUE(refs.Clear().empty());
}

TEST(InodeRefsTest, ClearReturnsEveryReferencedInode) {
  InodeRefs refs;
  refs.AddLookups(5, 1);
  refs.Open(6);
  refs.AddLookups(9, 2);
  ASSERT_TRUE(refs.Forget(9, 2));
  std::vector<Ino> inos = refs.Clear();
  std::sort(inos.begin(), inos.end());
  EXPECT_EQ(inos, (std::vector<Ino>{5, 6}));
  EXPECT_TRUE(refs.IsUnreferenced(5));
  EXPECT_TRUE(refs.IsUnreferenced(6));
}

}  // namespace
}  // namespace berth::fs
