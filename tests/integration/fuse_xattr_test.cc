// Extended attributes through the mount, call by call against ext4.

#include <sched.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

class FuseXattrTest : public MountTest {
 protected:
  void SetUp() override {
    MountTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const std::string& root : {mnt(), native()}) {
      int fd = open((root + "/f").c_str(), O_CREAT | O_WRONLY, 0644);
      ASSERT_GE(fd, 0);
      close(fd);
      ASSERT_EQ(mkdir((root + "/d").c_str(), 0755), 0);
      ASSERT_EQ(symlink("f", (root + "/l").c_str()), 0);
    }
  }

  // The NUL-separated names listxattr returns, sorted (the order is the filesystem's).
  static std::vector<std::string> Names(const std::string& path) {
    char buf[4096];
    const ssize_t n = llistxattr(path.c_str(), buf, sizeof(buf));
    EXPECT_GE(n, 0) << strerror(errno);
    std::vector<std::string> names;
    for (ssize_t pos = 0; pos < n;) {
      names.emplace_back(buf + pos);
      pos += names.back().size() + 1;
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(FuseXattrTest, SetGetListRemove) {
  ExpectSame(
      [](const std::string& r) { return setxattr((r + "/f").c_str(), "user.a", "v1", 2, 0); },
      "set");
  ExpectSame(
      [](const std::string& r) { return setxattr((r + "/f").c_str(), "user.empty", "", 0, 0); },
      "set empty");
  ExpectSame(
      [](const std::string& r) { return getxattr((r + "/f").c_str(), "user.a", nullptr, 0); },
      "size probe");
  char buf[64];
  const Outcome got = ExpectSame(
      [&](const std::string& r) {
        return getxattr((r + "/f").c_str(), "user.a", buf, sizeof(buf));
      },
      "get");
  EXPECT_EQ(got.ret, 2);
  ASSERT_EQ(getxattr(M("f").c_str(), "user.a", buf, sizeof(buf)), 2);
  EXPECT_EQ(std::string(buf, 2), "v1");
  ExpectSame([&](const std::string& r) { return getxattr((r + "/f").c_str(), "user.a", buf, 1); },
             "get into a short buffer (ERANGE)");
  ExpectSame(
      [&](const std::string& r) {
        return getxattr((r + "/f").c_str(), "user.empty", buf, sizeof(buf));
      },
      "get empty");
  ExpectSame(
      [&](const std::string& r) {
        return getxattr((r + "/f").c_str(), "user.none", buf, sizeof(buf));
      },
      "get missing (ENODATA)");

  ExpectSame(
      [](const std::string& r) {
        return setxattr((r + "/f").c_str(), "user.a", "v2", 2, XATTR_CREATE);
      },
      "XATTR_CREATE of an existing name (EEXIST)");
  ExpectSame(
      [](const std::string& r) {
        return setxattr((r + "/f").c_str(), "user.b", "v", 1, XATTR_REPLACE);
      },
      "XATTR_REPLACE of a missing name (ENODATA)");
  ExpectSame(
      [](const std::string& r) {
        return setxattr((r + "/f").c_str(), "user.a", "value3", 6, XATTR_REPLACE);
      },
      "XATTR_REPLACE");
  ExpectSame(
      [](const std::string& r) {
        return setxattr((r + "/f").c_str(), "user.b", "v", 1, XATTR_CREATE);
      },
      "XATTR_CREATE");
  ASSERT_EQ(getxattr(M("f").c_str(), "user.a", buf, sizeof(buf)), 6);
  EXPECT_EQ(std::string(buf, 6), "value3");

  ExpectSame([](const std::string& r) { return listxattr((r + "/f").c_str(), nullptr, 0); },
             "list size probe");
  ExpectSame([&](const std::string& r) { return listxattr((r + "/f").c_str(), buf, 3); },
             "list into a short buffer (ERANGE)");
  EXPECT_EQ(Names(M("f")), Names(N("f")));
  EXPECT_EQ(Names(M("f")), (std::vector<std::string>{"user.a", "user.b", "user.empty"}));

  ExpectSame([](const std::string& r) { return removexattr((r + "/f").c_str(), "user.a"); },
             "remove");
  ExpectSame([](const std::string& r) { return removexattr((r + "/f").c_str(), "user.a"); },
             "remove again (ENODATA)");
  ExpectSame(
      [&](const std::string& r) {
        return getxattr((r + "/f").c_str(), "user.a", buf, sizeof(buf));
      },
      "get removed");
  EXPECT_EQ(Names(M("f")), Names(N("f")));
}

TEST_F(FuseXattrTest, DirectoriesSymlinksAndNamespaces) {
  ExpectSame(
      [](const std::string& r) { return setxattr((r + "/d").c_str(), "user.dir", "x", 1, 0); },
      "on a directory");
  ExpectSame(
      [](const std::string& r) { return lsetxattr((r + "/l").c_str(), "user.x", "x", 1, 0); },
      "user.* on a symlink (EPERM)");
  ExpectSame(
      [](const std::string& r) { return setxattr((r + "/f").c_str(), "trusted.t", "x", 1, 0); },
      "trusted.* as root");
  ExpectSame(
      [](const std::string& r) { return setxattr((r + "/f").c_str(), "bogus.t", "x", 1, 0); },
      "unknown namespace (EOPNOTSUPP)");
  ExpectSame(
      [](const std::string& r) { return getxattr((r + "/f").c_str(), "bogus.t", nullptr, 0); },
      "get from an unknown namespace");
  ExpectSame([](const std::string& r) { return setxattr((r + "/f").c_str(), "user.", "x", 1, 0); },
             "empty name after the prefix");
  ExpectSame(
      [](const std::string& r) -> long {
        return RunAs(1000, 1000, [&] {
          return ErrnoOf(setxattr((r + "/f").c_str(), "user.other", "x", 1, 0));
        });
      },
      "user.* on someone else's file (EACCES)");
  EXPECT_EQ(Names(M("d")), Names(N("d")));
}

// trusted.* names are listed only to callers with CAP_SYS_ADMIN in the initial user namespace:
// not to another user, nor to root inside a user namespace of its own (a container's root).
TEST_F(FuseXattrTest, TrustedNamesAreListedOnlyToPrivilegedCallers) {
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(setxattr((root + "/f").c_str(), "trusted.t", "x", 1, 0), 0) << root;
    ASSERT_EQ(setxattr((root + "/f").c_str(), "user.u", "y", 1, 0), 0) << root;
  }
  EXPECT_EQ(Names(M("f")), (std::vector<std::string>{"trusted.t", "user.u"}));
  EXPECT_EQ(Names(M("f")), Names(N("f")));
  // What an unprivileged caller's list holds, as an exit code: 1 = just user.u, the size query
  // agreeing with the list.
  auto listed = [](const std::string& path) -> int {
    char buf[256];
    const ssize_t want = listxattr(path.c_str(), nullptr, 0);
    const ssize_t n = listxattr(path.c_str(), buf, sizeof(buf));
    if (n < 0 || want != n) return 99;
    if (std::string(buf, static_cast<size_t>(n)) == std::string("user.u", 7)) return 1;
    return 2;
  };
  for (const std::string& path : {M("f"), N("f")}) {
    EXPECT_EQ(RunAs(1000, 1000, [&] { return listed(path); }), 1) << "uid 1000 on " << path;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      if (unshare(CLONE_NEWUSER) != 0) _exit(98);
      _exit(listed(path));
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_EQ(WEXITSTATUS(status), 1) << "root in a user namespace of its own on " << path;
  }
}

TEST_F(FuseXattrTest, ValueSizeLimits) {
  const std::string big(64 * 1024, 'v');
  EXPECT_EQ(setxattr(M("f").c_str(), "user.big", big.data(), big.size(), 0), 0) << strerror(errno);
  std::string back(big.size(), '\0');
  EXPECT_EQ(getxattr(M("f").c_str(), "user.big", back.data(), back.size()),
            static_cast<ssize_t>(big.size()));
  EXPECT_EQ(back, big);
  const std::string too_big(64 * 1024 + 1, 'v');
  EXPECT_EQ(Call(setxattr(M("f").c_str(), "user.big", too_big.data(), too_big.size(), 0)),
            Failed(E2BIG));
  const std::string long_name = "user." + std::string(251, 'n');  // 256 bytes
  EXPECT_EQ(Call(setxattr(M("f").c_str(), long_name.c_str(), "x", 1, 0)), Failed(ERANGE));
}

}  // namespace
}  // namespace berth::testing
