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
