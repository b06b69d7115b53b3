// Restore (export) of snapshots to native directories, checked name by name against the source
// directory, and by snapshotting the restored copy again.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "snapshot/native_source.h"
#include "snapshot/snapshot_restore.h"
#include "tests/snapshot/native_tree.h"
#include "tests/snapshot/snapshot_fixture.h"

namespace berth::snapshot {
namespace {

using berth::testing::StatusIs;
using berth::testing::TempDir;

class RestoreTest : public SnapshotStoreTest {
 protected:
  void SetUp() override {
    SnapshotStoreTest::SetUp();
    reader_.emplace(chunks_.get());
    MakeVariedTree(source_.path());
    ASSERT_OK_AND_ASSIGN(WriteResult r, Snap(source_.path(), 's'));
    root_ = r.root;
  }

  Result<WriteResult> Snap(const std::string& path, char project) {
    WriteOptions options;
    options.project = ProjectKey(std::string(16, project));
    options.clock = &clock_;
    clock_.AdvanceMillis(1000);
    return SnapshotDirectory(path, chunks_.get(), snapshots_.get(), options);
  }

  TempDir source_, target_;
  std::optional<SnapshotReader> reader_;
  storage::ChunkId root_;
};

TEST_F(RestoreTest, WholeSnapshotRoundTrips) {
  ASSERT_OK_AND_ASSIGN(TreeEntry root, reader_->Stat(root_, "/"));
  const std::string out = target_.Sub("restored");
  ASSERT_OK_AND_ASSIGN(RestoreStats stats, RestoreEntry(*reader_, root, out));
  EXPECT_EQ(stats.links, 1u);
  EXPECT_EQ(stats.skipped, 0u);
  ExpectSameAsDirectory(*reader_, root_, out, CompareOptions{.owners = true, .dir_mtimes = true});
  // The source is the brute-force reference too: same names, modes, times, bytes.
  ExpectSameAsDirectory(*reader_, root_, source_.path());

  struct stat a, b, sparse;
  ASSERT_EQ(::stat((out + "/src/main.c").c_str(), &a), 0);
  ASSERT_EQ(::stat((out + "/main-link.c").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(::stat((out + "/sparse.img").c_str(), &sparse), 0);
  EXPECT_EQ(sparse.st_size, 8 << 20);
  EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "holes were written as zeros";
  struct stat suid;
  ASSERT_EQ(::stat((out + "/run.sh").c_str(), &suid), 0);
  EXPECT_EQ(suid.st_mode & 07777, 04755u);

  // A snapshot of the restored copy is the very same tree.
  ASSERT_OK_AND_ASSIGN(WriteResult again, Snap(out, 'r'));
  EXPECT_EQ(again.root, root_);
}

TEST_F(RestoreTest, RestoresASubtreeOrOneFile) {
  ASSERT_OK_AND_ASSIGN(TreeEntry src, reader_->Stat(root_, "src"));
  const std::string dir = target_.Sub("src-copy");
  ASSERT_OK(RestoreEntry(*reader_, src, dir));
  // main.c's other name lies outside src/: here it is a file of its own.
  ExpectSameAsDirectory(*reader_, src.subtree, dir, CompareOptions{.link_groups = false});
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  ASSERT_OK_AND_ASSIGN(TreeEntry blob, reader_->Stat(root_, "src/lib/blob.bin"));
  const std::string file = target_.Sub("blob");
  ASSERT_OK_AND_ASSIGN(RestoreStats stats, RestoreEntry(*reader_, blob, file));
  EXPECT_EQ(stats.files, 1u);
  EXPECT_EQ(stats.bytes, 3u << 20);
  EXPECT_TRUE(ReadBytes(file) == ReadBytes(source_.Sub("src/lib/blob.bin")));
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec, blob.mtime_ns);
}

TEST_F(RestoreTest, RefusesToOverwrite) {
  ASSERT_OK_AND_ASSIGN(TreeEntry root, reader_->Stat(root_, "/"));
  ASSERT_OK_AND_ASSIGN(TreeEntry file, reader_->Stat(root_, "src/main.c"));
  WriteBytes(target_.Sub("taken"), {1, 2, 3});
  EXPECT_THAT(RestoreEntry(*reader_, file, target_.Sub("taken")),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_TRUE(ReadBytes(target_.Sub("taken")) == Bytes({1, 2, 3}));
  EXPECT_THAT(RestoreEntry(*reader_, root, target_.path()), StatusIs(StatusCode::kAlreadyExists));
  // An existing empty directory is a fine target.
  ASSERT_EQ(::mkdir(target_.Sub("empty").c_str(), 0700), 0);
  ASSERT_OK(RestoreEntry(*reader_, root, target_.Sub("empty")));
  ExpectSameAsDirectory(*reader_, root_, target_.Sub("empty"));
}

}  // namespace
}  // namespace berth::snapshot
