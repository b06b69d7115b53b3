#include "fs/live_tree.h"

#include <gtest/gtest.h>
#include <dirent.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <map>
#include <set>

#include "fs/internal/keys.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::fs {
namespace {

using berth::testing::TempDir;

// Asserts that a Status or Result failed with exactly this errno.
#define EXPECT_ERRNO(expr, e) EXPECT_EQ(::berth::testing::GetStatus(expr).ToErrno(), e)

class LiveTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.extra_families = LiveTreeFamilies();
    auto db = storage::Database::Open(dir_.Sub("db"), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_OK(Reopen());
  }
  Status Reopen() {
    tree_.reset();
    ASSIGN_OR_RETURN(tree_, LiveTree::Open(db_.get(), project_, Caller{0, 0}, &clock_));
    return Status::Ok();
  }
  Inode File(Ino parent, const std::string& name, uint32_t mode = 0644) {
    auto made = tree_->MakeNode(parent, name, S_IFREG | mode, 0, user_);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : Inode{};
  }
  Inode Dir(Ino parent, const std::string& name, uint32_t mode = 0755) {
    auto made = tree_->MakeDir(parent, name, mode, user_);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : Inode{};
  }
  std::vector<std::string> Names(Ino dir) {
    std::vector<std::string> names;
    auto listing = tree_->ReadDir(dir, 0, 100000);
    EXPECT_TRUE(listing.ok());
    if (listing.ok()) {
      for (const auto& e : *listing) names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  Inode Attr(Ino ino) {
    auto a = tree_->GetAttr(ino);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Inode{};
  }

  TempDir dir_;
  ManualClock clock_;
  ProjectId project_ = ProjectId::Generate();
  Caller user_{1000, 1000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<LiveTree> tree_;
};

TEST_F(LiveTreeTest, NewTreeHasAnEmptyRoot) {
  Inode root = Attr(kRootIno);
  EXPECT_TRUE(root.is_dir());
  EXPECT_EQ(root.mode & 07777, 0755u);
  EXPECT_EQ(root.nlink, 2u);
  EXPECT_TRUE(Names(kRootIno).empty());
  EXPECT_EQ(tree_->usage().inodes, 1u);
}

TEST_F(LiveTreeTest, NewFilesBelongToTheCaller) {
  Inode f = File(kRootIno, "a.txt", 0640);
  EXPECT_EQ(f.uid, 1000u);
  EXPECT_EQ(f.gid, 1000u);
  EXPECT_EQ(f.mode, S_IFREG | 0640u);
  EXPECT_EQ(f.nlink, 1u);
  ASSERT_OK_AND_ASSIGN(Inode looked, tree_->Lookup(kRootIno, "a.txt"));
  EXPECT_EQ(looked.ino, f.ino);
}

TEST_F(LiveTreeTest, SetgidDirectoryGivesItsGroupAndBitToChildren) {
  Inode d = Dir(kRootIno, "shared", 02775);
  ASSERT_OK(tree_->SetAttr(d.ino, AttrChange{.gid = 500u}));
  Inode f = File(d.ino, "f");
  EXPECT_EQ(f.gid, 500u);
  EXPECT_EQ(f.mode & S_ISGID, 0u);
  Inode sub = Dir(d.ino, "sub");
  EXPECT_EQ(sub.gid, 500u);
  EXPECT_NE(sub.mode & S_ISGID, 0u);
}

TEST_F(LiveTreeTest, CreateUpdatesParentTimesAndLinks) {
  clock_.AdvanceMillis(5000);
  const int64_t now = clock_.NowNanos();
  Dir(kRootIno, "d");
  Inode root = Attr(kRootIno);
  EXPECT_EQ(root.mtime_ns, now);
  EXPECT_EQ(root.ctime_ns, now);
  EXPECT_EQ(root.nlink, 3u);
}

TEST_F(LiveTreeTest, BadNamesAreRefused) {
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, "a/b", S_IFREG | 0644, 0, user_), EINVAL);
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, std::string("a\0b", 3), S_IFREG | 0644, 0, user_),
               EINVAL);
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, "", S_IFREG | 0644, 0, user_), EINVAL);
  EXPECT_ERRNO(tree_->MakeDir(kRootIno, "..", 0755, user_), EINVAL);
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, std::string(256, 'x'), S_IFREG | 0644, 0, user_),
               ENAMETOOLONG);
  EXPECT_ERRNO(tree_->Lookup(kRootIno, std::string(256, 'x')), ENAMETOOLONG);
  File(kRootIno, std::string(255, 'x'));  // 255 bytes is fine
}

