// New inodes belong to the calling process, and the kernel enforces permissions against the
// modes and owners the mount reports (default_permissions).

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

constexpr uid_t kUser = 1000;
constexpr gid_t kGroup = 1000;

class FuseIdentityTest : public MountTest {};

struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

TEST_F(FuseIdentityTest, NewInodesBelongToTheCaller) {
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/open").c_str(), 0777), 0);
    ASSERT_EQ(chmod((root + "/open").c_str(), 0777), 0);  // past the umask
    EXPECT_EQ(RunAs(kUser, kGroup,
                    [&] {
                      int fd = open((root + "/open/f").c_str(), O_CREAT | O_WRONLY, 0644);
                      if (fd < 0) return errno;
                      close(fd);
                      if (mkdir((root + "/open/d").c_str(), 0755) != 0) return errno;
                      if (symlink("f", (root + "/open/l").c_str()) != 0) return errno;
                      return mknod((root + "/open/p").c_str(), S_IFIFO | 0600, 0) == 0 ? 0 : errno;
                    }),
              0)
        << root;
  }
  for (const char* rel : {"open/f", "open/d", "open/l", "open/p"}) {
    const struct stat st = Stat(M(rel));
    EXPECT_EQ(st.st_uid, kUser) << rel;
    EXPECT_EQ(st.st_gid, kGroup) << rel;
    const struct stat native_st = Stat(N(rel));
    EXPECT_EQ(st.st_mode, native_st.st_mode) << rel;
  }
}

TEST_F(FuseIdentityTest, SetgidDirectoryGivesItsGroup) {
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/shared").c_str(), 0777), 0);
    ASSERT_EQ(chown((root + "/shared").c_str(), 0, 500), 0);
    ASSERT_EQ(chmod((root + "/shared").c_str(), 02777), 0);
    EXPECT_EQ(RunAs(kUser, kGroup,
                    [&] {
                      int fd = open((root + "/shared/f").c_str(), O_CREAT | O_WRONLY, 0644);
                      if (fd < 0) return errno;
                      close(fd);
                      return mkdir((root + "/shared/sub").c_str(), 0755) == 0 ? 0 : errno;
                    }),
              0);
  }
  for (const char* rel : {"shared/f", "shared/sub"}) {
    const struct stat st = Stat(M(rel)), native_st = Stat(N(rel));
    EXPECT_EQ(st.st_gid, 500u) << rel;
    EXPECT_EQ(st.st_gid, native_st.st_gid) << rel;
    EXPECT_EQ(st.st_mode, native_st.st_mode) << rel;
  }
}

TEST_F(FuseIdentityTest, PermissionsAreEnforcedForOtherUsers) {
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/closed").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root + "/private").c_str(), 0700), 0);
    int fd = open((root + "/closed/f").c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  auto as_user = [&](const std::function<int(const std::string&)>& body) {
    return [&, body](const std::string& root) -> long {
      return RunAs(kUser, kGroup, [&] { return body(root); });
    };
  };
  const Outcome create =
      ExpectSame(as_user([](const std::string& r) {
                   return ErrnoOf(open((r + "/closed/new").c_str(), O_CREAT | O_WRONLY, 0644));
                 }),
                 "create in a 0755 root directory");
  EXPECT_EQ(create.ret, EACCES);
  ExpectSame(
      as_user([](const std::string& r) { return ErrnoOf(mkdir((r + "/closed/d").c_str(), 0755)); }),
      "mkdir in a 0755 root directory");
  ExpectSame(
      as_user([](const std::string& r) { return ErrnoOf(unlink((r + "/closed/f").c_str())); }),
      "unlink in a 0755 root directory");
  ExpectSame(as_user([](const std::string& r) {
               return ErrnoOf(open((r + "/closed/f").c_str(), O_RDONLY));
             }),
             "open a 0600 root file");
  ExpectSame(as_user([](const std::string& r) {
               return ErrnoOf(access((r + "/private/x").c_str(), F_OK));
             }),
             "walk through a 0700 directory");
  ExpectSame(as_user([](const std::string& r) {
               return ErrnoOf(chown((r + "/closed/f").c_str(), kUser, kGroup));
             }),
             "chown of someone else's file");
  ExpectSame(as_user([](const std::string& r) {
               return ErrnoOf(rename((r + "/closed/f").c_str(), (r + "/closed/g").c_str()));
             }),
             "rename in a 0755 root directory");
  // Nothing changed on the mount.
  EXPECT_EQ(Call(access(M("closed/new").c_str(), F_OK)), Failed(ENOENT));
  EXPECT_EQ(Stat(M("closed/f")).st_uid, 0u);
}

TEST_F(FuseIdentityTest, StickyDirectoryProtectsOthersFiles) {
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/tmp").c_str(), 0777), 0);
    ASSERT_EQ(chmod((root + "/tmp").c_str(), 01777), 0);
    int fd = open((root + "/tmp/roots").c_str(), O_CREAT | O_WRONLY, 0666);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  const Outcome removed = ExpectSame(
      [&](const std::string& r) -> long {
        return RunAs(kUser, kGroup, [&] { return ErrnoOf(unlink((r + "/tmp/roots").c_str())); });
      },
      "unlink of another user's file in a sticky directory");
  EXPECT_EQ(removed.ret, EPERM);
}

}  // namespace
}  // namespace berth::testing
