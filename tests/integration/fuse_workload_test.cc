// Real workloads on a berth mount: unpacking the Linux source tarball (compared file by file with
// the same tarball unpacked natively) and a git repository's everyday life.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/mount_fixture.h"
#include "tests/testing/subprocess.h"

namespace berth::testing {
namespace {

constexpr char kKernelTarball[] = "/usr/src/linux-source-6.1.tar.xz";

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::string> SortedNames(const std::string& dir, int* err) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    *err = errno;
    return names;
  }
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Compares two trees entry by entry: names, type, mode, owner, size, link count, mtime, symlink
// targets and every byte of every regular file. Collects up to 30 differences.
class TreeComparer {
 public:
  // Mtimes at or after `restored_before` (the start of the unpacking) are not compared.
  explicit TreeComparer(time_t restored_before) : restored_before_(restored_before) {}

  struct Counts {
    uint64_t files = 0, dirs = 0, symlinks = 0, bytes = 0;
  };

  void Compare(const std::string& a, const std::string& b, const std::string& rel) {
    int err_a = 0, err_b = 0;
    const auto names_a = SortedNames(a + rel, &err_a);
    const auto names_b = SortedNames(b + rel, &err_b);
    if (err_a || err_b) {
      Diff(rel + ": opendir " + std::to_string(err_a) + " vs " + std::to_string(err_b));
      return;
    }
    if (names_a != names_b) {
      std::vector<std::string> only_a, only_b;
      std::set_difference(names_a.begin(), names_a.end(), names_b.begin(), names_b.end(),
                          std::back_inserter(only_a));
      std::set_difference(names_b.begin(), names_b.end(), names_a.begin(), names_a.end(),
                          std::back_inserter(only_b));
      for (const auto& n : only_a) Diff(rel + "/" + n + ": only on berth");
      for (const auto& n : only_b) Diff(rel + "/" + n + ": missing on berth");
    }
    for (const std::string& name : names_b) {
      if (!std::binary_search(names_a.begin(), names_a.end(), name)) continue;
      const std::string r = rel + "/" + name;
      struct stat sa, sb;
      if (lstat((a + r).c_str(), &sa) != 0 || lstat((b + r).c_str(), &sb) != 0) {
        Diff(r + ": lstat failed: " + strerror(errno));
        continue;
      }
      std::ostringstream os;
      if (sa.st_mode != sb.st_mode) os << " mode " << std::oct << sa.st_mode << " vs " << sb.st_mode << std::dec;
      if (sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid) os << " owner";
      if (!S_ISDIR(sb.st_mode) && sa.st_size != sb.st_size) {
        os << " size " << sa.st_size << " vs " << sb.st_size;
      }
      if (sa.st_nlink != sb.st_nlink) os << " nlink " << sa.st_nlink << " vs " << sb.st_nlink;
      // Only times tar restored from the archive: entries it made implicitly carry the time of
      // each unpacking, which differs between the two.
      if (!S_ISLNK(sb.st_mode) && sb.st_mtim.tv_sec < restored_before_ &&
          (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
                                   sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)) {
        // Reported apart, so that one systematic time difference hides no other difference.
        if (S_ISDIR(sb.st_mode)) ++mtime_dir_diffs_;
        if (mtime_diffs_++ < 5 || (S_ISDIR(sb.st_mode) && mtime_dir_diffs_ <= 3)) {
          Diff(r + ": mtime " + std::to_string(sa.st_mtim.tv_sec) + "." +
               std::to_string(sa.st_mtim.tv_nsec) + " vs " + std::to_string(sb.st_mtim.tv_sec) +
               "." + std::to_string(sb.st_mtim.tv_nsec) + " (" + (S_ISDIR(sb.st_mode) ? "dir" : "file") + ")");
        }
      }
      if (S_ISLNK(sb.st_mode)) {
        ++counts_.symlinks;
        char ta[4096], tb[4096];
        ssize_t na = readlink((a + r).c_str(), ta, sizeof(ta));
        ssize_t nb = readlink((b + r).c_str(), tb, sizeof(tb));
        if (na != nb || na < 0 || std::memcmp(ta, tb, static_cast<size_t>(na)) != 0) {
          os << " symlink target differs";
        }
      } else if (S_ISREG(sb.st_mode)) {
        ++counts_.files;
        counts_.bytes += static_cast<uint64_t>(sb.st_size);
        if (!SameContent(a + r, b + r)) os << " content differs";
      } else if (S_ISDIR(sb.st_mode)) {
        ++counts_.dirs;
      }
      if (!os.str().empty()) Diff(r + ":" + os.str());
      if (S_ISDIR(sb.st_mode) && S_ISDIR(sa.st_mode)) Compare(a, b, r);
    }
  }

