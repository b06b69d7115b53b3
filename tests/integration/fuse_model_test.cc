// A randomized model test: the same long random sequence of system calls applied to a berth mount
// and to a native directory (ext4) in lockstep. Every call must have the same outcome (return value
// and errno) on both, and every ~1000 operations the two trees must be equal: names, types, modes,
// sizes, link counts, symlink targets, contents, xattrs, and hard-link groups.
//
// The seed is fixed and printed; BERTH_MODEL_SEED=<n> replays another sequence and
// BERTH_MODEL_OPS=<n> changes the number of operations. On the first divergence the test stops
// and prints the operations that led to it.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

constexpr uint64_t kDefaultSeed = 20241125;
constexpr long kDefaultOps = 100000;
constexpr long kBatch = 1000;
constexpr off_t kMaxFileSize = 300 << 10;
constexpr size_t kMaxOpenPairs = 4;
constexpr size_t kHistory = 60;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

long Renameat2(const std::string& from, const std::string& to, unsigned flags) {
  return syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags);
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), off);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

// What a walk finds at one path.
struct Entry {
  mode_t mode = 0;
  off_t size = 0;
  nlink_t nlink = 0;
  ino_t ino = 0;
  std::string target;   // symlinks
  std::string content;  // regular files
  std::map<std::string, std::string> xattrs;
};

std::map<std::string, std::string> Xattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  char names[4096];
  ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
  if (n < 0) {
    out["<llistxattr error>"] = strerrorname_np(errno);
    return out;
  }
  for (ssize_t i = 0; i < n;) {
    const std::string name(names + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    char value[4096];
    ssize_t v = lgetxattr(path.c_str(), name.c_str(), value, sizeof(value));
    out[name] = v < 0 ? std::string("<error ") + strerrorname_np(errno) + ">"
                      : std::string(value, static_cast<size_t>(v));
  }
  return out;
}

void Walk(const std::string& root, const std::string& rel, std::map<std::string, Entry>* out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    (*out)[rel + "/<opendir error>"].target = strerrorname_np(errno);
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  for (const std::string& name : names) {
    const std::string r = rel.empty() ? name : rel + "/" + name;
    const std::string path = root + "/" + r;
    struct stat st;
    Entry& entry = (*out)[r];
    if (lstat(path.c_str(), &st) != 0) {
      entry.target = std::string("<lstat error ") + strerrorname_np(errno) + ">";
      continue;
    }
    entry.mode = st.st_mode;
    entry.size = S_ISDIR(st.st_mode) ? 0 : st.st_size;  // directory sizes are the fs's own
    entry.nlink = st.st_nlink;
    entry.ino = st.st_ino;
    entry.xattrs = Xattrs(path);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
      entry.target = n < 0 ? "<readlink error>" : std::string(buf, static_cast<size_t>(n));
    } else if (S_ISREG(st.st_mode)) {
      int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW);
      entry.content = fd < 0 ? std::string("<open error ") + strerrorname_np(errno) + ">"
                             : ReadAll(fd);
      if (fd >= 0) close(fd);
    } else if (S_ISDIR(st.st_mode)) {
      Walk(root, r, out);
    }
  }
}

// The names of each path's hard-link group (all non-directory names with its inode), joined.
std::map<std::string, std::string> LinkGroups(const std::map<std::string, Entry>& tree) {
  std::map<ino_t, std::vector<std::string>> by_ino;
  for (const auto& [path, e] : tree) {
    if (!S_ISDIR(e.mode)) by_ino[e.ino].push_back(path);
  }
  std::map<std::string, std::string> out;
  for (const auto& [ino, paths] : by_ino) {
    std::string joined;
    for (const auto& p : paths) joined += p + " ";
    for (const auto& p : paths) out[p] = joined;
  }
  return out;
}