TEST_F(LiveTreeTest, ExistingNameIsEexist) {
  File(kRootIno, "f");
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, "f", S_IFREG | 0644, 0, user_), EEXIST);
  EXPECT_ERRNO(tree_->MakeDir(kRootIno, "f", 0755, user_), EEXIST);
  EXPECT_ERRNO(tree_->Symlink(kRootIno, "f", "target", user_), EEXIST);
}

TEST_F(LiveTreeTest, LookupErrors) {
  Inode f = File(kRootIno, "f");
  EXPECT_ERRNO(tree_->Lookup(kRootIno, "missing"), ENOENT);
  EXPECT_ERRNO(tree_->Lookup(f.ino, "x"), ENOTDIR);
  EXPECT_ERRNO(tree_->MakeNode(f.ino, "x", S_IFREG | 0644, 0, user_), ENOTDIR);
}

TEST_F(LiveTreeTest, HardLinksShareOneInode) {
  Inode f = File(kRootIno, "a");
  Inode d = Dir(kRootIno, "d");
  ASSERT_OK_AND_ASSIGN(Inode linked, tree_->Link(f.ino, d.ino, "b"));
  EXPECT_EQ(linked.ino, f.ino);
  EXPECT_EQ(linked.nlink, 2u);
  ASSERT_OK_AND_ASSIGN(Inode via_b, tree_->Lookup(d.ino, "b"));
  EXPECT_EQ(via_b.ino, f.ino);
  EXPECT_EQ(via_b.nlink, 2u);
  ASSERT_OK_AND_ASSIGN(Inode after, tree_->Unlink(kRootIno, "a"));
  EXPECT_EQ(after.nlink, 1u);
  EXPECT_EQ(Attr(f.ino).nlink, 1u);
  EXPECT_ERRNO(tree_->Link(d.ino, kRootIno, "dirlink"), EPERM);
  EXPECT_ERRNO(tree_->Link(f.ino, d.ino, "b"), EEXIST);
}

TEST_F(LiveTreeTest, FindNamesGivesThePrefixedNamesOfTheDirectoriesAsked) {
  Inode a = Dir(kRootIno, "a");
  File(a.ino, "tmp-1");
  File(a.ino, "tmp-2");
  File(a.ino, "tmq");
  Inode plain = File(a.ino, "kept");
  Inode b = Dir(kRootIno, "b");  // not asked
  File(b.ino, "tmp-3");
  Inode c = Dir(kRootIno, "c");  // asked, nothing matches
  File(c.ino, "other");
  Inode d = Dir(kRootIno, "d");
  File(d.ino, "tmp");
  File(kRootIno, "tmp-root");

  // Files, a missing inode and directories, ascending, as a snapshot's dirty marks would give.
  std::vector<Ino> asked = {kRootIno, a.ino, plain.ino, c.ino, d.ino, d.ino + 1000};
  std::sort(asked.begin(), asked.end());
  ASSERT_OK_AND_ASSIGN(auto found, tree_->FindNames(asked, "tmp"));
  std::sort(found.begin(), found.end());
  std::vector<std::pair<Ino, std::string>> want = {
      {kRootIno, "tmp-root"}, {a.ino, "tmp-1"}, {a.ino, "tmp-2"}, {d.ino, "tmp"}};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(found, want);
  ASSERT_OK_AND_ASSIGN(auto none, tree_->FindNames(std::vector<Ino>{b.ino}, "zzz"));
  EXPECT_TRUE(none.empty());
}

TEST_F(LiveTreeTest, UnlinkedFileStaysUntilReleased) {
  Inode f = File(kRootIno, "f");
  ASSERT_OK(tree_->SetXattr(f.ino, "user.k", AsBytes("v"), 0));
  ASSERT_OK_AND_ASSIGN(Inode gone, tree_->Unlink(kRootIno, "f"));
  EXPECT_EQ(gone.nlink, 0u);
  EXPECT_ERRNO(tree_->Lookup(kRootIno, "f"), ENOENT);
  // Still open somewhere: the inode can be read and changed.
  EXPECT_OK(tree_->GetAttr(f.ino));
  EXPECT_OK(tree_->SetAttr(f.ino, AttrChange{.mode = 0600u}));
  EXPECT_EQ(tree_->usage().inodes, 2u);
  ASSERT_OK(tree_->ReleaseOrphan(f.ino));
  EXPECT_ERRNO(tree_->GetAttr(f.ino), ENOENT);
  EXPECT_EQ(tree_->usage().inodes, 1u);
}

