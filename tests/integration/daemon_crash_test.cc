// `berth serve` under crashes and a full disk: kill -9 in the middle of a stream of writes and
// fsyncs, and a dirty-buffer disk that fills up. After each: what fsync acknowledged is there, no
// file shows bytes nobody wrote, usage counters agree with a walk of the mount, and a deep store
// verify (after a clean SIGTERM stop: the store is locked while the daemon runs) finds nothing.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/daemon_fixture.h"

namespace berth {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::RunCommand;
using testing::Slurp;
using testing::WaitFor;

// Deterministic, never-zero bytes (zero chunks are stored as holes, which would make usage
// differ from the apparent size) that differ between streams (no dedup between files).
uint8_t PatternByte(uint64_t stream, uint64_t offset) {
  uint64_t x = (offset / 8 + 1) * 0x9E3779B97F4A7C15ull ^ (stream + 1) * 0xC2B2AE3D27D4EB4Full;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  const uint8_t b = static_cast<uint8_t>(x >> ((offset % 8) * 8));
  return b == 0 ? 1 : b;
}
std::string Pattern(uint64_t stream, uint64_t offset, size_t length) {
  std::string s(length, '\0');
  for (size_t i = 0; i < length; ++i) s[i] = static_cast<char>(PatternByte(stream, offset + i));
  return s;
}

// Writes all of `data`; returns 0 or the errno of the failing call.
int WriteFile(const std::string& path, const std::string& data, bool fsync_it) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return errno;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      int err = errno;
      close(fd);
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync_it && fsync(fd) != 0) {
    int err = errno;
    close(fd);
    return err;
  }
  return close(fd) == 0 ? 0 : errno;
}

// What a walk of a mounted project finds: distinct inodes (the root included) and file bytes.
struct WalkTotals {
  std::set<ino_t> inodes;
  uint64_t file_bytes = 0;
  uint64_t files = 0;
};
void WalkTree(const std::string& dir, WalkTotals* totals) {
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir << ": " << strerror(errno);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    struct stat st;
    ASSERT_EQ(lstat(path.c_str(), &st), 0) << path;
    const bool first = totals->inodes.insert(st.st_ino).second;
    if (S_ISREG(st.st_mode) && first) {
      totals->file_bytes += static_cast<uint64_t>(st.st_size);
      ++totals->files;
    }
    if (S_ISDIR(st.st_mode)) WalkTree(path, totals);
  }
}

class DaemonCrashTest : public testing::DaemonTest {
 protected:
  void TearDown() override {
    testing::DaemonTest::TearDown();
    if (tmpfs_mounted_) umount2(dirty_dir_.c_str(), MNT_DETACH);
  }

  json ProjectUsage(const std::string& name) {
    json list = BerthJson({"project", "list"});
    for (const auto& p : list) {
      if (p.is_object() && p["name"] == name) return p["usage"];
    }
    ADD_FAILURE() << "no project " << name << " in " << list.dump();
    return json();
  }
  // usage.inodes and usage.bytes against a walk of the mount (files without holes or shared
  // extents, so allocated bytes are the apparent size).
  void ExpectUsageMatchesWalk(const std::string& name, const std::string& mnt) {
    WalkTotals totals;
    struct stat root;
    ASSERT_EQ(stat(mnt.c_str(), &root), 0);
    totals.inodes.insert(root.st_ino);
    WalkTree(mnt, &totals);
    json usage = ProjectUsage(name);
    EXPECT_EQ(usage["inodes"], totals.inodes.size()) << usage.dump();
    EXPECT_EQ(usage["bytes"], totals.file_bytes) << usage.dump() << " (" << totals.files << " files)";
  }
  void ExpectStoreVerifiesDeep() {
    CommandResult r = RunCommand({BERTH_BINARY, "--json", "store", "verify", "--deep",
                                  "--data-dir", data_dir_});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json report = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out << r.err;
    EXPECT_TRUE(report["problems"].empty()) << report.dump();
    EXPECT_GT(report["chunks"].get<uint64_t>(), 0u);
  }

