#ifndef BERTH_TESTS_SNAPSHOT_NATIVE_TREE_H_
#define BERTH_TESTS_SNAPSHOT_NATIVE_TREE_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "snapshot/snapshot_reader.h"
#include "tests/testing/temp_dir.h"

namespace berth::snapshot {

// Helpers over native directories for snapshot tests: build a varied tree, and compare a
// snapshot tree with a directory, name by name.

inline void WriteBytes(const std::string& path, const Bytes& data, mode_t mode = 0644) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

inline Bytes ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), {});
}

// True when the filesystem under `dir` keeps user xattrs.
inline bool UserXattrsWork(const std::string& dir) {
  std::string probe = dir + "/.xattr-probe";
  WriteBytes(probe, {});
  bool ok = ::setxattr(probe.c_str(), "user.probe", "1", 1, 0) == 0;
  ::unlink(probe.c_str());
  return ok;
}

// A tree with every kind of entry: nested directories, empty, small, large and sparse files,
// hard links, symlinks, a fifo, odd permissions and times, xattrs where the filesystem has them.
inline void MakeVariedTree(const std::string& root) {
  using berth::testing::RandomBytes;
  using berth::testing::TextBytes;
  ASSERT_EQ(::mkdir((root + "/src").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root + "/src/lib").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((root + "/empty-dir").c_str(), 0555), 0);
  WriteBytes(root + "/src/main.c", TextBytes(20000, 1));
  WriteBytes(root + "/src/lib/blob.bin", RandomBytes(3 << 20, 2));
  WriteBytes(root + "/empty", {});
  WriteBytes(root + "/run.sh", TextBytes(100, 3), 0755);
  ASSERT_EQ(::chmod((root + "/run.sh").c_str(), 04755), 0);
  // Sparse: 8 MiB with 64 KiB of data at 1 MiB and 4 KiB at the very end.
  int fd = ::open((root + "/sparse.img").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 8 << 20), 0);
  Bytes mid = RandomBytes(65536, 4), end = RandomBytes(4096, 5);
  ASSERT_EQ(::pwrite(fd, mid.data(), mid.size(), 1 << 20), 65536);
  ASSERT_EQ(::pwrite(fd, end.data(), end.size(), (8 << 20) - 4096), 4096);
  ::close(fd);
  ASSERT_EQ(::link((root + "/src/main.c").c_str(), (root + "/main-link.c").c_str()), 0);
  ASSERT_EQ(::symlink("src/main.c", (root + "/link").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent/target", (root + "/src/dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0640), 0);
  WriteBytes(root + "/src/\xff odd name", TextBytes(10, 6));
  struct timespec times[2] = {{1000, 5}, {1'600'000'000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (root + "/src/main.c").c_str(), times, 0), 0);
  if (UserXattrsWork(root)) {
    ASSERT_EQ(::setxattr((root + "/src/main.c").c_str(), "user.origin", "x", 1, 0), 0);
    std::string big(4000, 'v');
    ASSERT_EQ(::setxattr((root + "/src").c_str(), "user.big", big.data(), big.size(), 0), 0);
  }
}

inline std::vector<std::pair<std::string, std::string>> NativeXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  char names[4096];
  ssize_t n = ::llistxattr(path.c_str(), names, sizeof(names));
  for (ssize_t at = 0; at < n;) {
    std::string name(names + at);
    at += static_cast<ssize_t>(name.size()) + 1;
    char value[65536];
    ssize_t v = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof(value));
    if (v >= 0) out.emplace_back(name, std::string(value, static_cast<size_t>(v)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct CompareOptions {
  bool owners = true;       // compare uid and gid
  bool dir_mtimes = false;  // directories' own mtimes change as entries are made; off by default
  bool link_groups = true;  // a link group means nlink > 1 (not so for part of a tree)
};

// Checks that snapshot directory `tree` (a tree id) holds exactly native directory `dir`.
inline void ExpectSameAsDirectory(const SnapshotReader& reader, const storage::ChunkId& tree,
                                  const std::string& dir, const CompareOptions& options = {}) {
  auto object = reader.Tree(tree, dir);
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  std::vector<std::string> native;
  for (const auto& de : std::filesystem::directory_iterator(dir)) {
    native.push_back(de.path().filename().string());
  }
  std::sort(native.begin(), native.end());
  std::vector<std::string> snap;
  for (const TreeEntry& e : object->entries) snap.push_back(e.name);
  ASSERT_EQ(snap, native) << dir;
  for (const TreeEntry& e : object->entries) {
    const std::string path = dir + "/" + e.name;
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(e.mode(), st.st_mode) << path;
    if (options.owners) {
      EXPECT_EQ(e.uid, st.st_uid) << path;
      EXPECT_EQ(e.gid, st.st_gid) << path;
    }
    if (!S_ISDIR(st.st_mode) || options.dir_mtimes) {
      EXPECT_EQ(e.mtime_ns, st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec) << path;
    }
    EXPECT_EQ(e.xattrs, NativeXattrs(path)) << path;
    if (options.link_groups) {
      EXPECT_EQ(e.link_group != 0, !S_ISDIR(st.st_mode) && st.st_nlink > 1) << path;
    }
    if (S_ISREG(st.st_mode)) {
      EXPECT_EQ(e.size, static_cast<uint64_t>(st.st_size)) << path;
      auto content = reader.ReadFile(e, 0, e.size);
      ASSERT_TRUE(content.ok()) << content.status().ToString();
      EXPECT_TRUE(*content == ReadBytes(path)) << path;
    } else if (S_ISLNK(st.st_mode)) {
      char target[4097];
      ssize_t n = ::readlink(path.c_str(), target, sizeof(target));
      EXPECT_EQ(e.target, std::string(target, static_cast<size_t>(std::max<ssize_t>(n, 0))));
    } else if (S_ISDIR(st.st_mode)) {
      ExpectSameAsDirectory(reader, e.subtree, path, options);
    }
  }
}

}  // namespace berth::snapshot

#endif  // BERTH_TESTS_SNAPSHOT_NATIVE_TREE_H_