TEST_F(LiveTreeTest, OrphansLeftByACrashAreFreedOnOpen) {
  Inode f = File(kRootIno, "f");
  ASSERT_OK(tree_->Unlink(kRootIno, "f"));
  ASSERT_OK(Reopen());  // as after a crash: nobody holds the file any more
  EXPECT_ERRNO(tree_->GetAttr(f.ino), ENOENT);
  EXPECT_EQ(tree_->usage().inodes, 1u);
}

TEST_F(LiveTreeTest, ReleaseOfALinkedInodeIsANoOp) {
  Inode f = File(kRootIno, "f");
  ASSERT_OK(tree_->ReleaseOrphan(f.ino));
  EXPECT_OK(tree_->GetAttr(f.ino));
}

TEST_F(LiveTreeTest, RmdirRules) {
  Inode d = Dir(kRootIno, "d");
  File(d.ino, "f");
  EXPECT_ERRNO(tree_->RemoveDir(kRootIno, "d"), ENOTEMPTY);
  EXPECT_ERRNO(tree_->RemoveDir(d.ino, "f"), ENOTDIR);
  EXPECT_ERRNO(tree_->Unlink(kRootIno, "d"), EISDIR);
  EXPECT_ERRNO(tree_->RemoveDir(kRootIno, "missing"), ENOENT);
  ASSERT_OK(tree_->Unlink(d.ino, "f"));
  ASSERT_OK(tree_->RemoveDir(kRootIno, "d"));
  EXPECT_EQ(Attr(kRootIno).nlink, 2u);
  EXPECT_TRUE(Names(kRootIno).empty());
  // A removed directory that is still somebody's cwd takes no new entries.
  EXPECT_ERRNO(tree_->MakeNode(d.ino, "x", S_IFREG | 0644, 0, user_), ENOENT);
}

TEST_F(LiveTreeTest, RenameWithinAndAcrossDirectories) {
  Inode a = Dir(kRootIno, "a");
  Inode b = Dir(kRootIno, "b");
  Inode f = File(a.ino, "f");
  ASSERT_OK(tree_->Rename(a.ino, "f", a.ino, "g", 0));
  EXPECT_EQ(Names(a.ino), (std::vector<std::string>{"g"}));
  ASSERT_OK(tree_->Rename(a.ino, "g", b.ino, "h", 0));
  EXPECT_TRUE(Names(a.ino).empty());
  ASSERT_OK_AND_ASSIGN(Inode h, tree_->Lookup(b.ino, "h"));
  EXPECT_EQ(h.ino, f.ino);
}

TEST_F(LiveTreeTest, RenameOfANonEmptyDirectoryAcrossDirectories) {
  Inode a = Dir(kRootIno, "a");
  Inode b = Dir(kRootIno, "b");
  Inode sub = Dir(a.ino, "sub");
  File(sub.ino, "deep");
  ASSERT_OK(tree_->Rename(a.ino, "sub", b.ino, "moved", 0));
  EXPECT_EQ(Attr(a.ino).nlink, 2u);
  EXPECT_EQ(Attr(b.ino).nlink, 3u);
  ASSERT_OK_AND_ASSIGN(Inode parent, tree_->Lookup(sub.ino, ".."));
  EXPECT_EQ(parent.ino, b.ino);
  EXPECT_EQ(Names(sub.ino), (std::vector<std::string>{"deep"}));
}

TEST_F(LiveTreeTest, RenameReplacesAndOrphansTheTarget) {
  Inode f = File(kRootIno, "f");
  Inode g = File(kRootIno, "g");
  ASSERT_OK(tree_->Rename(kRootIno, "f", kRootIno, "g", 0));
  ASSERT_OK_AND_ASSIGN(Inode now_g, tree_->Lookup(kRootIno, "g"));
  EXPECT_EQ(now_g.ino, f.ino);
  EXPECT_EQ(Attr(g.ino).nlink, 0u);  // orphan until released
  ASSERT_OK(tree_->ReleaseOrphan(g.ino));
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"g"}));
}

