#ifndef BERTH_TESTS_INTEGRATION_MOUNT_FIXTURE_H_
#define BERTH_TESTS_INTEGRATION_MOUNT_FIXTURE_H_

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "base/clock.h"
#include "fs/file_data.h"
#include "fs/fuse_server.h"
#include "storage/chunk_store.h"
#include "fs/live_tree.h"
#include "storage/database.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::testing {

// A system call's result: its return value and, when it failed, errno.
struct Outcome {
  long ret = 0;
  int err = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    os << o.ret;
    if (o.ret < 0) os << " (" << strerrorname_np(o.err) << ")";
    return os;
  }
};
// Call(mkdir(...)): captures errno right after the call.
inline Outcome Call(long ret) { return Outcome{ret, ret < 0 ? errno : 0}; }
inline Outcome Failed(int err) { return Outcome{-1, err}; }

// Whether `path` is a mount point of this mount namespace.
inline bool IsMounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

// Each test gets a fresh project mounted through FUSE at mnt() and, for call-by-call
// comparison, a native directory native() on the disk under /tmp (ext4). TearDown always
// unmounts, also after a failed assertion; a test can unmount earlier itself.
// Needs root and /dev/fuse, and skips otherwise.
class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mount tests need root";
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
    // Children that drop to uid 1000 must be able to walk to both trees.
    ASSERT_EQ(chmod(temp_.path().c_str(), 0755), 0);
    mnt_ = temp_.Sub("mnt");
    native_ = temp_.Sub("native");
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(native_.c_str(), 0755), 0);

    storage::DatabaseOptions db_options;
    db_options.extra_families = fs::LiveTreeFamilies();
    ASSERT_OK_AND_ASSIGN(db_, storage::Database::Open(temp_.Sub("db"), db_options));
    storage::StoreOptions store_options;
    store_options.dedup_key = storage::SecretKey::Generate();
    ASSERT_OK_AND_ASSIGN(chunks_, storage::ChunkStore::Open(db_.get(), store_options));
    ASSERT_OK_AND_ASSIGN(tree_, fs::LiveTree::Open(db_.get(), fs::ProjectId::Generate(),
                                                   fs::Caller{0, 0}, Clock::Real()));
    fs::FileDataOptions data_options;
    data_options.dirty_dir = temp_.Sub("dirty");
    ASSERT_OK_AND_ASSIGN(data_, fs::FileData::Open(tree_.get(), chunks_.get(), &chunker_,
                                                   data_options));
    ASSERT_OK_AND_ASSIGN(server_, fs::FuseServer::Mount(tree_.get(), data_.get(), mnt_,
                                                        Options()));
  }

  // How the mount is made; a test class overrides this for other kernel-cache settings.
  virtual fs::MountOptions Options() const { return fs::MountOptions{}; }

  void TearDown() override {
    if (server_) {
      EXPECT_OK(server_->Unmount());
      server_.reset();
    }
    if (!mnt_.empty() && IsMounted(mnt_)) {
      ADD_FAILURE() << mnt_ << " still mounted after Unmount";
      umount2(mnt_.c_str(), MNT_DETACH);
    }
    data_.reset();
    tree_.reset();
    chunks_.reset();
    db_.reset();
  }

  const std::string& mnt() const { return mnt_; }
  const std::string& native() const { return native_; }
  std::string M(const std::string& rel) const { return mnt_ + "/" + rel; }
  std::string N(const std::string& rel) const { return native_ + "/" + rel; }
  fs::LiveTree* tree() { return tree_.get(); }
  fs::FileData* data() { return data_.get(); }
  fs::FuseServer* server() { return server_.get(); }

  // Runs `op` against the mount and the native directory (given each root) and expects the
  // same outcome; returns the mount's.
  Outcome ExpectSame(const std::function<long(const std::string& root)>& op,
                     const std::string& what) {
    const Outcome on_mount = Call(op(mnt_));
    const Outcome on_native = Call(op(native_));
    EXPECT_EQ(on_mount, on_native) << what << " (berth vs native)";
    return on_mount;
  }

  // Runs `body` in a child process as uid/gid (no supplementary groups) and returns what it
  // returned (0 or an errno), or -1 if the child did not exit normally. `body` runs after fork()
  // in a process with threads: keep it to system calls.
  static int RunAs(uid_t uid, gid_t gid, const std::function<int()>& body) {
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
          setresuid(uid, uid, uid) != 0) {
        _exit(254);
      }
      _exit(body());
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
  }

 private:
  TempDir temp_;
  std::string mnt_;
  std::string native_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::ChunkStore> chunks_;
  storage::Chunker chunker_;
  std::unique_ptr<fs::LiveTree> tree_;
  std::unique_ptr<fs::FileData> data_;
  std::unique_ptr<fs::FuseServer> server_;
};

// Returns errno of a failed call, 0 on success: for RunAs bodies.
inline int ErrnoOf(long ret) { return ret < 0 ? errno : 0; }

}  // namespace berth::testing

#endif  // BERTH_TESTS_INTEGRATION_MOUNT_FIXTURE_H_
