// Full snapshots of native directories (SnapshotDirectory), compared with the directory itself.
#include <gtest/gtest.h>

#include "snapshot/native_source.h"
#include "snapshot/snapshot_reader.h"
#include "tests/snapshot/native_tree.h"
#include "tests/snapshot/snapshot_fixture.h"

namespace berth::snapshot {
namespace {

using berth::testing::TempDir;
using berth::testing::TextBytes;

class NativeSnapshotTest : public SnapshotStoreTest {
 protected:
  Result<WriteResult> Snap(const std::string& path, bool force = false) {
    WriteOptions options;
    options.project = ProjectKey(std::string(16, 'n'));
    options.clock = &clock_;
    options.force = force;
    clock_.AdvanceMillis(1000);
    return SnapshotDirectory(path, chunks_.get(), snapshots_.get(), options);
  }
  TempDir source_;
};

TEST_F(NativeSnapshotTest, RecordsEveryKindOfEntry) {
  MakeVariedTree(source_.path());
  ASSERT_OK_AND_ASSIGN(WriteResult r, Snap(source_.path()));
  ASSERT_TRUE(r.record);
  SnapshotReader reader(chunks_.get());
  ExpectSameAsDirectory(reader, r.root, source_.path());
  EXPECT_EQ(r.record->files, 10u);
  EXPECT_EQ(r.record->directories, 4u);

  ASSERT_OK_AND_ASSIGN(TreeEntry a, reader.Stat(r.root, "src/main.c"));
  ASSERT_OK_AND_ASSIGN(TreeEntry b, reader.Stat(r.root, "main-link.c"));
  EXPECT_NE(a.link_group, 0u);
  EXPECT_EQ(a.link_group, b.link_group);
  EXPECT_EQ(a.data, b.data);

  ASSERT_OK_AND_ASSIGN(TreeEntry sparse, reader.Stat(r.root, "sparse.img"));
  uint64_t data_bytes = 0;
  ASSERT_OK(reader.ForEachPiece(sparse, 0, sparse.size, [&](uint64_t, const Piece& p) {
    if (!p.hole()) data_bytes += p.length;
    return Status::Ok();
  }));
  EXPECT_LE(data_bytes, 1u << 20) << "holes were read as data";
}

TEST_F(NativeSnapshotTest, UnchangedDirectoryAddsNothing) {
  MakeVariedTree(source_.path());
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(source_.path()));
  ASSERT_OK_AND_ASSIGN(storage::StoreStats before, chunks_->Stats());
  ASSERT_OK_AND_ASSIGN(WriteResult again, Snap(source_.path()));
  EXPECT_FALSE(again.record);
  EXPECT_EQ(again.root, first.root);
  ASSERT_OK_AND_ASSIGN(storage::StoreStats after, chunks_->Stats());
  EXPECT_EQ(after.chunks, before.chunks);

  WriteBytes(source_.Sub("src/new.txt"), TextBytes(5000, 9));
  ASSERT_OK_AND_ASSIGN(WriteResult changed, Snap(source_.path()));
  ASSERT_TRUE(changed.record);
  EXPECT_EQ(changed.record->parent, first.record->id);
  EXPECT_EQ(changed.record->files, first.record->files + 1);
  SnapshotReader reader(chunks_.get());
  ExpectSameAsDirectory(reader, changed.root, source_.path());
  ASSERT_OK_AND_ASSIGN(TreeEntry lib1, reader.Stat(first.root, "src/lib"));
  ASSERT_OK_AND_ASSIGN(TreeEntry lib2, reader.Stat(changed.root, "src/lib"));
  EXPECT_EQ(lib1.subtree, lib2.subtree);
}

TEST_F(NativeSnapshotTest, RefusesWhatIsNotADirectory) {
  WriteBytes(source_.Sub("file"), {});
  EXPECT_THAT(Snap(source_.Sub("file")), berth::testing::StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Snap(source_.Sub("missing")), berth::testing::StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace berth::snapshot