// A value for messages: printable text quoted, anything else by length and first bytes in hex.
std::string Describe(const std::string& s) {
  const bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c >= 32 && c < 127; });
  if (printable && s.size() <= 40) return "\"" + s + "\"";
  std::ostringstream os;
  os << s.size() << " bytes";
  if (!s.empty()) {
    os << " 0x";
    for (size_t i = 0; i < std::min<size_t>(s.size(), 8); ++i) {
      os << "0123456789abcdef"[(s[i] >> 4) & 15] << "0123456789abcdef"[s[i] & 15];
    }
  }
  return os.str();
}

class FuseModelTest : public MountTest {
 protected:
  void TearDown() override {
    for (auto& p : open_) {
      close(p.m);
      close(p.n);
    }
    open_.clear();
    MountTest::TearDown();
  }

  struct OpenPair {
    int m = -1;  // on the mount
    int n = -1;  // native
    std::string path;
    int flags = 0;
  };

  uint64_t R(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return static_cast<int>(R(100)) < percent; }

  // A relative path of 1..3 components from a small pool of names: at most 5+25+125 names exist.
  std::string RandomPath() {
    static const char* kNames[] = {"a", "b", "c", "d", "e"};
    const uint64_t roll = R(10);
    const int depth = roll < 3 ? 1 : roll < 7 ? 2 : 3;
    std::string p;
    for (int i = 0; i < depth; ++i) {
      if (i) p += "/";
      p += kNames[R(5)];
    }
    return p;
  }

  std::string RandomData(size_t n) {
    std::string s(n, '\0');
    switch (R(6)) {
      case 0:  // zeros: berth stores all-zero chunks as holes
        break;
      case 1:
        std::fill(s.begin(), s.end(), static_cast<char>('A' + R(26)));
        break;
      default: {
        uint64_t x = rng_();
        for (size_t i = 0; i < n; ++i) {
          if (i % 8 == 0) x = x * 6364136223846793005ull + 1442695040888963407ull;
          s[i] = static_cast<char>(x >> ((i % 8) * 8));
        }
      }
    }
    return s;
  }

  size_t RandomLength() {
    const uint64_t roll = R(10);
    if (roll < 4) return 1 + R(100);
    if (roll < 7) return 1 + R(8192);
    return 1 + R(64 << 10);
  }

  void Note(const std::string& what) {
    history_.push_back("#" + std::to_string(ops_) + " " + what);
    if (history_.size() > kHistory) history_.pop_front();
  }

  std::string History() const {
    std::ostringstream os;
    os << "seed " << seed_ << "; last operations:\n";
    for (const auto& h : history_) os << "  " << h << "\n";
    return os.str();
  }

  // Records the outcome of one call on both sides; a difference ends the run.
  void Same(const Outcome& on_mount, const Outcome& on_native, const std::string& what) {
    std::ostringstream os;
    os << what << " -> " << on_native;
    Note(os.str());
    if (on_mount != on_native) {
      diverged_ = true;
      ADD_FAILURE() << "divergence at op " << ops_ << ": " << what << ": berth " << on_mount
                    << ", native " << on_native << "\n"
                    << History();
    }
  }

  template <typename F>
  Outcome Both(F&& op, const std::string& what) {
    const Outcome on_mount = Call(op(mnt()));
    const Outcome on_native = Call(op(native()));
    Same(on_mount, on_native, what);
    return on_native;
  }

  // Open + close, with the fd normalised to 0 so outcomes compare.
  static long OpenClose(const std::string& path, int flags, mode_t mode) {
    int fd = open(path.c_str(), flags, mode);
    if (fd < 0) return -1;
    close(fd);
    return 0;
  }

  void OpCreate() {
    const std::string p = RandomPath();
    int flags = O_CREAT | O_WRONLY;
    if (Chance(25)) flags |= O_EXCL;
    if (Chance(25)) flags |= O_TRUNC;
    const mode_t mode = Chance(80) ? 0644 : 0600;
    Both([&](const std::string& r) { return OpenClose(r + "/" + p, flags, mode); },
         "create " + p + " flags " + std::to_string(flags));
  }

