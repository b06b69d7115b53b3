// Set-user-ID, set-group-ID and file capabilities after writes, truncates and chowns, against
// ext4. The mount takes FUSE_HANDLE_KILLPRIV_V2, so the kernel leaves clearing these bits to the
// daemon (which must then do exactly what the kernel does on a local filesystem).

#include <linux/capability.h>
#include <sys/xattr.h>

#include <vector>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

constexpr uid_t kUser = 1000;
constexpr gid_t kUserGroup = 1000;
constexpr gid_t kOtherGroup = 500;

class FuseKillPrivTest : public MountTest {};

enum class Action { kWrite, kTruncate, kOpenTrunc, kChown, kChownNothing, kFallocate, kCopyFileRange };

struct Case {
  const char* name;
  mode_t mode;      // of the file before the action
  gid_t file_gid;   // the file's group (owner: root)
  uid_t actor;      // who acts (0: root, with CAP_FSETID)
  Action action;
  mode_t expected;  // the mode ext4 leaves (checked against native too)
};

int Act(const std::string& path, const std::string& source, Action action) {
  switch (action) {
    case Action::kWrite: {
      const int fd = open(path.c_str(), O_WRONLY);
      if (fd < 0) return errno;
      const int err = write(fd, "y", 1) == 1 ? 0 : errno;
      close(fd);
      return err;
    }
    case Action::kTruncate:
      return truncate(path.c_str(), 0) == 0 ? 0 : errno;
    case Action::kOpenTrunc: {
      const int fd = open(path.c_str(), O_WRONLY | O_TRUNC);
      if (fd < 0) return errno;
      close(fd);
      return 0;
    }
    case Action::kChown:
      return chown(path.c_str(), 1001, static_cast<gid_t>(-1)) == 0 ? 0 : errno;
    case Action::kChownNothing:  // reaches the daemon as a SETATTR with nothing to set
      return chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(-1)) == 0 ? 0 : errno;
    case Action::kFallocate: {
      const int fd = open(path.c_str(), O_WRONLY);
      if (fd < 0) return errno;
      const int err = posix_fallocate(fd, 0, 8192);
      close(fd);
      return err;
    }
    case Action::kCopyFileRange: {
      const int in = open(source.c_str(), O_RDONLY);
      const int out = open(path.c_str(), O_WRONLY);
      int err = in < 0 || out < 0 ? errno : 0;
      if (err == 0 && copy_file_range(in, nullptr, out, nullptr, 3, 0) != 3) err = errno;
      if (in >= 0) close(in);
      if (out >= 0) close(out);
      return err;
    }
  }
  return EINVAL;
}

TEST_F(FuseKillPrivTest, SuidAndSgidGoLikeOnExt4) {
  const std::vector<Case> cases = {
      {"user write", 06777, 0, kUser, Action::kWrite, 0777},
      {"user write, in the group, sgid without group exec", 02767, kUserGroup, kUser,
       Action::kWrite, 02767},
      {"user write, outside the group, sgid without group exec", 02767, kOtherGroup, kUser,
       Action::kWrite, 0767},
      {"root write", 06777, 0, 0, Action::kWrite, 06777},
      {"user truncate", 04777, 0, kUser, Action::kTruncate, 0777},
      {"user open O_TRUNC", 06777, 0, kUser, Action::kOpenTrunc, 0777},
      {"root truncate", 04777, 0, 0, Action::kTruncate, 04777},
      {"root chown", 06755, 0, 0, Action::kChown, 0755},
      {"root chown, sgid without group exec", 02745, 0, 0, Action::kChown, 02745},
      {"root chown -1 -1", 06755, 0, 0, Action::kChownNothing, 0755},
      {"root chown -1 -1, sgid without group exec", 06745, 0, 0, Action::kChownNothing, 02745},
      {"user fallocate", 04777, 0, kUser, Action::kFallocate, 0777},
      {"user copy_file_range", 04777, 0, kUser, Action::kCopyFileRange, 0777},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string rel = "f" + std::to_string(n++);
    for (const std::string& root : {mnt(), native()}) {
      const std::string path = root + "/" + rel;
      const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
      ASSERT_GE(fd, 0) << c.name;
      ASSERT_EQ(write(fd, "xyz", 3), 3);
      close(fd);
      ASSERT_EQ(chown(path.c_str(), 0, c.file_gid), 0);
      ASSERT_EQ(chmod(path.c_str(), c.mode), 0);
      ASSERT_EQ(chmod(root.c_str(), 0777), 0);
      const std::string source = root + "/source";
      if (access(source.c_str(), F_OK) != 0) {
        const int src = open(source.c_str(), O_CREAT | O_WRONLY, 0644);
        ASSERT_EQ(write(src, "abc", 3), 3);
        close(src);
      }
      const int err = c.actor == 0 ? Act(path, source, c.action)
                                   : RunAs(c.actor, kUserGroup, [&] {
                                       return Act(path, source, c.action);
                                     });
      EXPECT_EQ(err, 0) << c.name << " on " << root;
    }
    struct stat on_mount {}, on_native {};
    ASSERT_EQ(stat(M(rel).c_str(), &on_mount), 0);
    ASSERT_EQ(stat(N(rel).c_str(), &on_native), 0);
    EXPECT_EQ(on_native.st_mode & 07777, c.expected) << c.name << " (native)";
    EXPECT_EQ(on_mount.st_mode & 07777, on_native.st_mode & 07777) << c.name;
  }
}

TEST_F(FuseKillPrivTest, WriteByAUserDropsFileCapabilities) {
  // A version 2 file capability: CAP_NET_BIND_SERVICE permitted.
  vfs_cap_data caps{};
  caps.magic_etc = VFS_CAP_REVISION_2;
  caps.data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
  for (const std::string& root : {mnt(), native()}) {
    const std::string path = root + "/capable";
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0777);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_EQ(chmod(path.c_str(), 0777), 0);
    ASSERT_EQ(setxattr(path.c_str(), "security.capability", &caps, sizeof(caps), 0), 0)
        << root << ": " << strerror(errno);
    ASSERT_EQ(getxattr(path.c_str(), "security.capability", nullptr, 0),
              static_cast<ssize_t>(sizeof(caps)));
    EXPECT_EQ(RunAs(kUser, kUserGroup, [&] { return Act(path, "", Action::kWrite); }), 0);
    EXPECT_EQ(Call(getxattr(path.c_str(), "security.capability", nullptr, 0)), Failed(ENODATA))
        << root;
  }
}

}  // namespace
}  // namespace berth::testing