TEST_F(LiveTreeTest, RenameErrors) {
  Inode d = Dir(kRootIno, "d");
  Inode full = Dir(kRootIno, "full");
  File(full.ino, "x");
  File(kRootIno, "f");
  Inode sub = Dir(d.ino, "sub");
  EXPECT_ERRNO(tree_->Rename(kRootIno, "missing", kRootIno, "x", 0), ENOENT);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "d", sub.ino, "inside", 0), EINVAL);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "d", d.ino, "self", 0), EINVAL);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "d", kRootIno, "full", 0), ENOTEMPTY);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "d", kRootIno, "f", 0), ENOTDIR);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "f", kRootIno, "d", 0), EISDIR);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "f", kRootIno, "d", RENAME_NOREPLACE), EEXIST);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "f", kRootIno, "nothing", RENAME_EXCHANGE), ENOENT);
  EXPECT_ERRNO(tree_->Rename(kRootIno, "f", kRootIno, "g",
                             RENAME_EXCHANGE | RENAME_NOREPLACE),
               EINVAL);
  // Nothing changed.
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"d", "f", "full"}));
}

TEST_F(LiveTreeTest, RenameOverAnEmptyDirectory) {
  Inode a = Dir(kRootIno, "a");
  Inode b = Dir(kRootIno, "b");
  ASSERT_OK(tree_->Rename(kRootIno, "a", kRootIno, "b", 0));
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"b"}));
  EXPECT_EQ(Attr(kRootIno).nlink, 3u);
  ASSERT_OK_AND_ASSIGN(Inode now_b, tree_->Lookup(kRootIno, "b"));
  EXPECT_EQ(now_b.ino, a.ino);
  EXPECT_EQ(Attr(b.ino).nlink, 0u);
}

TEST_F(LiveTreeTest, RenameExchangeSwapsAFileAndADirectory) {
  Inode x = Dir(kRootIno, "x");
  Inode y = Dir(kRootIno, "y");
  Inode d = Dir(x.ino, "d");
  Inode f = File(y.ino, "f");
  ASSERT_OK(tree_->Rename(x.ino, "d", y.ino, "f", RENAME_EXCHANGE));
  ASSERT_OK_AND_ASSIGN(Inode in_x, tree_->Lookup(x.ino, "d"));
  ASSERT_OK_AND_ASSIGN(Inode in_y, tree_->Lookup(y.ino, "f"));
  EXPECT_EQ(in_x.ino, f.ino);
  EXPECT_EQ(in_y.ino, d.ino);
  EXPECT_EQ(Attr(x.ino).nlink, 2u);
  EXPECT_EQ(Attr(y.ino).nlink, 3u);
  EXPECT_EQ(Attr(d.ino).parent, y.ino);
}

TEST_F(LiveTreeTest, RenameOfOneInodeOntoItsOtherNameDoesNothing) {
  Inode f = File(kRootIno, "a");
  ASSERT_OK(tree_->Link(f.ino, kRootIno, "b"));
  ASSERT_OK(tree_->Rename(kRootIno, "a", kRootIno, "b", 0));
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Attr(f.ino).nlink, 2u);
}

TEST_F(LiveTreeTest, ReadDirCookiesStayStableUnderChanges) {
  for (int i = 0; i < 50; ++i) File(kRootIno, "f" + std::to_string(i));
  ASSERT_OK_AND_ASSIGN(auto first, tree_->ReadDir(kRootIno, 0, 20));
  ASSERT_EQ(first.size(), 20u);
  std::set<std::string> seen;
  for (const auto& e : first) seen.insert(e.name);
  // Between the two halves of the listing: remove one already seen and one not yet seen, and
  // add a new one. The rest must each appear exactly once.
  ASSERT_OK(tree_->Unlink(kRootIno, first[3].name));
  ASSERT_OK(tree_->Unlink(kRootIno, "f40"));
  File(kRootIno, "new");
  ASSERT_OK_AND_ASSIGN(auto rest, tree_->ReadDir(kRootIno, first.back().cookie, 1000));
  for (const auto& e : rest) EXPECT_TRUE(seen.insert(e.name).second) << e.name << " twice";
  for (int i = 0; i < 50; ++i) {
    if (i == 40) continue;
    EXPECT_TRUE(seen.count("f" + std::to_string(i))) << "f" << i << " skipped";
  }
  EXPECT_FALSE(seen.count("f40"));
}

