// `berth serve` as operators run it: a real daemon process, the berth CLI talking to it over
// its socket, real FUSE mounts, kill -9 and restart.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/daemon_fixture.h"

namespace berth {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::Slurp;
using testing::WaitFor;

class DaemonLifecycleTest : public testing::DaemonTest {
 protected:
  void SetUp() override {
    testing::DaemonTest::SetUp();
    if (!IsSkipped()) StartDaemon();
  }
};

TEST_F(DaemonLifecycleTest, ProjectLifecycleThroughTheCli) {
  json created = BerthJson({"project", "create", "alpha", "--quota", "1G", "--inodes", "1000"});
  const std::string id = created["id"];
  EXPECT_EQ(created["quota_bytes"], 1ull << 30);
  EXPECT_EQ(Berth({"project", "create", "alpha"}).exit_code, 1);  // names are unique
  json mounted = BerthJson({"mount", "alpha"});
  const std::string mnt = mounted["mountpoint"];
  EXPECT_EQ(mnt, mount_root_ + "/" + id);
  {
    std::ofstream(mnt + "/hello.txt") << "hello berth\n";
  }
  std::filesystem::create_directories(mnt + "/src/lib");
  EXPECT_EQ(Slurp(mnt + "/hello.txt"), "hello berth\n");
  struct statvfs vfs;
  ASSERT_EQ(statvfs(mnt.c_str(), &vfs), 0);

  CommandResult refused = Berth({"project", "delete", "alpha"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("mounted"), std::string::npos) << refused.err;

  json list = BerthJson({"project", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["usage"]["inodes"], 4);  // root, hello.txt, src, src/lib
  EXPECT_TRUE(list[0]["mounted"].get<bool>());

  ASSERT_EQ(Berth({"umount", "alpha"}).exit_code, 0);
  struct stat st;
  ASSERT_EQ(stat((mnt + "/hello.txt").c_str(), &st), -1);  // the plain directory is back
  ASSERT_EQ(Berth({"mount", id}).exit_code, 0);             // by id this time
  EXPECT_EQ(Slurp(mnt + "/hello.txt"), "hello berth\n");
  ASSERT_EQ(Berth({"umount", id}).exit_code, 0);
  ASSERT_EQ(Berth({"project", "delete", "alpha"}).exit_code, 0);
  EXPECT_EQ(BerthJson({"project", "list"}).size(), 0u);
  CommandResult unknown = Berth({"mount", "alpha"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no project named"), std::string::npos);
}

TEST_F(DaemonLifecycleTest, KillNineThenRestartRemountsAndKeepsWhatFsyncAcknowledged) {
  json created = BerthJson({"project", "create", "beta"});
  const std::string mnt = BerthJson({"mount", "beta"})["mountpoint"];
  std::string content(3 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + i % 23);
  {
    int fd = open((mnt + "/data.bin").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ASSERT_EQ(fsync(fd), 0);
    close(fd);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  struct stat st;
  EXPECT_EQ(stat((mnt + "/data.bin").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOTCONN);  // the mount is dead until the daemon comes back

  StartDaemon();
  ASSERT_TRUE(WaitFor([&] { return stat((mnt + "/data.bin").c_str(), &st) == 0; }))
      << DaemonErr();
  EXPECT_EQ(Slurp(mnt + "/data.bin"), content);
}

TEST_F(DaemonLifecycleTest, SigtermCommitsAndUnmounts) {
  BerthJson({"project", "create", "gamma"});
  const std::string mnt = BerthJson({"mount", "gamma"})["mountpoint"];
  std::ofstream(mnt + "/unsynced.txt") << "written, never fsynced";
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DaemonErr();
  EXPECT_NE(DaemonOut().find("stopped cleanly"), std::string::npos);
  struct stat st;
  EXPECT_EQ(stat((mnt + "/unsynced.txt").c_str(), &st), -1);  // unmounted: plain dir again
  EXPECT_EQ(errno, ENOENT);
  StartDaemon();  // it was mounted when the daemon stopped: it comes back mounted
  ASSERT_TRUE(WaitFor([&] { return stat((mnt + "/unsynced.txt").c_str(), &st) == 0; }));
  EXPECT_EQ(Slurp(mnt + "/unsynced.txt"), "written, never fsynced");
}

TEST_F(DaemonLifecycleTest, ImportCopiesATree) {
  const std::string src = dir_.Sub("src");
  std::filesystem::create_directories(src + "/a/b");
  std::ofstream(src + "/a/b/file.txt") << "deep";
  std::ofstream(src + "/top.txt") << "top";
  ASSERT_EQ(symlink("a/b/file.txt", (src + "/link").c_str()), 0);
  ASSERT_EQ(link((src + "/top.txt").c_str(), (src + "/hard.txt").c_str()), 0);
  ASSERT_EQ(chmod((src + "/top.txt").c_str(), 0600), 0);
  BerthJson({"project", "create", "delta"});
  json report = BerthJson({"import", "delta", src});
  EXPECT_EQ(report["files"], 2);
  EXPECT_EQ(report["hard_links"], 1);
  EXPECT_EQ(report["symlinks"], 1);
  const std::string mnt = BerthJson({"mount", "delta"})["mountpoint"];
  EXPECT_EQ(Slurp(mnt + "/a/b/file.txt"), "deep");
  EXPECT_EQ(Slurp(mnt + "/link"), "deep");
  struct stat top, hard, orig;
  ASSERT_EQ(stat((mnt + "/top.txt").c_str(), &top), 0);
  ASSERT_EQ(stat((mnt + "/hard.txt").c_str(), &hard), 0);
  ASSERT_EQ(stat((src + "/top.txt").c_str(), &orig), 0);
  EXPECT_EQ(top.st_ino, hard.st_ino);
  EXPECT_EQ(top.st_nlink, 2u);
  EXPECT_EQ(top.st_mode & 0777, 0600u);
  EXPECT_EQ(top.st_mtim.tv_sec, orig.st_mtim.tv_sec);
  EXPECT_EQ(top.st_mtim.tv_nsec, orig.st_mtim.tv_nsec);
}

// The kernel may cache names (missing ones too) and attributes for a long time; an import into a
// mounted project changes the tree behind its back, so it must invalidate what it changes.
TEST_F(DaemonLifecycleTest, ImportIntoAMountedProjectIsSeenAtOnce) {
  KillDaemon();
  StartDaemon(200, "entry_timeout_s = 3600\nattr_timeout_s = 3600\nnegative_timeout_s = 3600\n");
  BerthJson({"project", "create", "epsilon"});
  const std::string mnt = BerthJson({"mount", "epsilon"})["mountpoint"];
  struct stat st;
  // What the kernel now caches: "new.txt" and "sub" missing, the root's attributes, a listing.
  ASSERT_EQ(stat((mnt + "/new.txt").c_str(), &st), -1);
  ASSERT_EQ(stat((mnt + "/sub").c_str(), &st), -1);
  ASSERT_EQ(stat(mnt.c_str(), &st), 0);
  const nlink_t root_links = st.st_nlink;
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(mnt), {}), 0);

  const std::string src = dir_.Sub("src");
  std::filesystem::create_directories(src + "/sub");
  std::ofstream(src + "/new.txt") << "imported";
  std::ofstream(src + "/sub/inner.txt") << "inner";
  json report = BerthJson({"import", "epsilon", src});
  EXPECT_EQ(report["files"], 2);

  ASSERT_EQ(stat((mnt + "/new.txt").c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_size, 8);
  EXPECT_EQ(Slurp(mnt + "/new.txt"), "imported");
  EXPECT_EQ(Slurp(mnt + "/sub/inner.txt"), "inner");
  ASSERT_EQ(stat(mnt.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, root_links + 1);  // "sub"'s ".."
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(mnt), {}), 2);
}

// Writes `size` pseudo-random (incompressible, deterministic) bytes to `path`.
void WriteRandom(const std::string& path, size_t size, uint32_t seed) {
  std::string bytes(size, '\0');
  for (char& c : bytes) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  std::ofstream(path, std::ios::binary) << bytes;
}

void SetMtime(const std::string& path, time_t sec, long nsec) {
  struct timespec times[2] = {{sec, nsec + 1}, {sec, nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// What a copy must keep of every entry of a tree: type, permissions, ns mtime (not of symlinks,
// whose time the tools set differently), size and bytes, symlink targets, and which names are
// one file (by the first name of each).
std::map<std::string, std::string> Describe(const std::string& root) {
  std::map<std::string, std::string> out;
  std::map<std::pair<dev_t, ino_t>, std::string> first_name;
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    std::string d = std::to_string(st.st_mode) + " ";
    if (!S_ISLNK(st.st_mode)) {
      d += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " ";
    }
    if (S_ISREG(st.st_mode)) {
      d += std::to_string(st.st_size) + " " + std::to_string(std::hash<std::string>()(Slurp(path)));
      auto [it, fresh] =
          first_name.emplace(std::make_pair(st.st_dev, st.st_ino), path.substr(root.size()));
      if (!fresh) d += " = " + it->second;
    } else if (S_ISLNK(st.st_mode)) {
      d += std::filesystem::read_symlink(path).string();
    }
    out[path.substr(root.size())] = d;
  }
  return out;
}

// Large, sparse, duplicate and special files, hard links across directories and ns times of
// files and directories come through an import, through the mount and through a snapshot's
// export alike.
TEST_F(DaemonLifecycleTest, ImportKeepsTimesLinksHolesAndSpecialFiles) {
  const std::string src = dir_.Sub("src");
  std::filesystem::create_directories(src + "/dir/sub");
  WriteRandom(src + "/big", (9u << 20) + 12345, 1);  // past one file's 8 MiB of chunk records
  WriteRandom(src + "/dir/dup1", 300000, 2);
  WriteRandom(src + "/dir/sub/dup2", 300000, 2);  // the same chunks: stored once
  {
    std::ofstream sparse(src + "/sparse", std::ios::binary);
    sparse.seekp(3 << 20);
    sparse << "end";
  }
  std::ofstream(src + "/empty");
  ASSERT_EQ(mkfifo((src + "/dir/pipe").c_str(), 0640), 0);
  ASSERT_EQ(symlink("../big", (src + "/dir/up").c_str()), 0);
  ASSERT_EQ(link((src + "/big").c_str(), (src + "/dir/sub/big2").c_str()), 0);
  ASSERT_EQ(chmod((src + "/dir/sub").c_str(), 0701), 0);
  SetMtime(src + "/big", 1'500'000'000, 111);
  SetMtime(src + "/dir/sub", 1'400'000'000, 222'333'444);  // after its entries, as tar does
  SetMtime(src + "/dir", 1'300'000'000, 5);

  BerthJson({"project", "create", "zeta"});
  json report = BerthJson({"import", "zeta", src});
  EXPECT_EQ(report["files"], 6);  // big, dup1, dup2, sparse, empty, pipe
  EXPECT_EQ(report["directories"], 2);
  EXPECT_EQ(report["symlinks"], 1);
  EXPECT_EQ(report["hard_links"], 1);
  EXPECT_EQ(report["bytes"], (9u << 20) + 12345 + 2 * 300000 + (3 << 20) + 3);
  json list = BerthJson({"project", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["usage"]["inodes"], 10);  // the root and 9 imported inodes
  // Allocated bytes: the sparse file's hole is not counted.
  EXPECT_LT(list[0]["usage"]["bytes"].get<uint64_t>(), (9u << 20) + 12345 + 2 * 300000 + (1 << 20));

  const auto expected = Describe(src);
  const std::string mnt = BerthJson({"mount", "zeta"})["mountpoint"];
  EXPECT_EQ(Describe(mnt), expected);
  BerthJson({"snapshot", "zeta", "--label", "imported"});
  const std::string exported = dir_.Sub("exported");
  ASSERT_EQ(Berth({"export", "zeta@imported", exported}).exit_code, 0);
  EXPECT_EQ(Describe(exported), expected);
}

// An import copies owners and extended attributes as they are: inside a set-group-ID directory
// entries keep their own group (the rule for new files is for callers, not for a copy), every
// inode keeps its xattrs (files, directories, symlinks; user.* and trusted.*), and hard-linked
// symlinks stay one inode.
TEST_F(DaemonLifecycleTest, ImportKeepsGroupsInSetgidDirectoriesXattrsAndLinkedSymlinks) {
  const std::string src = dir_.Sub("src");
  std::filesystem::create_directories(src + "/sg/sub");
  ASSERT_EQ(chown((src + "/sg").c_str(), 1000, 2000), 0);
  ASSERT_EQ(chmod((src + "/sg").c_str(), 02775), 0);
  WriteRandom(src + "/sg/f", 1000, 3);
  ASSERT_EQ(chown((src + "/sg/f").c_str(), 1000, 3000), 0);
  ASSERT_EQ(chown((src + "/sg/sub").c_str(), 1001, 3001), 0);
  ASSERT_EQ(chmod((src + "/sg/sub").c_str(), 0755), 0);  // no set-group-ID of its own
  ASSERT_EQ(setxattr((src + "/sg/f").c_str(), "user.a", "1", 1, 0), 0);
  ASSERT_EQ(setxattr((src + "/sg/f").c_str(), "trusted.t", "22", 2, 0), 0);
  const std::string big(3000, 'v');  // ext4 keeps one block of xattrs per inode
  ASSERT_EQ(setxattr((src + "/sg/sub").c_str(), "user.big", big.data(), big.size(), 0), 0);
  ASSERT_EQ(symlink("f", (src + "/sg/ln").c_str()), 0);
  ASSERT_EQ(lsetxattr((src + "/sg/ln").c_str(), "trusted.s", "3", 1, 0), 0);
  ASSERT_EQ(link((src + "/sg/ln").c_str(), (src + "/ln2").c_str()), 0);

  BerthJson({"project", "create", "owners"});
  json report = BerthJson({"import", "owners", src});
  EXPECT_EQ(report["hard_links"], 1);
  const std::string mnt = BerthJson({"mount", "owners"})["mountpoint"];
  auto xattrs = [](const std::string& path) {
    std::map<std::string, std::string> out;
    char names[4096];
    const ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
    EXPECT_GE(n, 0) << path;
    for (ssize_t at = 0; at < n;) {
      const std::string name(names + at);
      at += static_cast<ssize_t>(name.size()) + 1;
      std::string value(65536, '\0');
      const ssize_t len = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      EXPECT_GE(len, 0) << path << " " << name;
      value.resize(static_cast<size_t>(std::max<ssize_t>(len, 0)));
      out[name] = value;
    }
    return out;
  };
  for (const char* rel : {"sg", "sg/f", "sg/sub", "sg/ln", "ln2"}) {
    struct stat a {}, b {};
    ASSERT_EQ(lstat((src + "/" + rel).c_str(), &a), 0) << rel;
    ASSERT_EQ(lstat((mnt + "/" + rel).c_str(), &b), 0) << rel;
    EXPECT_EQ(b.st_mode, a.st_mode) << rel;
    EXPECT_EQ(b.st_uid, a.st_uid) << rel;
    EXPECT_EQ(b.st_gid, a.st_gid) << rel;
    EXPECT_EQ(b.st_nlink, a.st_nlink) << rel;
    EXPECT_EQ(xattrs(mnt + "/" + rel), xattrs(src + "/" + rel)) << rel;
  }
  EXPECT_EQ(xattrs(mnt + "/sg/f").at("trusted.t"), "22");
  EXPECT_EQ(xattrs(mnt + "/sg/sub").at("user.big"), big);
  struct stat l1 {}, l2 {};
  ASSERT_EQ(lstat((mnt + "/sg/ln").c_str(), &l1), 0);
  ASSERT_EQ(lstat((mnt + "/ln2").c_str(), &l2), 0);
  EXPECT_EQ(l1.st_ino, l2.st_ino);
}

// A sparse file's holes are skipped, not read: an 8 TiB file with data at both ends imports at
// once (reading the hole would take hours, past the test's timeout) and reads back exactly.
TEST_F(DaemonLifecycleTest, ImportSkipsTheHolesOfASparseFile) {
  const std::string src = dir_.Sub("src");
  std::filesystem::create_directories(src);
  constexpr off_t kTail = off_t{8} << 40;
  {
    const int fd = open((src + "/disk.img").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, "head", 4, 0), 4);
    ASSERT_EQ(pwrite(fd, "tail", 4, kTail), 4);
    close(fd);
  }
  BerthJson({"project", "create", "sparse"});
  json report = BerthJson({"import", "sparse", src});
  EXPECT_EQ(report["bytes"], kTail + 4);
  const std::string mnt = BerthJson({"mount", "sparse"})["mountpoint"];
  const int fd = open((mnt + "/disk.img").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, kTail + 4);
  char buf[4];
  ASSERT_EQ(pread(fd, buf, 4, 0), 4);
  EXPECT_EQ(std::string(buf, 4), "head");
  ASSERT_EQ(pread(fd, buf, 4, kTail), 4);
  EXPECT_EQ(std::string(buf, 4), "tail");
  ASSERT_EQ(pread(fd, buf, 4, kTail / 2), 4);
  EXPECT_EQ(std::string(buf, 4), std::string(4, '\0'));
  // The hole stays a hole: the next data after the head is the tail's chunk.
  const off_t data = lseek(fd, 1 << 20, SEEK_DATA);
  EXPECT_GT(data, kTail / 2);
  EXPECT_LE(data, kTail);
  close(fd);
  EXPECT_LT(BerthJson({"project", "list"})[0]["usage"]["bytes"].get<uint64_t>(), 1u << 20);
}

// The quota holds during an import: the import stops with EDQUOT, what fit is there, and the
// usage counters say exactly that.
TEST_F(DaemonLifecycleTest, ImportStopsAtTheQuota) {
  const std::string src = dir_.Sub("src");
  std::filesystem::create_directories(src);
  for (int i = 0; i < 10; ++i) WriteRandom(src + "/f" + std::to_string(i), 100000, 10 + i);
  BerthJson({"project", "create", "eta", "--inodes", "4"});
  CommandResult refused = Berth({"import", "eta", src});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("quota"), std::string::npos) << refused.err;
  BerthJson({"project", "create", "theta", "--quota", "250000"});
  EXPECT_EQ(Berth({"import", "theta", src}).exit_code, 1);

  json list = BerthJson({"project", "list"});
  ASSERT_EQ(list.size(), 2u);
  for (const json& p : list) {
    const std::string mnt = BerthJson({"mount", p["name"]})["mountpoint"];
    const auto entries = std::distance(std::filesystem::directory_iterator(mnt), {});
    if (p["name"] == "eta") {
      EXPECT_EQ(p["usage"]["inodes"], 4);
      EXPECT_EQ(entries, 3);
    } else {
      EXPECT_EQ(p["usage"]["inodes"], 3);
      EXPECT_EQ(p["usage"]["bytes"], 200000);
      EXPECT_EQ(entries, 2);
    }
    for (const auto& e : std::filesystem::directory_iterator(mnt)) {
      EXPECT_EQ(std::filesystem::file_size(e.path()), 100000u) << e.path();
    }
  }
}

}  // namespace
}  // namespace berth