  void OpWrite() {
    const std::string p = RandomPath();
    const size_t len = RandomLength();
    const off_t off = static_cast<off_t>(R(kMaxFileSize - len));
    const std::string data = RandomData(len);
    const bool append = Chance(10);
    const int flags = O_WRONLY | (append ? O_APPEND : 0) | (Chance(20) ? O_CREAT : 0);
    int fm = open(M(p).c_str(), flags, 0644);
    const Outcome om = Call(fm);
    int fn = open(N(p).c_str(), flags, 0644);
    const Outcome on = Call(fn);
    Same(Outcome{om.ret >= 0 ? 0 : -1, om.err}, Outcome{on.ret >= 0 ? 0 : -1, on.err},
         "open " + p + " for write");
    if (fm >= 0 && fn >= 0) {
      struct stat st;
      // Keep files small: an append to a file near the limit becomes a plain write at 0.
      const bool do_append = append && fstat(fn, &st) == 0 && st.st_size + off_t(len) <= kMaxFileSize;
      if (do_append) {
        const Outcome wm = Call(write(fm, data.data(), len));
        const Outcome wn = Call(write(fn, data.data(), len));
        Same(wm, wn, "append " + std::to_string(len) + " to " + p);
      } else {
        const Outcome wm = Call(pwrite(fm, data.data(), len, append ? 0 : off));
        const Outcome wn = Call(pwrite(fn, data.data(), len, append ? 0 : off));
        Same(wm, wn,
             "pwrite " + p + " off " + std::to_string(append ? 0 : off) + " len " +
                 std::to_string(len));
      }
      if (Chance(5)) {
        Same(Call(fsync(fm)), Call(fsync(fn)), "fsync " + p);
      }
    }
    if (fm >= 0) {
      const Outcome cm = Call(close(fm));
      if (fn >= 0) Same(cm, Call(close(fn)), "close " + p);
    } else if (fn >= 0) {
      close(fn);
    }
  }

  void OpReadCheck() {
    const std::string p = RandomPath();
    int fm = open(M(p).c_str(), O_RDONLY);
    const Outcome om = Call(fm);
    int fn = open(N(p).c_str(), O_RDONLY);
    const Outcome on = Call(fn);
    Same(Outcome{om.ret >= 0 ? 0 : -1, om.err}, Outcome{on.ret >= 0 ? 0 : -1, on.err},
         "open " + p + " for read");
    if (fm >= 0 && fn >= 0) CompareRead(fm, fn, p);
    if (fm >= 0) close(fm);
    if (fn >= 0) close(fn);
  }

  void CompareRead(int fm, int fn, const std::string& p) {
    const size_t len = 1 + R(80 << 10);
    const off_t off = static_cast<off_t>(R(kMaxFileSize + 1000));
    std::string bm(len, '\0'), bn(len, '\0');
    const Outcome rm = Call(pread(fm, bm.data(), len, off));
    const Outcome rn = Call(pread(fn, bn.data(), len, off));
    Same(rm, rn, "pread " + p + " off " + std::to_string(off) + " len " + std::to_string(len));
    if (!diverged_ && rn.ret > 0 && bm.compare(0, rn.ret, bn, 0, rn.ret) != 0) {
      size_t first = 0;
      while (bm[first] == bn[first]) ++first;
      diverged_ = true;
      ADD_FAILURE() << "read of " << p << " at " << off << " differs first at byte "
                    << off + static_cast<off_t>(first) << "\n"
                    << History();
    }
  }

  void OpTruncate() {
    const std::string p = RandomPath();
    const off_t size = Chance(30) ? 0 : static_cast<off_t>(R(kMaxFileSize));
    Both([&](const std::string& r) { return truncate((r + "/" + p).c_str(), size); },
         "truncate " + p + " " + std::to_string(size));
  }