TEST_F(LiveTreeTest, ReadDirReportsTypes) {
  File(kRootIno, "f");
  Dir(kRootIno, "d");
  ASSERT_OK(tree_->Symlink(kRootIno, "l", "f", user_));
  ASSERT_OK(tree_->MakeNode(kRootIno, "p", S_IFIFO | 0644, 0, user_));
  ASSERT_OK_AND_ASSIGN(auto listing, tree_->ReadDir(kRootIno, 0, 100));
  std::map<std::string, uint8_t> types;
  for (const auto& e : listing) types[e.name] = e.type;
  EXPECT_EQ(types["f"], DT_REG);
  EXPECT_EQ(types["d"], DT_DIR);
  EXPECT_EQ(types["l"], DT_LNK);
  EXPECT_EQ(types["p"], DT_FIFO);
}

TEST_F(LiveTreeTest, SymlinkAndReadLink) {
  ASSERT_OK_AND_ASSIGN(Inode l, tree_->Symlink(kRootIno, "l", "../some/where", user_));
  EXPECT_TRUE(l.is_symlink());
  EXPECT_EQ(l.size, 13u);
  ASSERT_OK_AND_ASSIGN(std::string target, tree_->ReadLink(l.ino));
  EXPECT_EQ(target, "../some/where");
  Inode f = File(kRootIno, "f");
  EXPECT_ERRNO(tree_->ReadLink(f.ino), EINVAL);
}

TEST_F(LiveTreeTest, SetAttrSetsExactlyWhatIsAsked) {
  Inode f = File(kRootIno, "f");
  clock_.AdvanceMillis(1000);
  AttrChange change;
  change.mode = 04711u;
  change.uid = 7u;
  change.gid = 8u;
  change.atime_ns = 123456789012345678;
  ASSERT_OK_AND_ASSIGN(Inode after, tree_->SetAttr(f.ino, change));
  EXPECT_EQ(after.mode, S_IFREG | 04711u);
  EXPECT_EQ(after.uid, 7u);
  EXPECT_EQ(after.gid, 8u);
  EXPECT_EQ(after.atime_ns, 123456789012345678);
  EXPECT_EQ(after.mtime_ns, f.mtime_ns);  // omitted: unchanged
  EXPECT_EQ(after.ctime_ns, clock_.NowNanos());
  AttrChange now;
  now.mtime_now = true;
  clock_.AdvanceMillis(1000);
  ASSERT_OK_AND_ASSIGN(Inode touched, tree_->SetAttr(f.ino, now));
  EXPECT_EQ(touched.mtime_ns, clock_.NowNanos());
  EXPECT_EQ(touched.atime_ns, 123456789012345678);
  Inode d = Dir(kRootIno, "d");
  EXPECT_ERRNO(tree_->SetAttr(d.ino, AttrChange{.size = 0u}), EISDIR);
}

TEST_F(LiveTreeTest, Xattrs) {
  Inode f = File(kRootIno, "f");
  ASSERT_OK(tree_->SetXattr(f.ino, "user.a", AsBytes("1"), 0));
  ASSERT_OK(tree_->SetXattr(f.ino, "user.b", AsBytes(""), 0));
  EXPECT_ERRNO(tree_->SetXattr(f.ino, "user.a", AsBytes("2"), XATTR_CREATE), EEXIST);
  EXPECT_ERRNO(tree_->SetXattr(f.ino, "user.c", AsBytes("2"), XATTR_REPLACE), ENODATA);
  ASSERT_OK(tree_->SetXattr(f.ino, "user.a", AsBytes("22"), XATTR_REPLACE));
  ASSERT_OK_AND_ASSIGN(std::string a, tree_->GetXattr(f.ino, "user.a"));
  EXPECT_EQ(a, "22");
  ASSERT_OK_AND_ASSIGN(auto names, tree_->ListXattr(f.ino));
  EXPECT_EQ(names, (std::vector<std::string>{"user.a", "user.b"}));
  ASSERT_OK(tree_->RemoveXattr(f.ino, "user.a"));
  EXPECT_ERRNO(tree_->GetXattr(f.ino, "user.a"), ENODATA);
  EXPECT_ERRNO(tree_->RemoveXattr(f.ino, "user.a"), ENODATA);
  std::string big(kMaxXattrValueSize + 1, 'x');
  EXPECT_ERRNO(tree_->SetXattr(f.ino, "user.big", AsBytes(big), 0), E2BIG);
}