  const std::vector<std::string>& diffs() const { return diffs_; }
  const Counts& counts() const { return counts_; }
  uint64_t mtime_diffs() const { return mtime_diffs_; }
  uint64_t mtime_dir_diffs() const { return mtime_dir_diffs_; }

 private:
  void Diff(const std::string& d) {
    if (diffs_.size() < 30) diffs_.push_back(d);
  }
  bool SameContent(const std::string& pa, const std::string& pb) {
    UniqueFd fa(open(pa.c_str(), O_RDONLY)), fb(open(pb.c_str(), O_RDONLY));
    if (!fa.valid() || !fb.valid()) return false;
    for (;;) {
      ssize_t na = ReadFull(fa.get(), buf_a_);
      ssize_t nb = ReadFull(fb.get(), buf_b_);
      if (na != nb || na < 0) return false;
      if (na == 0) return true;
      if (std::memcmp(buf_a_.data(), buf_b_.data(), static_cast<size_t>(na)) != 0) return false;
    }
  }
  static ssize_t ReadFull(int fd, std::vector<char>& buf) {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = read(fd, buf.data() + done, buf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(done);
  }

  std::vector<char> buf_a_ = std::vector<char>(1 << 20), buf_b_ = std::vector<char>(1 << 20);
  std::vector<std::string> diffs_;
  Counts counts_;
  const time_t restored_before_;
  uint64_t mtime_diffs_ = 0;
  uint64_t mtime_dir_diffs_ = 0;
};

using FuseWorkloadTest = MountTest;

TEST_F(FuseWorkloadTest, LinuxSourceTarballUnpacksIdenticallyToNative) {
  if (access(kKernelTarball, R_OK) != 0) {
    GTEST_SKIP() << kKernelTarball << " is absent (apt-get install linux-source-6.1)";
  }
  // Unpack natively in parallel: the mount's tar is bound by the FUSE round trips, the native
  // one by xz.
  const time_t unpack_start = time(nullptr);
  CommandResult native_tar;
  std::thread native_unpack([&] {
    native_tar = RunCommand({"/usr/bin/tar", "xf", kKernelTarball, "-C", native()});
  });
  const auto start = std::chrono::steady_clock::now();
  const CommandResult tar = RunCommand({"/usr/bin/tar", "xf", kKernelTarball, "-C", mnt()});
  const double untar_s = SecondsSince(start);
  native_unpack.join();
  ASSERT_EQ(native_tar.exit_code, 0) << native_tar.err;
  EXPECT_EQ(tar.exit_code, 0) << tar.err.substr(0, 4000);

  const auto compare_start = std::chrono::steady_clock::now();
  TreeComparer comparer(unpack_start);
  comparer.Compare(mnt(), native(), "");
  const double compare_s = SecondsSince(compare_start);
  std::ostringstream os;
  for (const auto& d : comparer.diffs()) os << "  " << d << "\n";
  EXPECT_TRUE(comparer.diffs().empty())
      << "berth vs native (" << comparer.mtime_diffs() << " entries with another mtime, "
      << comparer.mtime_dir_diffs() << " of them directories):\n"
      << os.str();
  const auto& c = comparer.counts();
  std::cout << "[ workload ] tar xf into the mount: " << untar_s << " s; compared " << c.files
            << " files (" << (c.bytes >> 20) << " MiB), " << c.dirs << " directories, "
            << c.symlinks << " symlinks in " << compare_s << " s" << std::endl;
  EXPECT_GT(c.files, 70000u);
  EXPECT_GT(c.symlinks, 0u);
  // Usage counts what is stored: every inode (the root too), bytes no more than the apparent size.
  EXPECT_EQ(tree()->usage().inodes, 1 + c.files + c.dirs + c.symlinks);
  EXPECT_LE(tree()->usage().bytes, c.bytes);
}

class FuseGitTest : public MountTest {
 protected:
  void SetUp() override {
    MountTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (access("/usr/bin/git", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/git";
    home_ = M("../home");  // beside the mount, in the fixture's temp dir
    ASSERT_EQ(mkdir(home_.c_str(), 0755), 0);
    const char* old = getenv("HOME");
    if (old) old_home_ = old;
    setenv("HOME", home_.c_str(), 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    repo_ = M("repo");
    ASSERT_EQ(mkdir(repo_.c_str(), 0755), 0);
  }
  void TearDown() override {
    if (!old_home_.empty()) setenv("HOME", old_home_.c_str(), 1);
    unsetenv("GIT_CONFIG_NOSYSTEM");
    MountTest::TearDown();
  }

  CommandResult Git(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/git", "-C", repo_, "-c", "user.name=Berth Test", "-c",
                               "user.email=test@berth.invalid", "-c", "init.defaultBranch=main"});
    return RunCommand(args);
  }
  void Write(const std::string& rel, const std::string& content) {
    std::ofstream out(repo_ + "/" + rel, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << rel;
  }

  std::string home_, old_home_, repo_;
};

TEST_F(FuseGitTest, InitAddCommitStatusDiffLogGcFsck) {
  ASSERT_EQ(Git({"init"}).exit_code, 0);
  ASSERT_EQ(mkdir((repo_ + "/src").c_str(), 0755), 0);
  Write("README", "berth git test\n");
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + " of a larger file\n";
  Write("src/big.txt", big);
  Write("src/main.c", "int main(void) {\n  return 0;\n}\n");
  ASSERT_EQ(symlink("src/main.c", (repo_ + "/main-link").c_str()), 0);
  ASSERT_EQ(chmod((repo_ + "/src/main.c").c_str(), 0755), 0);

  CommandResult r = Git({"add", "."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Git({"commit", "-q", "-m", "first"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Git({"status", "--porcelain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "") << "a fresh commit leaves a clean tree";

  Write("src/main.c", "int main(void) {\n  return 42;\n}\n");
  r = Git({"status", "--porcelain"});
  EXPECT_EQ(r.out, " M src/main.c\n") << r.err;
  r = Git({"diff"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("-  return 0;\n+  return 42;\n"), std::string::npos) << r.out;
  r = Git({"commit", "-q", "-a", "-m", "second"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // A rename and a deletion, then history.
  r = Git({"mv", "README", "README.md"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Git({"rm", "-q", "main-link"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Git({"commit", "-q", "-m", "third"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Git({"log", "--format=%s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "third\nsecond\nfirst\n");
  r = Git({"log", "-p", "-1", "--format=%s", "HEAD~1"});
  EXPECT_NE(r.out.find("+  return 42;"), std::string::npos) << r.out;

  // Packing rewrites objects through temp files, renames and mmap; fsck reads them all back.
  r = Git({"gc", "-q", "--aggressive"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Git({"fsck", "--full", "--strict"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = Git({"status", "--porcelain"});
  EXPECT_EQ(r.out, "") << r.err;
  r = Git({"show", "HEAD~2:src/main.c"});
  EXPECT_EQ(r.out, "int main(void) {\n  return 0;\n}\n");
  r = Git({"checkout", "-q", "HEAD~2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(repo_ + "/src/main.c");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "int main(void) {\n  return 0;\n}\n");
  struct stat st;
  ASSERT_EQ(lstat((repo_ + "/main-link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  r = Git({"status", "--porcelain"});
  EXPECT_EQ(r.out, "") << r.err;
}

}  // namespace
}  // namespace berth::testing