  void OpRename() {
    const std::string a = RandomPath(), b = RandomPath();
    const uint64_t roll = R(10);
    const unsigned flags = roll < 7 ? 0 : roll < 9 ? RENAME_NOREPLACE : RENAME_EXCHANGE;
    Both([&](const std::string& r) { return Renameat2(r + "/" + a, r + "/" + b, flags); },
         "rename " + a + " " + b + " flags " + std::to_string(flags));
  }

  void OpLink() {
    const std::string a = RandomPath(), b = RandomPath();
    Both([&](const std::string& r) { return link((r + "/" + a).c_str(), (r + "/" + b).c_str()); },
         "link " + a + " " + b);
  }

  void OpUnlink() {
    const std::string p = RandomPath();
    Both([&](const std::string& r) { return unlink((r + "/" + p).c_str()); }, "unlink " + p);
  }

  void OpMkdir() {
    const std::string p = RandomPath();
    const mode_t mode = Chance(80) ? 0755 : 0700;
    Both([&](const std::string& r) { return mkdir((r + "/" + p).c_str(), mode); }, "mkdir " + p);
  }

  void OpRmdir() {
    const std::string p = RandomPath();
    Both([&](const std::string& r) { return rmdir((r + "/" + p).c_str()); }, "rmdir " + p);
  }

  void OpChmod() {
    static const mode_t kModes[] = {0644, 0755, 0600, 0, 0777, 04755, 02755, 01777, 0444, 0700};
    const std::string p = RandomPath();
    const mode_t mode = kModes[R(10)];
    Both([&](const std::string& r) { return chmod((r + "/" + p).c_str(), mode); },
         "chmod " + p + " " + std::to_string(mode));
  }

  void OpSetXattr() {
    static const char* kXattrs[] = {"user.a", "user.b", "user.long.name.c"};
    const std::string p = RandomPath();
    const char* name = kXattrs[R(3)];
    const std::string value = RandomData(R(65));
    const int flags = Chance(60) ? 0 : Chance(50) ? XATTR_CREATE : XATTR_REPLACE;
    const bool follow = Chance(85);
    Both(
        [&](const std::string& r) {
          const std::string path = r + "/" + p;
          return follow ? setxattr(path.c_str(), name, value.data(), value.size(), flags)
                        : lsetxattr(path.c_str(), name, value.data(), value.size(), flags);
        },
        std::string(follow ? "setxattr " : "lsetxattr ") + p + " " + name + " " +
            Describe(value) + " flags " + std::to_string(flags));
  }

  void OpRemoveXattr() {
    static const char* kXattrs[] = {"user.a", "user.b", "user.long.name.c"};
    const std::string p = RandomPath();
    const char* name = kXattrs[R(3)];
    Both([&](const std::string& r) { return removexattr((r + "/" + p).c_str(), name); },
         "removexattr " + p + " " + name);
  }

  void OpGetXattr() {
    static const char* kXattrs[] = {"user.a", "user.b", "user.long.name.c"};
    const std::string p = RandomPath();
    const char* name = kXattrs[R(3)];
    const size_t size = Chance(20) ? 0 : Chance(20) ? 3 : 256;  // 0 asks for the size; 3 may ERANGE
    char bm[256], bn[256];
    const Outcome om = Call(getxattr(M(p).c_str(), name, bm, size));
    const Outcome on = Call(getxattr(N(p).c_str(), name, bn, size));
    Same(om, on, "getxattr " + p + " " + name + " size " + std::to_string(size));
    if (!diverged_ && size > 0 && on.ret > 0 && std::memcmp(bm, bn, on.ret) != 0) {
      diverged_ = true;
      ADD_FAILURE() << "xattr value differs " << p << " " << name << "\n" << History();
    }
  }

  void OpSymlink() {
    static const char* kTargets[] = {"a", "b", "c/d", "d/e/a", ".", "zz", "a/", "e/b"};
    const std::string p = RandomPath();
    const char* target = kTargets[R(8)];
    Both([&](const std::string& r) { return symlink(target, (r + "/" + p).c_str()); },
         "symlink " + std::string(target) + " " + p);
  }