TEST_F(LiveTreeTest, InodeQuotaIsEdquotAndLosesNothing) {
  tree_->set_limits(Limits{.max_inodes = 4});
  File(kRootIno, "a");
  File(kRootIno, "b");
  Dir(kRootIno, "c");
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, "d", S_IFREG | 0644, 0, user_), EDQUOT);
  EXPECT_ERRNO(tree_->MakeDir(kRootIno, "e", 0755, user_), EDQUOT);
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_OK(tree_->Unlink(kRootIno, "a"));
  ASSERT_OK_AND_ASSIGN(Inode a_gone, tree_->Lookup(kRootIno, "b"));
  (void)a_gone;
  // The unlinked inode counts until it is released (it may still be open).
  EXPECT_ERRNO(tree_->MakeNode(kRootIno, "d", S_IFREG | 0644, 0, user_), EDQUOT);
}

TEST_F(LiveTreeTest, EverythingSurvivesReopen) {
  Inode d = Dir(kRootIno, "d");
  Inode f = File(d.ino, "f");
  ASSERT_OK(tree_->SetXattr(f.ino, "user.x", AsBytes("y"), 0));
  ASSERT_OK(Reopen());
  ASSERT_OK_AND_ASSIGN(Inode again, tree_->Lookup(d.ino, "f"));
  EXPECT_EQ(again.ino, f.ino);
  EXPECT_EQ(tree_->usage().inodes, 3u);
  // Inode numbers are never reused, even across reopen.
  Inode g = File(kRootIno, "g");
  EXPECT_GT(g.ino, f.ino);
}

TEST_F(LiveTreeTest, ProjectsAreIsolated) {
  File(kRootIno, "mine");
  ASSERT_OK_AND_ASSIGN(auto other,
                       LiveTree::Open(db_.get(), ProjectId::Generate(), Caller{}, &clock_));
  EXPECT_ERRNO(other->Lookup(kRootIno, "mine"), ENOENT);
  ASSERT_OK_AND_ASSIGN(auto listing, other->ReadDir(kRootIno, 0, 10));
  EXPECT_TRUE(listing.empty());
}

TEST_F(LiveTreeTest, DeleteLiveTreeDropsOnlyThatProject) {
  Inode f = File(kRootIno, "mine");
  ASSERT_OK_AND_ASSIGN(auto other,
                       LiveTree::Open(db_.get(), ProjectId::Generate(), Caller{}, &clock_));
  ASSERT_OK(other->MakeNode(kRootIno, "theirs", S_IFREG | 0644, 0, Caller{}));
  tree_.reset();
  ASSERT_OK(DeleteLiveTree(db_.get(), project_));
  ASSERT_OK(Reopen());  // a fresh, empty tree
  EXPECT_TRUE(Names(kRootIno).empty());
  EXPECT_EQ(tree_->usage().inodes, 1u);
  EXPECT_ERRNO(tree_->GetAttr(f.ino), ENOENT);
  EXPECT_OK(other->Lookup(kRootIno, "theirs"));
}

TEST(ProjectIdTest, RoundTripsThroughText) {
  ProjectId id = ProjectId::Generate();
  std::string text = id.ToString();
  EXPECT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '4');  // version 4
  ASSERT_OK_AND_ASSIGN(ProjectId back, ProjectId::Parse(text));
  EXPECT_EQ(back, id);
  EXPECT_FALSE(ProjectId::Parse("not-a-uuid").ok());
  EXPECT_FALSE(ProjectId::Parse(std::string(36, 'g')).ok());
}

TEST(InodeRecordTest, RoundTripAndCorruption) {
  Inode n;
  n.ino = 42;
  n.mode = S_IFLNK | 0777;
  n.uid = 1;
  n.gid = 2;
  n.nlink = 1;
  n.size = 3;
  n.atime_ns = -5;
  n.mtime_ns = 1'700'000'000'123'456'789;
  n.symlink_target = "abc";
  std::string encoded = EncodeInode(n);
  ASSERT_OK_AND_ASSIGN(Inode back, DecodeInode(42, AsBytes(encoded)));
  EXPECT_EQ(EncodeInode(back), encoded);
  EXPECT_EQ(back.symlink_target, "abc");
  EXPECT_EQ(back.atime_ns, -5);
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    EXPECT_FALSE(DecodeInode(42, AsBytes(std::string_view(encoded).substr(0, cut))).ok());
  }
  std::string bad_version = encoded;
  bad_version[0] = 9;
  EXPECT_FALSE(DecodeInode(42, AsBytes(bad_version)).ok());
  DirEntry e{7, DT_REG, 99};
  ASSERT_OK_AND_ASSIGN(DirEntry e2, DecodeDirEntry(AsBytes(EncodeDirEntry(e))));
  EXPECT_EQ(e2.ino, 7u);
  EXPECT_EQ(e2.cookie, 99u);
  EXPECT_FALSE(DecodeDirEntry(AsBytes("x")).ok());
}

