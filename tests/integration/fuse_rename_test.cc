// rename(2), renameat2(2) and rmdir(2) answer errno for errno what ext4 answers.

#include <linux/fs.h>
#include <sys/syscall.h>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

long Renameat2(const std::string& from, const std::string& to, unsigned flags) {
  return syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags);
}

class FuseRenameTest : public MountTest {
 protected:
  // The same starting tree in both roots:
  //   full/sub/file  empty/  other_empty/  f1  f2  link_to_f1 (hard link)
  void SetUp() override {
    MountTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const std::string& root : {mnt(), native()}) {
      for (const char* dir : {"full", "full/sub", "empty", "other_empty"}) {
        ASSERT_EQ(mkdir((root + "/" + dir).c_str(), 0755), 0);
      }
      for (const char* file : {"full/sub/file", "f1", "f2"}) {
        int fd = open((root + "/" + file).c_str(), O_CREAT | O_WRONLY, 0644);
        ASSERT_GE(fd, 0);
        close(fd);
      }
      ASSERT_EQ(link((root + "/f1").c_str(), (root + "/link_to_f1").c_str()), 0);
    }
  }

  void Rename(const std::string& from, const std::string& to, unsigned flags, int expect_errno) {
    const Outcome got = ExpectSame(
        [&](const std::string& r) { return Renameat2(r + "/" + from, r + "/" + to, flags); },
        "rename " + from + " -> " + to + " flags " + std::to_string(flags));
    EXPECT_EQ(got.err, expect_errno) << from << " -> " << to;
  }
  void ExpectSameTypeAndLinks(const std::string& rel) {
    struct stat a {
    }, b{};
    const Outcome on_mount = Call(lstat(M(rel).c_str(), &a));
    const Outcome on_native = Call(lstat(N(rel).c_str(), &b));
    ASSERT_EQ(on_mount, on_native) << rel;
    if (on_mount.ret == 0) {
      EXPECT_EQ(a.st_mode, b.st_mode) << rel;
      EXPECT_EQ(a.st_nlink, b.st_nlink) << rel;
    }
  }
};

TEST_F(FuseRenameTest, ErrorsMatchNative) {
  Rename("empty", "full", 0, ENOTEMPTY);
  Rename("empty", "f1", 0, ENOTDIR);
  Rename("f1", "empty", 0, EISDIR);
  Rename("full", "full/sub/inside", 0, EINVAL);
  Rename("full", "full/x", 0, EINVAL);
  Rename("missing", "x", 0, ENOENT);
  Rename("f1", "missing_dir/x", 0, ENOENT);
  Rename("f1", "f2/x", 0, ENOTDIR);
  Rename("f1", "f2", RENAME_NOREPLACE, EEXIST);
  Rename("f1", "nothing_there", RENAME_EXCHANGE, ENOENT);
  Rename("f1", "f2", RENAME_NOREPLACE | RENAME_EXCHANGE, EINVAL);
  Rename("full", "full/sub", RENAME_EXCHANGE, EINVAL);
  Rename("f1", std::string(256, 'x'), 0, ENAMETOOLONG);
  for (const char* rel : {"full", "full/sub", "empty", "f1", "f2"}) ExpectSameTypeAndLinks(rel);
}

TEST_F(FuseRenameTest, SuccessfulRenamesMatchNative) {
  Rename("f1", "f1", 0, 0);
  Rename("f1", "link_to_f1", 0, 0);  // two names of one inode: nothing happens
  ExpectSameTypeAndLinks("f1");
  ExpectSameTypeAndLinks("link_to_f1");
  Rename("f2", "full/sub/file", 0, 0);  // replaces a file
  ExpectSameTypeAndLinks("f2");
  ExpectSameTypeAndLinks("full/sub/file");
  Rename("empty", "other_empty", 0, 0);  // replaces an empty directory
  ExpectSameTypeAndLinks("empty");
  ExpectSameTypeAndLinks("other_empty");
  ExpectSameTypeAndLinks(".");
  Rename("full/sub", "sub_moved", 0, 0);  // a directory changes parent: both nlinks follow
  ExpectSameTypeAndLinks("full");
  ExpectSameTypeAndLinks(".");
  ExpectSameTypeAndLinks("sub_moved/file");
  Rename("f1", "fresh", RENAME_NOREPLACE, 0);
  ExpectSameTypeAndLinks("fresh");
}

TEST_F(FuseRenameTest, ExchangeSwapsAFileAndADirectory) {
  Rename("f1", "full", RENAME_EXCHANGE, 0);
  ExpectSameTypeAndLinks("f1");
  ExpectSameTypeAndLinks("full");
  ExpectSameTypeAndLinks("f1/sub/file");
  struct stat st {};
  ASSERT_EQ(lstat(M("f1").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(lstat(M("full").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  // Across directories: the subdirectory counts of both parents follow the directory.
  Rename("f1/sub", "f2", RENAME_EXCHANGE, 0);
  ExpectSameTypeAndLinks("f1");
  ExpectSameTypeAndLinks(".");
  ExpectSameTypeAndLinks("f2/file");
  ExpectSameTypeAndLinks("f1/sub");
  // ".." of the moved directory now leads to the root.
  struct stat up {
  }, root{};
  ASSERT_EQ(stat(M("f2/..").c_str(), &up), 0);
  ASSERT_EQ(stat(mnt().c_str(), &root), 0);
  EXPECT_EQ(up.st_ino, root.st_ino);
}

TEST_F(FuseRenameTest, RmdirMatchesNative) {
  auto rmdir_both = [&](const std::string& rel, int expect_errno) {
    const Outcome got = ExpectSame(
        [&](const std::string& r) { return rmdir((r + "/" + rel).c_str()); }, "rmdir " + rel);
    EXPECT_EQ(got.err, expect_errno) << rel;
  };
  rmdir_both("full", ENOTEMPTY);
  rmdir_both("full/sub", ENOTEMPTY);
  rmdir_both("f1", ENOTDIR);
  rmdir_both("missing", ENOENT);
  rmdir_both("empty/.", EINVAL);
  rmdir_both("full/sub/..", ENOTEMPTY);
  rmdir_both("empty", 0);
  const Outcome unlinked =
      ExpectSame([&](const std::string& r) { return unlink((r + "/full").c_str()); }, "unlink dir");
  EXPECT_EQ(unlinked.err, EISDIR);
  ExpectSameTypeAndLinks(".");
}

}  // namespace
}  // namespace berth::testing