  void OpStat() {
    const std::string p = RandomPath();
    struct stat a{}, b{};
    const bool follow = Chance(50);
    const Outcome om = Call(follow ? stat(M(p).c_str(), &a) : lstat(M(p).c_str(), &a));
    const Outcome on = Call(follow ? stat(N(p).c_str(), &b) : lstat(N(p).c_str(), &b));
    Same(om, on, std::string(follow ? "stat " : "lstat ") + p);
    if (!diverged_ && on.ret == 0) {
      const bool dir = S_ISDIR(b.st_mode);
      if (a.st_mode != b.st_mode || a.st_nlink != b.st_nlink ||
          (!dir && a.st_size != b.st_size)) {
        diverged_ = true;
        ADD_FAILURE() << "stat " << p << " differs: mode " << std::oct << a.st_mode << " vs "
                      << b.st_mode << std::dec << ", nlink " << a.st_nlink << " vs "
                      << b.st_nlink << ", size " << a.st_size << " vs " << b.st_size << "\n"
                      << History();
      }
    }
  }

  // Descriptors kept open across other operations: writes to renamed and unlinked files.
  void OpFdOpen() {
    if (open_.size() >= kMaxOpenPairs) return OpFdClose();
    const std::string p = RandomPath();
    static const int kFlags[] = {O_RDWR, O_RDONLY, O_WRONLY, O_RDWR | O_APPEND, O_RDWR | O_CREAT};
    const int flags = kFlags[R(5)];
    int fm = open(M(p).c_str(), flags, 0644);
    const Outcome om = Call(fm);
    int fn = open(N(p).c_str(), flags, 0644);
    const Outcome on = Call(fn);
    Same(Outcome{om.ret >= 0 ? 0 : -1, om.err}, Outcome{on.ret >= 0 ? 0 : -1, on.err},
         "keep open " + p + " flags " + std::to_string(flags) + " as #" +
             std::to_string(open_.size()));
    if (fm >= 0 && fn >= 0) {
      open_.push_back(OpenPair{fm, fn, p, flags});
    } else {
      if (fm >= 0) close(fm);
      if (fn >= 0) close(fn);
    }
  }

  void OpFdClose() {
    if (open_.empty()) return;
    const size_t i = R(open_.size());
    const OpenPair p = open_[i];
    open_.erase(open_.begin() + static_cast<long>(i));
    Same(Call(close(p.m)), Call(close(p.n)), "close kept #" + std::to_string(i) + " " + p.path);
  }

  void OpFdIo() {
    if (open_.empty()) return OpFdOpen();
    const size_t i = R(open_.size());
    const OpenPair& p = open_[i];
    const std::string what = " kept #" + std::to_string(i) + " (" + p.path + ")";
    const uint64_t roll = R(10);
    if (roll < 5) {
      const size_t len = RandomLength();
      const off_t off = static_cast<off_t>(R(kMaxFileSize - len));
      const std::string data = RandomData(len);
      struct stat st;
      if ((p.flags & O_APPEND) && fstat(p.n, &st) == 0 &&
          st.st_size + static_cast<off_t>(len) > kMaxFileSize) {
        Same(Call(ftruncate(p.m, 0)), Call(ftruncate(p.n, 0)), "ftruncate 0" + what);
      }
      Same(Call(pwrite(p.m, data.data(), len, off)), Call(pwrite(p.n, data.data(), len, off)),
           "pwrite" + what + " off " + std::to_string(off) + " len " + std::to_string(len));
    } else if (roll < 7) {
      CompareRead(p.m, p.n, what);
    } else if (roll < 8) {
      const off_t size = static_cast<off_t>(R(kMaxFileSize));
      Same(Call(ftruncate(p.m, size)), Call(ftruncate(p.n, size)),
           "ftruncate" + what + " " + std::to_string(size));
    } else if (roll < 9) {
      Same(Call(fsync(p.m)), Call(fsync(p.n)), "fsync" + what);
    } else {
      struct stat a{}, b{};
      Same(Call(fstat(p.m, &a)), Call(fstat(p.n, &b)), "fstat" + what);
      const bool dir = S_ISDIR(b.st_mode);  // directory sizes are the fs's own
      if (!diverged_ && ((!dir && a.st_size != b.st_size) || a.st_nlink != b.st_nlink ||
                         a.st_mode != b.st_mode)) {
        diverged_ = true;
        ADD_FAILURE() << "fstat" << what << " differs: size " << a.st_size << " vs "
                      << b.st_size << ", nlink " << a.st_nlink << " vs " << b.st_nlink
                      << ", mode " << std::oct << a.st_mode << " vs " << b.st_mode << "\n"
                      << History();
      }
    }
  }