// Bulk import (LiveTree::Import): what the single operations would leave, in one batch.
class LiveTreeImportTest : public LiveTreeTest {
 protected:
  static ImportOp Create(Ino ino, Ino parent, const std::string& name, uint32_t mode,
                         int64_t mtime_ns = 0) {
    ImportOp op;
    op.kind = ImportOp::Kind::kCreate;
    op.ino = ino;
    op.parent = parent;
    op.name = name;
    op.attrs.mode = mode;
    op.attrs.uid = 7;
    op.attrs.gid = 8;
    op.attrs.atime_ns = mtime_ns + 1;
    op.attrs.mtime_ns = mtime_ns;
    return op;
  }
  static storage::ChunkId Id(uint8_t fill) {
    uint8_t bytes[storage::ChunkId::kSize];
    std::fill(std::begin(bytes), std::end(bytes), fill);
    return storage::ChunkId::FromBytes(ByteView(bytes, sizeof(bytes)));
  }
  bool Has(const std::string& family, const std::string& key) {
    std::string value;
    return db_->db()->Get(rocksdb::ReadOptions(), db_->Family(family), key, &value).ok();
  }
  Status Apply(const std::vector<ImportOp>& ops, size_t* applied) {
    rocksdb::WriteBatch batch;
    return tree_->Import(ops, &batch, applied);
  }
};

TEST_F(LiveTreeImportTest, CreatesEntriesWithTheirAttributesExtentsAndLinks) {
  ASSERT_OK_AND_ASSIGN(Ino first, tree_->ReserveInodes(8));
  clock_.AdvanceMillis(5000);
  const int64_t now = clock_.NowNanos();
  const Ino d = first, f = first + 1, l = first + 2, p = first + 3;
  std::vector<ImportOp> ops;
  ops.push_back(Create(d, kRootIno, "d", S_IFDIR | 0750, 1000));
  ImportOp file = Create(f, d, "f", S_IFREG | 0640, 2000);
  file.attrs.size = 300;  // a hole at [100, 200)
  file.extents = {{0, Id(1), 100}, {200, Id(2), 100}};
  ops.push_back(file);
  ImportOp link = Create(l, d, "l", S_IFLNK | 0777, 3000);
  link.attrs.symlink_target = "f";
  ops.push_back(link);
  ops.push_back(Create(p, kRootIno, "p", S_IFIFO | 0600, 4000));
  ImportOp hard;
  hard.kind = ImportOp::Kind::kLink;
  hard.ino = f;
  hard.parent = kRootIno;
  hard.name = "f2";
  ops.push_back(hard);
  ImportOp times;
  times.kind = ImportOp::Kind::kSetTimes;
  times.ino = d;
  times.attrs.atime_ns = 1001;
  times.attrs.mtime_ns = 1000;
  ops.push_back(times);
  size_t applied = 99;
  ASSERT_OK(Apply(ops, &applied));
  EXPECT_EQ(applied, ops.size());

  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"d", "f2", "p"}));
  EXPECT_EQ(Names(d), (std::vector<std::string>{"f", "l"}));
  Inode dir = Attr(d);
  EXPECT_EQ(dir.mode, S_IFDIR | 0750u);
  EXPECT_EQ(dir.uid, 7u);
  EXPECT_EQ(dir.nlink, 2u);
  EXPECT_EQ(dir.parent, kRootIno);
  EXPECT_EQ(dir.mtime_ns, 1000);
  EXPECT_EQ(dir.atime_ns, 1001);
  Inode root = Attr(kRootIno);
  EXPECT_EQ(root.nlink, 3u);
  EXPECT_EQ(root.mtime_ns, now);
  Inode reg = Attr(f);
  EXPECT_EQ(reg.mode, S_IFREG | 0640u);
  EXPECT_EQ(reg.size, 300u);
  EXPECT_EQ(reg.allocated, 200u);
  EXPECT_EQ(reg.nlink, 2u);
  EXPECT_EQ(reg.mtime_ns, 2000);
  EXPECT_EQ(reg.ctime_ns, now);
  ASSERT_OK_AND_ASSIGN(Inode via_link, tree_->Lookup(kRootIno, "f2"));
  EXPECT_EQ(via_link.ino, f);
  ASSERT_OK_AND_ASSIGN(std::string target, tree_->ReadLink(l));
  EXPECT_EQ(target, "f");
  EXPECT_EQ(Attr(l).size, 1u);
  EXPECT_EQ(Attr(p).mode, S_IFIFO | 0600u);
  EXPECT_EQ(tree_->usage().inodes, 5u);
  EXPECT_EQ(tree_->usage().bytes, 200u);

  // The bookkeeping the snapshot writer and FileData read: extents, dirty marks, name links.
  using internal::ExtentKey;
  using internal::InodeKey;
  using internal::LinkKey;
  EXPECT_TRUE(Has(kExtentFamily, ExtentKey(project_, f, 0)));
  EXPECT_TRUE(Has(kExtentFamily, ExtentKey(project_, f, 200)));
  EXPECT_FALSE(Has(kExtentFamily, ExtentKey(project_, f, 100)));
  for (Ino ino : {kRootIno, d, f, l, p}) EXPECT_TRUE(Has(kDirtyFamily, InodeKey(project_, ino)));
  EXPECT_TRUE(Has(kLinkFamily, LinkKey(project_, f, d, "f")));
  EXPECT_TRUE(Has(kLinkFamily, LinkKey(project_, f, kRootIno, "f2")));

  // Counters and records survive a reopen, and new numbers do not collide with reserved ones.
  ASSERT_OK(Reopen());
  EXPECT_EQ(tree_->usage().inodes, 5u);
  EXPECT_EQ(tree_->usage().bytes, 200u);
  EXPECT_GE(File(kRootIno, "later").ino, first + 8);
}

