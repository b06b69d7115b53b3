// A full disk (ENOSPC from RocksDB): a clear error, and nothing already stored is damaged.
// Uses a real, small tmpfs, so it needs root (CI runs as root).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "storage/data_dir.h"
#include "storage/verifier.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;
using berth::testing::StatusIs;
using berth::testing::TempDir;

// A tmpfs mounted for the test's lifetime, unmounted (lazily, if busy) however the test ends.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& path, const std::string& size) : path_(path) {
    mounted_ = mount("berth-test", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool Resize(const std::string& size) {
    return mount("berth-test", path_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(StoreDiskFullTest, FullDiskIsAClearErrorAndLosesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  TempDir dir;
  SmallTmpfs fs(dir.path(), "24m");
  ASSERT_TRUE(fs.mounted()) << strerror(errno);
  const std::string store = dir.Sub("node");

  std::vector<Bytes> stored;
  Status failure;
  {
    ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(store, {}));
    for (int i = 0; i < 200 && failure.ok(); ++i) {
      Bytes chunk = RandomBytes(1 << 20, i);  // incompressible
      auto put = data->chunks().Put(ChunkKind::kData, chunk, /*sync=*/true);
      if (put.ok()) {
        stored.push_back(std::move(chunk));
      } else {
        failure = put.status();
      }
    }
    EXPECT_FALSE(failure.ok()) << "a 24 MB disk took 200 MB";
    EXPECT_THAT(failure, StatusIs(StatusCode::kResourceExhausted));
    EXPECT_EQ(failure.ToErrno(), ENOSPC);
    EXPECT_NE(failure.message().find("No space left"), std::string::npos) << failure.message();
    data->Close().IgnoreError();  // may fail too: the disk is still full
  }
  ASSERT_GT(stored.size(), 3u);

  // Make room, reopen: everything acknowledged before the failure is there and intact.
  ASSERT_TRUE(fs.Resize("512m"));
  ASSERT_OK_AND_ASSIGN(auto data, DataDir::Open(store, {}));
  for (const Bytes& chunk : stored) {
    ASSERT_OK_AND_ASSIGN(Bytes back, data->chunks().Get(data->chunks().IdOf(chunk)));
    EXPECT_EQ(back, chunk);
  }
  VerifyOptions deep;
  deep.deep = true;
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyStore(data->chunks(), deep));
  EXPECT_TRUE(report.clean());
  // And the store takes writes again.
  EXPECT_OK(data->chunks().Put(ChunkKind::kData, RandomBytes(1 << 20, 999), true));
  ASSERT_OK(data->Close());
}

}  // namespace
}  // namespace berth::storage
