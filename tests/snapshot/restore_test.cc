// Restore (export) of snapshots to native directories, checked name by name against the source
// directory, and by snapshotting the restored copy again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "snapshot/native_source.h"
#include "snapshot/object_io.h"
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

// An xattr the target filesystem cannot keep (ext4 holds about one block per inode; berth keeps
// values up to 64 KiB) is skipped and counted: the file and its other xattrs are restored.
TEST_F(RestoreTest, AnXattrTooLargeForTheTargetIsSkipped) {
  TreeEntry file;
  file.name = "notes";
  file.type = EntryType::kRegular;
  file.perms = 0644;
  file.mtime_ns = 1'500'000'000'000'000'000;
  file.xattrs = {{"user.big", std::string(60000, 'b')}, {"user.small", "s"}};
  const std::string out = target_.Sub("notes");
  ASSERT_OK_AND_ASSIGN(RestoreStats stats, RestoreEntry(*reader_, file, out));
  EXPECT_EQ(stats.files, 1u);
  EXPECT_EQ(stats.skipped, 1u);
  char value[8];
  EXPECT_EQ(::getxattr(out.c_str(), "user.small", value, sizeof(value)), 1);
  EXPECT_LT(::getxattr(out.c_str(), "user.big", nullptr, 0), 0);
  struct stat st;
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'500'000'000);
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

// The root's own mode, owner, mtime and xattrs are in the snapshot (tree format version 2), so
// an export reproduces them, into a directory it makes or an empty one that exists.
TEST_F(RestoreTest, RootAttributesComeBack) {
  TempDir src;
  WriteBytes(src.Sub("f"), {1});
  ASSERT_EQ(::chmod(src.path().c_str(), 02751), 0);
  ASSERT_EQ(::chown(src.path().c_str(), 1234, 5678), 0);
  ASSERT_EQ(::setxattr(src.path().c_str(), "user.project", "p1", 2, 0), 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {1'600'000'000, 123'456'789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, src.path().c_str(), times, 0), 0);
  ASSERT_OK_AND_ASSIGN(WriteResult r, Snap(src.path(), 'a'));

  ASSERT_OK_AND_ASSIGN(TreeEntry root, reader_->Stat(r.root, "/"));
  EXPECT_EQ(root.perms, 02751u);
  EXPECT_EQ(root.uid, 1234u);
  EXPECT_EQ(root.gid, 5678u);
  EXPECT_EQ(root.mtime_ns, 1'600'000'000'123'456'789);
  EXPECT_EQ(root.xattrs,
            (std::vector<std::pair<std::string, std::string>>{{"user.project", "p1"}}));

  const std::string made = target_.Sub("made"), existing = target_.Sub("existing");
  ASSERT_EQ(::mkdir(existing.c_str(), 0700), 0);
  for (const std::string& out : {made, existing}) {
    ASSERT_OK(RestoreEntry(*reader_, root, out));
    struct stat st;
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 02751u) << out;
    EXPECT_EQ(st.st_uid, 1234u) << out;
    EXPECT_EQ(st.st_gid, 5678u) << out;
    EXPECT_EQ(st.st_mtim.tv_sec, 1'600'000'000) << out;
    EXPECT_EQ(st.st_mtim.tv_nsec, 123'456'789) << out;
    char value[16] = {};
    EXPECT_EQ(::getxattr(out.c_str(), "user.project", value, sizeof(value)), 2) << out;
    EXPECT_STREQ(value, "p1");
    // The same tree, root attributes included.
    ASSERT_OK_AND_ASSIGN(WriteResult again, Snap(out, 'b'));
    EXPECT_EQ(again.root, r.root) << out;
  }

  // A chmod of the root alone is a change: the next snapshot records it.
  ASSERT_EQ(::chmod(src.path().c_str(), 0700), 0);
  ASSERT_OK_AND_ASSIGN(WriteResult chmodded, Snap(src.path(), 'a'));
  EXPECT_NE(chmodded.root, r.root);
  ASSERT_OK_AND_ASSIGN(TreeEntry after, reader_->Stat(chmodded.root, ""));
  EXPECT_EQ(after.perms, 0700u);
}

// A root written before version 2 (no attributes of its own) still reads and restores: the
// root's attributes read as zero, a directory made for it gets 0755, an existing one keeps its.
TEST_F(RestoreTest, RootsWrittenBeforeVersion2StillRestore) {
  ASSERT_OK_AND_ASSIGN(TreeObject top, LoadTree(*chunks_, root_));
  ASSERT_TRUE(top.self);
  top.self.reset();
  ASSERT_OK_AND_ASSIGN(Bytes old_bytes, EncodeTree(top));
  ASSERT_EQ(old_bytes[0], 1);
  ASSERT_OK_AND_ASSIGN(storage::PutResult put, chunks_->Put(storage::ChunkKind::kTree, old_bytes));
  const storage::ChunkId old_root = put.id;

  ASSERT_OK_AND_ASSIGN(TreeEntry root, reader_->Stat(old_root, "/"));
  EXPECT_EQ(root.perms, 0u);
  EXPECT_EQ(root.mtime_ns, 0);
  EXPECT_TRUE(root.xattrs.empty());
  const std::string made = target_.Sub("made"), existing = target_.Sub("existing");
  ASSERT_OK(RestoreEntry(*reader_, root, made));
  ExpectSameAsDirectory(*reader_, old_root, made);
  ASSERT_EQ(::mkdir(existing.c_str(), 0710), 0);
  ASSERT_OK(RestoreEntry(*reader_, root, existing));
  struct stat st;
  ASSERT_EQ(::stat(made.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat(existing.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710u);
}

}  // namespace
}  // namespace berth::snapshot