TEST_F(LiveTreeImportTest, StopsAtTheQuotaAndKeepsWhatFits) {
  tree_->set_limits(Limits{/*max_inodes=*/3, /*max_bytes=*/150});
  ASSERT_OK_AND_ASSIGN(Ino first, tree_->ReserveInodes(4));
  ImportOp a = Create(first, kRootIno, "a", S_IFREG | 0644);
  a.attrs.size = 100;
  a.extents = {{0, Id(1), 100}};
  ImportOp b = a;
  b.ino = first + 1;
  b.name = "b";
  std::vector<ImportOp> ops{a, b};
  size_t applied = 0;
  EXPECT_ERRNO(Apply(ops, &applied), EDQUOT);  // b's bytes would pass 150
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"a"}));
  EXPECT_EQ(tree_->usage().bytes, 100u);

  ops = {Create(first + 2, kRootIno, "c", S_IFREG | 0644),
         Create(first + 3, kRootIno, "d", S_IFREG | 0644)};
  EXPECT_ERRNO(Apply(ops, &applied), EDQUOT);  // d would be the fourth inode
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(tree_->usage().inodes, 3u);
  ASSERT_OK(Reopen());
  EXPECT_EQ(tree_->usage().inodes, 3u);
  EXPECT_EQ(tree_->usage().bytes, 100u);
}

TEST_F(LiveTreeImportTest, RefusesTakenNamesAndUnreservedInodes) {
  File(kRootIno, "taken");
  ASSERT_OK_AND_ASSIGN(Ino first, tree_->ReserveInodes(2));
  size_t applied = 0;
  EXPECT_ERRNO(Apply({Create(first, kRootIno, "taken", S_IFREG | 0644)}, &applied), EEXIST);
  EXPECT_ERRNO(Apply({Create(first, kRootIno, "x", S_IFREG | 0644),
                      Create(first + 1, kRootIno, "x", S_IFREG | 0644)},
                     &applied),
               EEXIST);
  EXPECT_EQ(applied, 1u);
  EXPECT_ERRNO(Apply({Create(first + 100, kRootIno, "y", S_IFREG | 0644)}, &applied), EINVAL);
  EXPECT_ERRNO(Apply({Create(first + 1, first, "z", S_IFREG | 0644)}, &applied), ENOTDIR);
  EXPECT_EQ(tree_->usage().inodes, 3u);
}

}  // namespace
}  // namespace berth::fs
