// Creating inodes, their attributes, links and names through a real mount, call by call against
// a native ext4 directory.

#include <dirent.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>

#include <functional>
#include <vector>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;

struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

// The attributes both filesystems must agree on (directory sizes and st_dev differ by nature).
void ExpectSameAttrs(const struct stat& berth, const struct stat& native, const std::string& what) {
  EXPECT_EQ(berth.st_mode, native.st_mode) << what;
  EXPECT_EQ(berth.st_nlink, native.st_nlink) << what;
  EXPECT_EQ(berth.st_uid, native.st_uid) << what;
  EXPECT_EQ(berth.st_gid, native.st_gid) << what;
  if (!S_ISDIR(berth.st_mode)) {
    EXPECT_EQ(berth.st_size, native.st_size) << what;
  }
  EXPECT_EQ(berth.st_rdev, native.st_rdev) << what;
}

class FuseMetadataTest : public MountTest {
 protected:
  void ExpectSameAttrs(const std::string& rel) {
    berth::testing::ExpectSameAttrs(Stat(M(rel)), Stat(N(rel)), rel);
  }
};

TEST_F(FuseMetadataTest, MountsAsFuseBerth) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(in, line)) {
    if (line.find(" " + mnt() + " ") != std::string::npos) found = line;
  }
  ASSERT_FALSE(found.empty());
  EXPECT_NE(found.find(" - fuse.berth berth "), std::string::npos) << found;
  EXPECT_NE(found.find("allow_other"), std::string::npos) << found;
  EXPECT_NE(found.find("default_permissions"), std::string::npos) << found;
}