  void OneOp() {
    const uint64_t roll = R(100);
    if (roll < 10) return OpCreate();
    if (roll < 22) return OpWrite();
    if (roll < 26) return OpReadCheck();
    if (roll < 31) return OpTruncate();
    if (roll < 41) return OpRename();
    if (roll < 47) return OpLink();
    if (roll < 52) return OpUnlink();
    if (roll < 61) return OpMkdir();
    if (roll < 64) return OpRmdir();
    if (roll < 68) return OpChmod();
    if (roll < 72) return OpSetXattr();
    if (roll < 74) return OpRemoveXattr();
    if (roll < 76) return OpGetXattr();
    if (roll < 81) return OpSymlink();
    if (roll < 85) return OpStat();
    if (roll < 88) return OpFdOpen();
    if (roll < 90) return OpFdClose();
    return OpFdIo();
  }

  // Walks both trees and reports every difference (up to a limit).
  void CompareTrees() {
    std::map<std::string, Entry> m, n;
    Walk(mnt(), "", &m);
    Walk(native(), "", &n);
    std::vector<std::string> diffs;
    auto diff = [&](const std::string& s) {
      if (diffs.size() < 20) diffs.push_back(s);
    };
    for (const auto& [path, e] : n) {
      if (!m.count(path)) diff("missing on berth: " + path);
    }
    for (const auto& [path, e] : m) {
      if (!n.count(path)) diff("only on berth: " + path);
    }
    const auto gm = LinkGroups(m), gn = LinkGroups(n);
    for (const auto& [path, b] : n) {
      auto it = m.find(path);
      if (it == m.end()) continue;
      const Entry& a = it->second;
      std::ostringstream os;
      if (a.mode != b.mode) os << " mode " << std::oct << a.mode << " vs " << b.mode << std::dec;
      if (a.size != b.size) os << " size " << a.size << " vs " << b.size;
      if (a.nlink != b.nlink) os << " nlink " << a.nlink << " vs " << b.nlink;
      if (a.target != b.target) os << " target " << a.target << " vs " << b.target;
      if (a.content != b.content) {
        size_t first = 0;
        while (first < a.content.size() && first < b.content.size() &&
               a.content[first] == b.content[first]) {
          ++first;
        }
        os << " content differs from byte " << first << " (" << a.content.size() << " vs "
           << b.content.size() << " bytes)";
      }
      if (a.xattrs != b.xattrs) {
        os << " xattrs {";
        for (const auto& [k, v] : a.xattrs) os << k << "=" << Describe(v) << " ";
        os << "} vs {";
        for (const auto& [k, v] : b.xattrs) os << k << "=" << Describe(v) << " ";
        os << "}";
      }
      if (!S_ISDIR(b.mode) && gm.count(path) && gn.count(path) && gm.at(path) != gn.at(path)) {
        os << " hard-link group {" << gm.at(path) << "} vs {" << gn.at(path) << "}";
      }
      if (!os.str().empty()) diff(path + ":" + os.str());
    }
    if (!diffs.empty()) {
      diverged_ = true;
      std::ostringstream os;
      for (const auto& d : diffs) os << "  " << d << "\n";
      ADD_FAILURE() << "trees differ after op " << ops_ << " (berth vs native):\n"
                    << os.str() << History();
    }
    names_seen_max_ = std::max(names_seen_max_, n.size());
    if (!diverged_) Prune(n);
  }

