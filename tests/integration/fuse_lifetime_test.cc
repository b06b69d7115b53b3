// Inode lifetimes across the kernel's references, and unmounting.

#include <dirent.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

class FuseLifetimeTest : public MountTest {
 protected:
  // Polls until the project's inode count is `want` (FORGETs reach us asynchronously).
  bool WaitForInodes(uint64_t want) {
    for (int i = 0; i < 300; ++i) {
      if (tree()->usage().inodes == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return tree()->usage().inodes == want;
  }
};

TEST_F(FuseLifetimeTest, UnlinkedFileHeldOpenKeepsWorking) {
  const uint64_t baseline = tree()->usage().inodes;
  for (const std::string& root : {mnt(), native()}) {
    int fd = open((root + "/f").c_str(), O_CREAT | O_WRONLY, 0640);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  int path_fd = open(M("f").c_str(), O_PATH);
  int native_fd = open(N("f").c_str(), O_PATH);
  ASSERT_GE(path_fd, 0);
  ASSERT_GE(native_fd, 0);
  ASSERT_EQ(unlink(M("f").c_str()), 0);
  ASSERT_EQ(unlink(N("f").c_str()), 0);
  struct stat st {
  }, native_st{};
  ASSERT_EQ(fstat(path_fd, &st), 0) << strerror(errno);
  ASSERT_EQ(fstat(native_fd, &native_st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_nlink, native_st.st_nlink);
  EXPECT_EQ(st.st_mode, native_st.st_mode);
  // Still an inode of the project until the kernel lets go of it.
  EXPECT_EQ(tree()->usage().inodes, baseline + 1);
  close(path_fd);
  close(native_fd);
  EXPECT_TRUE(WaitForInodes(baseline)) << tree()->usage().inodes;
}

TEST_F(FuseLifetimeTest, UnlinkedFileOpenForReadingKeepsWorking) {
  const uint64_t baseline = tree()->usage().inodes;
  int fd = open(M("f").c_str(), O_CREAT | O_RDONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(unlink(M("f").c_str()), 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  ASSERT_EQ(fchmod(fd, 0644), 0);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  char buf[4];
  EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
  EXPECT_EQ(tree()->usage().inodes, baseline + 1);
  close(fd);
  EXPECT_TRUE(WaitForInodes(baseline)) << tree()->usage().inodes;
}

TEST_F(FuseLifetimeTest, RemovedDirectoryHeldOpenKeepsWorking) {
  const uint64_t baseline = tree()->usage().inodes;
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/d").c_str(), 0750), 0);
  }
  DIR* dir = opendir(M("d").c_str());
  DIR* native_dir = opendir(N("d").c_str());
  ASSERT_NE(dir, nullptr);
  ASSERT_NE(native_dir, nullptr);
  ASSERT_EQ(rmdir(M("d").c_str()), 0);
  ASSERT_EQ(rmdir(N("d").c_str()), 0);
  struct stat st {
  }, native_st{};
  ASSERT_EQ(fstat(dirfd(dir), &st), 0) << strerror(errno);
  ASSERT_EQ(fstat(dirfd(native_dir), &native_st), 0);
  EXPECT_EQ(st.st_nlink, native_st.st_nlink);
  EXPECT_EQ(st.st_mode, native_st.st_mode);
  // Nothing can be created in it any more.
  EXPECT_EQ(Call(mkdirat(dirfd(dir), "x", 0755)), Call(mkdirat(dirfd(native_dir), "x", 0755)));
  closedir(dir);
  closedir(native_dir);
  EXPECT_TRUE(WaitForInodes(baseline)) << tree()->usage().inodes;
}

TEST_F(FuseLifetimeTest, ReplacedByRenameIsFreedOnceForgotten) {
  const uint64_t baseline = tree()->usage().inodes;
  for (const char* name : {"a", "b"}) {
    int fd = open(M(name).c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  int held = open(M("b").c_str(), O_RDONLY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(rename(M("a").c_str(), M("b").c_str()), 0);
  struct stat st {};
  ASSERT_EQ(fstat(held, &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  close(held);
  EXPECT_TRUE(WaitForInodes(baseline + 1)) << tree()->usage().inodes;
}

TEST_F(FuseLifetimeTest, ListingWithAttributesThenRemovingFreesEverything) {
  const uint64_t baseline = tree()->usage().inodes;
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  for (int i = 0; i < 200; ++i) {
    int fd = open(M("d/f" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  // Drop the kernel's cached entries so the listing below hands out fresh ones (READDIRPLUS).
  int drop = open("/proc/sys/vm/drop_caches", O_WRONLY);
  if (drop >= 0) {
    EXPECT_EQ(write(drop, "2", 1), 1);
    close(drop);
  }
  DIR* dir = opendir(M("d").c_str());
  ASSERT_NE(dir, nullptr);
  int entries = 0;
  while (readdir(dir) != nullptr) ++entries;
  closedir(dir);
  EXPECT_EQ(entries, 202);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(unlink(M("d/f" + std::to_string(i)).c_str()), 0);
  ASSERT_EQ(rmdir(M("d").c_str()), 0);
  EXPECT_TRUE(WaitForInodes(baseline)) << tree()->usage().inodes;
}

TEST_F(FuseLifetimeTest, MountOnAMissingDirectoryFails) {
  auto server = fs::FuseServer::Mount(tree(), data(), M("missing"), fs::MountOptions{});
  EXPECT_FALSE(server.ok());
}

TEST_F(FuseLifetimeTest, UnmountIsIdempotent) {
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  EXPECT_OK(server()->Unmount());
  EXPECT_FALSE(IsMounted(mnt()));
  EXPECT_OK(server()->Unmount());
}

TEST_F(FuseLifetimeTest, UnmountDoesNotWaitForABusyMount) {
  int fd = open(M("f").c_str(), O_CREAT | O_RDONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  int dir_fd = open(M("d").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dir_fd, 0);
  ASSERT_EQ(unlink(M("f").c_str()), 0);  // an orphan the kernel still holds
  auto unmounted = std::async(std::launch::async, [&] { return server()->Unmount(); });
  if (unmounted.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    umount2(mnt().c_str(), MNT_DETACH);  // unblock it before failing
    FAIL() << "Unmount hung on a busy mount";
  }
  EXPECT_OK(unmounted.get());
  EXPECT_FALSE(IsMounted(mnt()));
  // What still points into the dead mount fails instead of hanging.
  struct stat st {};
  EXPECT_EQ(Call(fstat(fd, &st)), Failed(ENOTCONN));
  EXPECT_EQ(Call(mkdirat(dir_fd, "x", 0755)), Failed(ENOTCONN));
  close(fd);
  close(dir_fd);
  // With the kernel gone, the orphan was freed.
  EXPECT_EQ(tree()->usage().inodes, 2u);  // the root and "d"
}

}  // namespace
}  // namespace berth::testing