TEST_F(FuseMetadataTest, CreatesFilesDirectoriesAndSpecialFiles) {
  ExpectSame([](const std::string& r) { return mkdir((r + "/d").c_str(), 0750); }, "mkdir");
  ExpectSame([](const std::string& r) { return mkdir((r + "/d/e").c_str(), 0777); }, "mkdir");
  ExpectSame([](const std::string& r) { return mkdir((r + "/d").c_str(), 0750); }, "mkdir again");
  ExpectSame(
      [](const std::string& r) {
        int fd = open((r + "/d/f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0640);
        return fd < 0 ? fd : close(fd);
      },
      "create");
  ExpectSame(
      [](const std::string& r) { return open((r + "/d/f").c_str(), O_CREAT | O_EXCL, 0640); },
      "O_EXCL on an existing file");
  ExpectSame([](const std::string& r) { return mknod((r + "/fifo").c_str(), S_IFIFO | 0600, 0); },
             "mkfifo");
  ExpectSame([](const std::string& r) { return mknod((r + "/sock").c_str(), S_IFSOCK | 0644, 0); },
             "mknod socket");
  ExpectSame([](const std::string& r) { return mknod((r + "/reg").c_str(), S_IFREG | 0604, 0); },
             "mknod regular");
  ExpectSame([](const std::string& r) { return mkdir((r + "/missing/x").c_str(), 0755); },
             "mkdir under a missing directory");
  ExpectSame([](const std::string& r) { return mkdir((r + "/reg/x").c_str(), 0755); },
             "mkdir under a file");
  for (const char* rel : {"d", "d/e", "d/f", "fifo", "sock", "reg"}) ExpectSameAttrs(rel);
  // The root counts its subdirectory.
  EXPECT_EQ(Stat(mnt()).st_nlink, Stat(native()).st_nlink);

  const struct stat f = Stat(M("d/f"));
  EXPECT_EQ(f.st_blksize, 4096);
  EXPECT_EQ(f.st_blocks, 0);
  // A listening socket can be bound on the mount.
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = M("bound.sock");
  if (sock_path.size() < sizeof(addr.sun_path)) {
    memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
    EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
    EXPECT_TRUE(S_ISSOCK(Stat(sock_path).st_mode));
  }
  close(s);
}

TEST_F(FuseMetadataTest, UmaskAppliesToNewInodes) {
  for (const std::string& root : {mnt(), native()}) {
    EXPECT_EQ(RunAs(0, 0,
                    [&] {
                      umask(027);
                      if (mkdir((root + "/masked").c_str(), 0777) != 0) return errno;
                      int fd = open((root + "/masked/f").c_str(), O_CREAT | O_WRONLY, 0666);
                      if (fd < 0) return errno;
                      close(fd);
                      return mknod((root + "/masked/p").c_str(), S_IFIFO | 0666, 0) == 0 ? 0
                                                                                         : errno;
                    }),
              0)
        << root;
  }
  EXPECT_EQ(Stat(M("masked")).st_mode & 07777, 0750u);
  EXPECT_EQ(Stat(M("masked/f")).st_mode & 07777, 0640u);
  EXPECT_EQ(Stat(M("masked/p")).st_mode & 07777, 0640u);
  for (const char* rel : {"masked", "masked/f", "masked/p"}) ExpectSameAttrs(rel);
}

TEST_F(FuseMetadataTest, ChmodAndChown) {
  for (const std::string& root : {mnt(), native()}) {
    int fd = open((root + "/f").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_EQ(mkdir((root + "/d").c_str(), 0755), 0);
  }
  ExpectSame([](const std::string& r) { return chmod((r + "/f").c_str(), 04751); }, "chmod");
  ExpectSameAttrs("f");
  ExpectSame([](const std::string& r) { return chmod((r + "/d").c_str(), 01777); }, "chmod dir");
  ExpectSameAttrs("d");
  // chown clears set-user-ID (the kernel sends the mode change).
  ExpectSame([](const std::string& r) { return chown((r + "/f").c_str(), 1000, 2000); }, "chown");
  ExpectSameAttrs("f");
  EXPECT_EQ(Stat(M("f")).st_uid, 1000u);
  EXPECT_EQ(Stat(M("f")).st_gid, 2000u);
  ExpectSame([](const std::string& r) { return lchown((r + "/d").c_str(), -1, 3000); },
             "chown group only");
  ExpectSameAttrs("d");
  // Not the owner: EPERM from the kernel, exactly as on ext4.
  ExpectSame(
      [](const std::string& r) {
        return RunAs(1001, 1001, [&] { return ErrnoOf(chmod((r + "/f").c_str(), 0777)); });
      },
      "chmod by another user");
  // ctime moves on a metadata change.
  const struct stat before = Stat(M("f"));
  timespec pause{0, 20'000'000};
  nanosleep(&pause, nullptr);
  ASSERT_EQ(chmod(M("f").c_str(), 0600), 0);
  const struct stat after = Stat(M("f"));
  EXPECT_TRUE(after.st_ctim.tv_sec > before.st_ctim.tv_sec ||
              (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
               after.st_ctim.tv_nsec > before.st_ctim.tv_nsec));
}

TEST_F(FuseMetadataTest, UtimensatExactNowAndOmit) {
  for (const std::string& root : {mnt(), native()}) {
    int fd = open((root + "/f").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  const timespec exact[2] = {{1234567890, 123456789}, {987654321, 999999999}};
  ExpectSame(
      [&](const std::string& r) { return utimensat(AT_FDCWD, (r + "/f").c_str(), exact, 0); },
      "utimensat exact");
  struct stat st = Stat(M("f"));
  EXPECT_EQ(st.st_atim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_atim.tv_nsec, 123456789);
  EXPECT_EQ(st.st_mtim.tv_sec, 987654321);
  EXPECT_EQ(st.st_mtim.tv_nsec, 999999999);

  // Before 1970.
  const timespec old[2] = {{-2, 500}, {-1, 0}};
  ExpectSame([&](const std::string& r) { return utimensat(AT_FDCWD, (r + "/f").c_str(), old, 0); },
             "utimensat before the epoch");
  st = Stat(M("f"));
  const struct stat native_st = Stat(N("f"));
  EXPECT_EQ(st.st_atim.tv_sec, native_st.st_atim.tv_sec);
  EXPECT_EQ(st.st_atim.tv_nsec, native_st.st_atim.tv_nsec);
  EXPECT_EQ(st.st_mtim.tv_sec, native_st.st_mtim.tv_sec);

  // UTIME_OMIT keeps atime; UTIME_NOW sets mtime to now.
  ASSERT_EQ(utimensat(AT_FDCWD, M("f").c_str(), exact, 0), 0);
  timespec before{}, after{};
  clock_gettime(CLOCK_REALTIME, &before);
  const timespec now_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  ASSERT_EQ(utimensat(AT_FDCWD, M("f").c_str(), now_omit, 0), 0);
  clock_gettime(CLOCK_REALTIME, &after);
  st = Stat(M("f"));
  EXPECT_EQ(st.st_atim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_atim.tv_nsec, 123456789);
  EXPECT_GE(st.st_mtim.tv_sec, before.tv_sec);
  EXPECT_LE(st.st_mtim.tv_sec, after.tv_sec);

  const timespec omit_now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  const timespec mtime_before = st.st_mtim;
  ASSERT_EQ(utimensat(AT_FDCWD, M("f").c_str(), omit_now, 0), 0);
  st = Stat(M("f"));
  EXPECT_GE(st.st_atim.tv_sec, before.tv_sec);
  EXPECT_EQ(st.st_mtim.tv_sec, mtime_before.tv_sec);
  EXPECT_EQ(st.st_mtim.tv_nsec, mtime_before.tv_nsec);

  // Both omitted: nothing changes, not even ctime.
  const timespec omit_both[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  ExpectSame(
      [&](const std::string& r) { return utimensat(AT_FDCWD, (r + "/f").c_str(), omit_both, 0); },
      "utimensat omit both");
  // Someone else may set "now" only with write access, exact times only as the owner.
  ASSERT_EQ(chmod(M("f").c_str(), 0666), 0);
  ASSERT_EQ(chmod(N("f").c_str(), 0666), 0);
  ExpectSame(
      [&](const std::string& r) {
        return RunAs(1000, 1000,
                     [&] { return ErrnoOf(utimensat(AT_FDCWD, (r + "/f").c_str(), nullptr, 0)); });
      },
      "touch by a writer");
  ExpectSame(
      [&](const std::string& r) {
        return RunAs(1000, 1000,
                     [&] { return ErrnoOf(utimensat(AT_FDCWD, (r + "/f").c_str(), exact, 0)); });
      },
      "exact times by a non-owner");
}

// Each of these moves mtime on ext4 although the kernel sends the daemon only the new size (or
// nothing but the range): truncate and ftruncate to the same size, open(O_TRUNC) of an empty
// file (POSIX requires it), fallocate within the size and with FALLOC_FL_KEEP_SIZE.
TEST_F(FuseMetadataTest, TruncateAndFallocateMoveMtimeLikeExt4) {
  const struct {
    const char* name;
    std::function<int(const std::string&)> act;
  } cases[] = {
      {"truncate to the same size", [](const std::string& p) { return truncate(p.c_str(), 3); }},
      {"ftruncate to the same size",
       [](const std::string& p) {
         const int fd = open(p.c_str(), O_WRONLY);
         const int r = ftruncate(fd, 3);
         close(fd);
         return r;
       }},
      {"open O_TRUNC of an empty file",
       [](const std::string& p) {
         if (truncate(p.c_str(), 0) != 0) return -1;
         struct timespec old[2] = {{1, 0}, {1, 0}};
         if (utimensat(AT_FDCWD, p.c_str(), old, 0) != 0) return -1;
         const int fd = open(p.c_str(), O_WRONLY | O_TRUNC);
         return fd < 0 ? -1 : close(fd);
       }},
      {"fallocate within the size",
       [](const std::string& p) {
         const int fd = open(p.c_str(), O_WRONLY);
         const int r = posix_fallocate(fd, 0, 2);
         close(fd);
         return r;
       }},
      {"fallocate keeping the size",
       [](const std::string& p) {
         const int fd = open(p.c_str(), O_WRONLY);
         const int r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20);
         close(fd);
         return r;
       }},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string rel = "t" + std::to_string(n++);
    for (const std::string& path : {M(rel), N(rel)}) {
      const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(write(fd, "abc", 3), 3);
      close(fd);
      struct timespec old[2] = {{1, 0}, {1, 0}};
      ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
      ASSERT_EQ(c.act(path), 0) << c.name << " on " << path << ": " << strerror(errno);
      struct stat st {};
      ASSERT_EQ(stat(path.c_str(), &st), 0);
      EXPECT_NE(st.st_mtim.tv_sec, 1) << c.name << " on " << path;
      EXPECT_EQ(st.st_atim.tv_sec, 1) << c.name << " on " << path;
    }
  }
}

// A write moves mtime and ctime to one time, at the write: the commit that stores the bytes
// later (fsync, close, the commit interval) moves neither, and a chmod after the write keeps
// its later ctime. As on ext4.
TEST_F(FuseMetadataTest, WriteMovesMtimeAndCtimeTogetherAtTheWrite) {
  auto ns = [](const struct timespec& t) { return t.tv_sec * 1'000'000'000LL + t.tv_nsec; };
  auto stat_of = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st;
  };
  for (const std::string& path : {M("w"), N("w")}) {
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    const struct stat created = stat_of(path);
    ASSERT_EQ(write(fd, "abc", 3), 3);
    const struct stat written = stat_of(path);
    EXPECT_EQ(ns(written.st_mtim), ns(written.st_ctim)) << path;
    EXPECT_GE(ns(written.st_ctim), ns(created.st_ctim)) << path;
    ASSERT_EQ(fsync(fd), 0);
    const struct stat synced = stat_of(path);
    EXPECT_EQ(ns(synced.st_mtim), ns(written.st_mtim)) << path;
    EXPECT_EQ(ns(synced.st_ctim), ns(written.st_ctim)) << path;

    ASSERT_EQ(pwrite(fd, "d", 1, 3), 1);
    ASSERT_EQ(chmod(path.c_str(), 0600), 0);
    const struct stat chmodded = stat_of(path);
    EXPECT_GE(ns(chmodded.st_ctim), ns(chmodded.st_mtim)) << path;
    ASSERT_EQ(close(fd), 0);
    const struct stat closed = stat_of(path);
    EXPECT_EQ(ns(closed.st_mtim), ns(chmodded.st_mtim)) << path;
    EXPECT_EQ(ns(closed.st_ctim), ns(chmodded.st_ctim)) << path;
    EXPECT_EQ(closed.st_size, 4) << path;
  }
}

TEST_F(FuseMetadataTest, ReadsMoveAtimeAsRelatimeDoes) {
  auto atime = [](const std::string& p) {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0) << p;
    return st.st_atim.tv_sec * 1'000'000'000LL + st.st_atim.tv_nsec;
  };
  auto read_all = [](const std::string& p) {
    char buf[16];
    const int fd = open(p.c_str(), O_RDONLY);
    EXPECT_GE(fd, 0) << p;
    EXPECT_EQ(read(fd, buf, sizeof(buf)), 3) << p;
    close(fd);
  };
  auto set_times = [](const std::string& p, time_t atime_s, time_t mtime_s) {
    struct timespec t[2] = {{atime_s, 0}, {mtime_s, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), t, 0), 0) << p;
  };
  const time_t future = time(nullptr) + 3600;
  for (const std::string& root : {mnt(), native()}) {
    const std::string f = root + "/a";
    const int fd = open(f.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "abc", 3), 3);
    close(fd);

    set_times(f, 1, 2);  // atime older than mtime
    read_all(f);
    EXPECT_GT(atime(f), 2'000'000'000LL) << "read of a changed file on " << root;
    set_times(f, 1, 2);  // again, now with the pages in the kernel's cache
    read_all(f);
    EXPECT_GT(atime(f), 2'000'000'000LL) << "cached read of a changed file on " << root;
    set_times(f, future, 2);  // read after every change: newer than mtime and ctime
    read_all(f);
    EXPECT_EQ(atime(f), future * 1'000'000'000LL) << "read of a read file on " << root;

    set_times(f, 1, 2);
    const int wfd = open(f.c_str(), O_WRONLY);
    ASSERT_GE(wfd, 0);
    ASSERT_EQ(pwrite(wfd, "x", 1, 0), 1);
    close(wfd);
    EXPECT_EQ(atime(f), 1'000'000'000LL) << "write-only descriptor on " << root;
    const int nfd = open(f.c_str(), O_RDONLY | O_NOATIME);
    ASSERT_GE(nfd, 0);
    char c;
    ASSERT_EQ(read(nfd, &c, 1), 1);
    close(nfd);
    EXPECT_EQ(atime(f), 1'000'000'000LL) << "O_NOATIME on " << root;

    const std::string d = root + "/d";
    ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
    set_times(d, 1, 2);
    DIR* dir = opendir(d.c_str());
    ASSERT_NE(dir, nullptr);
    while (readdir(dir) != nullptr) {
    }
    closedir(dir);
    EXPECT_GT(atime(d), 2'000'000'000LL) << "listing a changed directory on " << root;
  }
}

TEST_F(FuseMetadataTest, SymlinkAndReadlink) {
  const std::string target = "../some/where/../else";
  ExpectSame([&](const std::string& r) { return symlink(target.c_str(), (r + "/l").c_str()); },
             "symlink");
  ExpectSame([&](const std::string& r) { return symlink(target.c_str(), (r + "/l").c_str()); },
             "symlink over an existing name");
  char buf[256];
  ssize_t n = readlink(M("l").c_str(), buf, sizeof(buf));
  ASSERT_EQ(n, static_cast<ssize_t>(target.size()));
  EXPECT_EQ(std::string(buf, n), target);
  const struct stat st = Stat(M("l"));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_size, static_cast<off_t>(target.size()));
  ExpectSameAttrs("l");
  ExpectSame([&](const std::string& r) { return readlink((r + "/l").c_str(), buf, 4); },
             "readlink into a short buffer");
  // Following it: it dangles on both.
  ExpectSame([&](const std::string& r) { return open((r + "/l").c_str(), O_RDONLY); }, "open");
  // A symlink that resolves inside the mount.
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/real").c_str(), 0755), 0);
    ASSERT_EQ(symlink("real", (root + "/alias").c_str()), 0);
  }
  ExpectSame([&](const std::string& r) { return mkdir((r + "/alias/inside").c_str(), 0700); },
             "mkdir through a symlink");
  ExpectSameAttrs("real/inside");
  ExpectSame(
      [&](const std::string& r) { return readlink((r + "/real").c_str(), buf, sizeof(buf)); },
      "readlink of a directory");
}

TEST_F(FuseMetadataTest, HardLinksShareOneInode) {
  for (const std::string& root : {mnt(), native()}) {
    int fd = open((root + "/a").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    ASSERT_EQ(mkdir((root + "/d").c_str(), 0755), 0);
  }
  ExpectSame([](const std::string& r) { return link((r + "/a").c_str(), (r + "/d/b").c_str()); },
             "link");
  ExpectSame([](const std::string& r) { return link((r + "/a").c_str(), (r + "/c").c_str()); },
             "second link");
  struct stat a = Stat(M("a")), b = Stat(M("d/b")), c = Stat(M("c"));
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_ino, c.st_ino);
  EXPECT_EQ(a.st_nlink, 3u);
  EXPECT_EQ(b.st_nlink, 3u);
  ExpectSame([](const std::string& r) { return link((r + "/a").c_str(), (r + "/c").c_str()); },
             "link onto an existing name");
  ExpectSame([](const std::string& r) { return link((r + "/d").c_str(), (r + "/dlink").c_str()); },
             "link to a directory");
  ExpectSame([](const std::string& r) { return unlink((r + "/a").c_str()); }, "unlink one name");
  ExpectSame([](const std::string& r) { return access((r + "/a").c_str(), F_OK); }, "gone");
  ExpectSameAttrs("d/b");
  EXPECT_EQ(Stat(M("d/b")).st_nlink, 2u);
  // A change through one name shows through the other at once (one node id, one cache entry).
  ASSERT_EQ(chmod(M("c").c_str(), 0600), 0);
  EXPECT_EQ(Stat(M("d/b")).st_mode & 07777, 0600u);
  ExpectSame([](const std::string& r) { return unlink((r + "/c").c_str()); }, "unlink another");
  EXPECT_EQ(Stat(M("d/b")).st_nlink, 1u);
}

TEST_F(FuseMetadataTest, NamesUpTo255Bytes) {
  const std::string ok(255, 'n'), too_long(256, 'n');
  ExpectSame([&](const std::string& r) { return mkdir((r + "/" + ok).c_str(), 0755); },
             "mkdir 255");
  ExpectSame(
      [&](const std::string& r) {
        int fd = open((r + "/" + ok + "/" + ok).c_str(), O_CREAT | O_WRONLY, 0644);
        return fd < 0 ? fd : close(fd);
      },
      "create 255");
  ExpectSameAttrs(ok + "/" + ok);
  ExpectSame([&](const std::string& r) { return mkdir((r + "/" + too_long).c_str(), 0755); },
             "mkdir 256");
  ExpectSame(
      [&](const std::string& r) {
        return open((r + "/" + too_long).c_str(), O_CREAT | O_WRONLY, 0644);
      },
      "create 256");
  ExpectSame([&](const std::string& r) { return access((r + "/" + too_long).c_str(), F_OK); },
             "lookup 256");
  ExpectSame(
      [&](const std::string& r) {
        return rename((r + "/" + ok).c_str(), (r + "/" + too_long).c_str());
      },
      "rename to 256");
  ExpectSame([&](const std::string& r) { return symlink("x", (r + "/" + too_long).c_str()); },
             "symlink 256");
}

TEST_F(FuseMetadataTest, PathsLongerThanPathMax) {
  // 30 levels of 200-byte names: about 6000 bytes, reachable only relative to directory fds.
  const std::string name(200, 'p');
  for (const std::string& root : {mnt(), native()}) {
    int dir = open(root.c_str(), O_DIRECTORY | O_RDONLY);
    ASSERT_GE(dir, 0);
    std::string path = root;
    for (int level = 0; level < 30; ++level) {
      ASSERT_EQ(mkdirat(dir, name.c_str(), 0755), 0) << level << ": " << strerror(errno);
      int sub = openat(dir, name.c_str(), O_DIRECTORY | O_RDONLY);
      ASSERT_GE(sub, 0) << level;
      close(dir);
      dir = sub;
      path += "/" + name;
    }
    ASSERT_GT(path.size(), 4096u);
    int fd = openat(dir, "leaf", O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0) << strerror(errno);
    close(fd);
    struct stat st {};
    EXPECT_EQ(fstatat(dir, "leaf", &st, 0), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(Call(open((path + "/leaf").c_str(), O_RDONLY)), Failed(ENAMETOOLONG)) << root;
    // ".." climbs back out of the deep end.
    int up = openat(dir, "..", O_DIRECTORY | O_RDONLY);
    ASSERT_GE(up, 0);
    EXPECT_EQ(fstatat(up, (name + "/leaf").c_str(), &st, 0), 0);
    close(up);
    close(dir);
  }
}

TEST_F(FuseMetadataTest, StatfsIsSane) {
  struct statfs fs {};
  ASSERT_EQ(statfs(mnt().c_str(), &fs), 0);
  EXPECT_EQ(fs.f_type, kFuseSuperMagic);
  EXPECT_EQ(fs.f_bsize, 4096);
  EXPECT_EQ(fs.f_namelen, 255);
  EXPECT_GT(fs.f_bavail, 0u);
  EXPECT_GT(fs.f_ffree, 0u);
  const uint64_t used_before = fs.f_files - fs.f_ffree;
  EXPECT_EQ(used_before, tree()->usage().inodes);
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  ASSERT_EQ(statfs(mnt().c_str(), &fs), 0);
  EXPECT_EQ(fs.f_files - fs.f_ffree, used_before + 1);
}

}  // namespace
}  // namespace berth::testing