  // Renames move subtrees deeper and symlinks let mkdir reach past the 3 levels RandomPath
  // names: unlink/rmdir (on both sides, outcomes compared) everything deeper than that, then
  // random entries, deepest first, until at most kMaxNames remain.
  void Prune(const std::map<std::string, Entry>& native_tree) {
    constexpr size_t kMaxNames = 200;
    std::vector<std::pair<std::string, bool>> doomed;  // path, is a directory
    std::vector<std::pair<std::string, bool>> rest;
    for (const auto& [path, e] : native_tree) {
      const bool deep = std::count(path.begin(), path.end(), '/') >= 3;
      (deep ? doomed : rest).emplace_back(path, S_ISDIR(e.mode));
    }
    std::shuffle(rest.begin(), rest.end(), rng_);
    std::set<std::string> gone;
    for (const auto& d : doomed) gone.insert(d.first);
    size_t remaining = rest.size();
    for (const auto& [path, dir] : rest) {
      if (remaining <= kMaxNames * 3 / 4) break;
      if (gone.count(path)) continue;
      doomed.emplace_back(path, dir);
      gone.insert(path);
      --remaining;
      for (const auto& [other, e] : native_tree) {  // its subtree goes with it
        if (other.size() > path.size() && other.compare(0, path.size() + 1, path + "/") == 0 &&
            gone.insert(other).second) {
          doomed.emplace_back(other, S_ISDIR(e.mode));
          --remaining;
        }
      }
    }
    std::sort(doomed.begin(), doomed.end(), [](const auto& a, const auto& b) {
      return std::count(a.first.begin(), a.first.end(), '/') >
             std::count(b.first.begin(), b.first.end(), '/');
    });
    for (const auto& [path, dir] : doomed) {
      if (diverged_) return;
      if (dir) {
        Both([&](const std::string& r) { return rmdir((r + "/" + path).c_str()); },
             "prune: rmdir " + path);
      } else {
        Both([&](const std::string& r) { return unlink((r + "/" + path).c_str()); },
             "prune: unlink " + path);
      }
    }
  }

  std::mt19937_64 rng_;
  uint64_t seed_ = 0;
  long ops_ = 0;
  bool diverged_ = false;
  std::deque<std::string> history_;
  std::vector<OpenPair> open_;
  size_t names_seen_max_ = 0;
};

TEST_F(FuseModelTest, RandomOperationsMatchNativeCallByCallAndTreeByTree) {
  seed_ = EnvOr("BERTH_MODEL_SEED", kDefaultSeed);
  const long total = static_cast<long>(EnvOr("BERTH_MODEL_OPS", kDefaultOps));
  rng_.seed(seed_);
  umask(022);
  std::cout << "[ model    ] seed " << seed_ << " (BERTH_MODEL_SEED), " << total
            << " operations (BERTH_MODEL_OPS)" << std::endl;
  const auto start = std::chrono::steady_clock::now();
  for (ops_ = 1; ops_ <= total && !diverged_; ++ops_) {
    OneOp();
    if (ops_ % kBatch == 0 && !diverged_) CompareTrees();
  }
  --ops_;
  for (auto& p : open_) {
    if (!diverged_) Same(Call(close(p.m)), Call(close(p.n)), "final close " + p.path);
  }
  open_.clear();
  if (!diverged_) CompareTrees();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ model    ] " << ops_ << " operations in " << seconds << " s ("
            << static_cast<long>(ops_ / std::max(seconds, 1e-9)) << " ops/s), at most "
            << names_seen_max_ << " names at a checkpoint" << std::endl;
  EXPECT_GE(ops_, total);
}

}  // namespace
}  // namespace berth::testing
