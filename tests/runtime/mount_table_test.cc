#include "runtime/internal/mount_table.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace berth::runtime::internal {
namespace {

TEST(MountTableTest, ParsesMountInfoLines) {
  const char text[] =
      "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
      "41 22 0:36 / /sys/fs/cgroup/memory rw,relatime shared:17 master:2 - cgroup cgroup "
      "rw,memory\n"
      "90 29 0:50 /sub /data/with\\040space rw - ext4 /dev/vda rw,discard\n"
      "garbage line\n"
      "91 29 0:51 / /no/fs/type rw\n";
  std::vector<MountEntry> mounts = ParseMountInfo(text);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].mount_point, "/proc");
  EXPECT_EQ(mounts[0].fs_type, "proc");
  EXPECT_EQ(mounts[0].optional, "shared:5");
  EXPECT_EQ(mounts[1].super_options, "rw,memory");
  EXPECT_EQ(mounts[1].optional, "shared:17 master:2");
  EXPECT_EQ(mounts[2].root, "/sub");
  EXPECT_EQ(mounts[2].mount_point, "/data/with space");
  EXPECT_EQ(mounts[2].source, "/dev/vda");
}

TEST(MountTableTest, SeesThisProcessMounts) {
  ASSERT_OK_AND_ASSIGN(bool root, IsMountPoint("/"));
  EXPECT_TRUE(root);
  ASSERT_OK_AND_ASSIGN(bool proc, IsMountPoint("/proc"));
  EXPECT_TRUE(proc);
  ASSERT_OK_AND_ASSIGN(bool etc, IsMountPoint("/etc/nonexistent-dir"));
  EXPECT_FALSE(etc);
}

}  // namespace
}  // namespace berth::runtime::internal