  std::string dirty_dir_ = dir_.Sub("data/dirty");
  bool tmpfs_mounted_ = false;
};

// One writer streams files of 16 MiB, fsyncing every MiB, and now and then replaces a small file
// atomically (write temp, fsync, rename); the daemon is killed with SIGKILL in the middle.
TEST_F(DaemonCrashTest, KillNineDuringWritesKeepsFsyncedDataAndConsistentUsage) {
  StartDaemon(/*commit_interval_ms=*/200);
  BerthJson({"project", "create", "crash"});
  const std::string mnt = BerthJson({"mount", "crash"})["mountpoint"];
  ASSERT_FALSE(mnt.empty());

  // Committed before anything else happens.
  ASSERT_EQ(mkdir((mnt + "/small").c_str(), 0755), 0);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(WriteFile(mnt + "/small/" + std::to_string(i), Pattern(100 + i, 0, 1000 + i * 777),
                        true), 0);
  }
  // An orphan at the time of the crash: unlinked, still open, with committed data.
  int orphan = open((mnt + "/orphan").c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(orphan, 0);
  const std::string orphan_data = Pattern(999, 0, 1 << 20);
  ASSERT_EQ(write(orphan, orphan_data.data(), orphan_data.size()), 1 << 20);
  ASSERT_EQ(fsync(orphan), 0);
  ASSERT_EQ(unlink((mnt + "/orphan").c_str()), 0);

  constexpr uint64_t kFileSize = 16 << 20, kPiece = 256 << 10, kSyncEvery = 1 << 20;
  constexpr size_t kConfigSize = 100 << 10;
  std::atomic<int> current_file{0};             // big.N being written
  std::atomic<uint64_t> fsynced{0};             // bytes of big.<current_file> fsync acknowledged
  std::atomic<int> config_version{-1};          // last version renamed into place
  std::atomic<int> writer_errno{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int f = 0; !stop; ++f) {
      const std::string path = mnt + "/big." + std::to_string(f);
      int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
      if (fd < 0) return writer_errno.store(errno);
      fsynced = 0;
      current_file = f;
      for (uint64_t off = 0; off < kFileSize && !stop; off += kPiece) {
        const std::string piece = Pattern(f, off, kPiece);
        if (pwrite(fd, piece.data(), kPiece, static_cast<off_t>(off)) !=
            static_cast<ssize_t>(kPiece)) {
          writer_errno = errno;
          close(fd);
          return;
        }
        if ((off + kPiece) % kSyncEvery == 0) {
          if (fsync(fd) != 0) {
            writer_errno = errno;
            close(fd);
            return;
          }
          fsynced = off + kPiece;
        }
        if ((off + kPiece) % (4 << 20) == 0) {
          const int v = config_version + 1;
          const std::string tmp = mnt + "/config.tmp";
          if (WriteFile(tmp, Pattern(5000 + v, 0, kConfigSize), true) != 0 ||
              rename(tmp.c_str(), (mnt + "/config").c_str()) != 0) {
            writer_errno = errno;
            close(fd);
            return;
          }
          config_version = v;
        }
      }
      close(fd);
    }
  });
  // Kill once the writer is well into its second file, in the middle of whatever it does.
  const bool progressed =
      WaitFor([&] { return current_file >= 2 || writer_errno != 0; }, 60);
  // A different moment on each run (printed), within a fraction of one file's writing.
  const int delay_ms = static_cast<int>(std::random_device{}() % 300);
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  KillDaemon();
  writer.join();
  close(orphan);
  ASSERT_TRUE(progressed) << "the writer made no progress in 60 s";
  const int killed_in = current_file;
  const uint64_t acknowledged = fsynced;
  const int config_acknowledged = config_version;
  std::cout << "[ crash    ] killed " << delay_ms << " ms into big.2: while writing big." << killed_in << " (" << (acknowledged >> 20)
            << " MiB fsynced), config version " << config_acknowledged << ", writer error "
            << strerrorname_np(writer_errno) << std::endl;
  EXPECT_TRUE(writer_errno == ENOTCONN || writer_errno == ECONNABORTED)
      << "the writer should have seen the connection go, got " << strerrorname_np(writer_errno);

  StartDaemon(200);
  struct stat st;
  ASSERT_TRUE(WaitFor([&] { return stat((mnt + "/small").c_str(), &st) == 0; }))
      << "the mount does not answer after restart: " << DaemonErr();

  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Slurp(mnt + "/small/" + std::to_string(i)), Pattern(100 + i, 0, 1000 + i * 777))
        << "small/" << i;
  }
  for (int f = 0; f <= killed_in; ++f) {
    const std::string name = "big." + std::to_string(f);
    ASSERT_EQ(stat((mnt + "/" + name).c_str(), &st), 0) << name;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (f < killed_in) {
      EXPECT_EQ(size, kFileSize) << name << " was written and fsynced in full";
    } else {
      EXPECT_GE(size, acknowledged) << name << ": fsync acknowledged " << acknowledged;
      EXPECT_LE(size, kFileSize) << name;
    }
    // Every byte present is a byte the writer wrote: no zeros, no stale or foreign data.
    const std::string content = Slurp(mnt + "/" + name);
    ASSERT_EQ(content.size(), size) << name;
    const std::string expected = Pattern(f, 0, size);
    if (content != expected) {
      size_t first = 0;
      while (content[first] == expected[first]) ++first;
      ADD_FAILURE() << name << " (size " << size << ") differs from what was written at byte "
                    << first << " (fsynced: " << acknowledged << ")";
    }
  }
  // The next file's create may have reached the daemon without its reply getting back: if it
  // exists, it is empty.
  if (stat((mnt + "/big." + std::to_string(killed_in + 1)).c_str(), &st) == 0) {
    EXPECT_EQ(st.st_size, 0) << "big." << killed_in + 1 << " was never written";
  }
  EXPECT_NE(stat((mnt + "/orphan").c_str(), &st), 0);
  if (config_acknowledged >= 0) {
    const std::string config = Slurp(mnt + "/config");
    // The acknowledged version or the one being renamed in at the kill; never a mixture.
    EXPECT_TRUE(config == Pattern(5000 + config_acknowledged, 0, kConfigSize) ||
                config == Pattern(5000 + config_acknowledged + 1, 0, kConfigSize))
        << "config is neither version " << config_acknowledged << " nor the next ("
        << config.size() << " bytes)";
  }
  if (stat((mnt + "/config.tmp").c_str(), &st) == 0) {
    const std::string tmp = Slurp(mnt + "/config.tmp");
    EXPECT_EQ(tmp, Pattern(5000 + config_acknowledged + 1, 0, tmp.size()))
        << "config.tmp holds bytes that were never written";
  }
  // The orphan is freed at start-up: it counts neither as an inode nor as bytes.
  ExpectUsageMatchesWalk("crash", mnt);

  StopDaemon();
  ExpectStoreVerifiesDeep();
}

// The dirty buffers live on a disk of their own (a small tmpfs here) that fills up: the writer
// gets ENOSPC, nothing committed is lost, and writing works again once space is free.
TEST_F(DaemonCrashTest, FullDirtyDiskGivesEnospcAndLosesNothingCommitted) {
  // The daemon empties data/dirty at start (remove_all with an error_code: the mount point itself
  // cannot go, its contents do), so the tmpfs can be there before it starts, as an operator would
  // set it up.
  ASSERT_EQ(mkdir(data_dir_.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(dirty_dir_.c_str(), 0700), 0);
  ASSERT_EQ(mount("berth-test-dirty", dirty_dir_.c_str(), "tmpfs", 0, "size=8m,mode=0700"), 0)
      << strerror(errno);
  tmpfs_mounted_ = true;
  {
    std::ofstream(dirty_dir_ + "/stale-leftover") << "from an earlier run";
  }
  // No periodic commit during the test: only fsync and close commit.
  StartDaemon(/*commit_interval_ms=*/600000);
  struct stat st;
  EXPECT_NE(stat((dirty_dir_ + "/stale-leftover").c_str(), &st), 0) << "start-up keeps stale buffers";
  BerthJson({"project", "create", "full"});
  const std::string mnt = BerthJson({"mount", "full"})["mountpoint"];
  ASSERT_FALSE(mnt.empty());

  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(WriteFile(mnt + "/keep" + std::to_string(i), Pattern(i, 0, 1 << 20), true), 0);
  }
  ASSERT_EQ(WriteFile(mnt + "/grow", Pattern(50, 0, 1 << 20), true), 0);

  // 32 MiB without fsync into 8 MiB of dirty space.
  int fd = open((mnt + "/huge").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  uint64_t acked = 0;
  int err = 0;
  const size_t kPiece = 1 << 20;
  while (acked < (32u << 20)) {
    const std::string piece = Pattern(60, acked, kPiece);
    ssize_t n = write(fd, piece.data(), kPiece);
    if (n < 0) {
      err = errno;
      break;
    }
    acked += static_cast<uint64_t>(n);
  }
  const int close_err = close(fd) == 0 ? 0 : errno;
  std::cout << "[ full     ] write failed with " << (err ? strerrorname_np(err) : "nothing")
            << " after " << acked << " bytes; close: "
            << (close_err ? strerrorname_np(close_err) : "ok") << std::endl;
  EXPECT_TRUE(err == ENOSPC || err == EDQUOT) << "write error: " << strerrorname_np(err);
  EXPECT_LT(acked, 9u << 20);

  // Appending to a committed file on the full disk: fails, and the committed part stays.
  fd = open((mnt + "/grow").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  int grow_err = 0;
  uint64_t grow_acked = 0;
  for (int i = 0; i < 16 && grow_err == 0; ++i) {
    const std::string piece = Pattern(50, (1 << 20) + grow_acked, kPiece);
    ssize_t n = write(fd, piece.data(), kPiece);
    if (n < 0) grow_err = errno;
    else grow_acked += static_cast<uint64_t>(n);
  }
  close(fd);

  // Everything committed is intact; what write() acknowledged reads back as written.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Slurp(mnt + "/keep" + std::to_string(i)), Pattern(i, 0, 1 << 20)) << "keep" << i;
  }
  const std::string grow = Slurp(mnt + "/grow");
  EXPECT_GE(grow.size(), 1u << 20);
  EXPECT_EQ(grow, Pattern(50, 0, grow.size())) << "grow: the committed MiB and what was appended";
  const std::string huge = Slurp(mnt + "/huge");
  EXPECT_EQ(huge.size(), acked) << "huge holds exactly what write() acknowledged";
  EXPECT_EQ(huge, Pattern(60, 0, huge.size())) << "huge holds bytes that were never written";

  // The closed files' buffers are gone: the dirty disk has room again.
  struct statvfs vfs;
  ASSERT_EQ(statvfs(dirty_dir_.c_str(), &vfs), 0);
  EXPECT_LT((vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize, 1u << 20)
      << "dirty buffers of closed files still occupy the dirty disk";
  EXPECT_EQ(WriteFile(mnt + "/after", Pattern(70, 0, 4 << 20), true), 0)
      << "writing after the disk was freed";

  ExpectUsageMatchesWalk("full", mnt);
  StopDaemon();
  ExpectStoreVerifiesDeep();
  // And all of it after a restart.
  StartDaemon(200);
  ASSERT_TRUE(WaitFor([&] { return stat((mnt + "/after").c_str(), &st) == 0; }))
      << DaemonErr();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Slurp(mnt + "/keep" + std::to_string(i)), Pattern(i, 0, 1 << 20)) << "keep" << i;
  }
  EXPECT_EQ(Slurp(mnt + "/grow"), grow);
  EXPECT_EQ(Slurp(mnt + "/huge"), huge);
  EXPECT_EQ(Slurp(mnt + "/after"), Pattern(70, 0, 4 << 20));
  StopDaemon();
}

}  // namespace
}  // namespace berth
