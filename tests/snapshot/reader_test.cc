// Reading snapshots: paths, listings, file ranges with holes, walks, corrupt objects, and GC
// marking (with a real sweep afterwards).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "snapshot/file_versions.h"
#include "snapshot/object_io.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/snapshot_writer.h"
#include "tests/snapshot/fake_tree_source.h"
#include "tests/snapshot/snapshot_fixture.h"

namespace berth::snapshot {
namespace {

using berth::testing::RandomBytes;
using berth::testing::StatusIs;
using berth::testing::StatusMessageHas;
using storage::ChunkId;
constexpr NodeId kRoot = FakeTree::kRoot;

class ReaderTest : public SnapshotStoreTest {
 protected:
  void SetUp() override {
    SnapshotStoreTest::SetUp();
    storage::ChunkerOptions small;
    small.min_size = 64;
    small.avg_size = 256;
    small.max_size = 1024;
    chunker_.emplace(small);
    writer_.emplace(chunks_.get(), snapshots_.get());
    reader_.emplace(chunks_.get());
  }

  ChunkId Snap(FakeTree& tree) {
    WriteOptions options;
    options.project = ProjectKey(std::string(16, 'p'));
    options.clock = &clock_;
    options.sync = false;
    clock_.AdvanceMillis(1000);
    auto r = writer_->Write(tree, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->root : ChunkId();
  }

  // /docs/a.txt, /docs/sub/b.bin (sparse), /big (list objects), /link -> docs
  FakeTree Sample() {
    FakeTree tree;
    NodeId docs = tree.Mkdir(kRoot, "docs");
    tree.SetContent(tree.Create(docs, "a.txt"), RandomBytes(3000, 1), chunks_.get(), *chunker_);
    NodeId sub = tree.Mkdir(docs, "sub");
    Bytes sparse(50000, 0);
    std::copy_n(RandomBytes(5000, 2).begin(), 5000, sparse.begin() + 20000);
    tree.SetContent(tree.Create(sub, "b.bin"), sparse, chunks_.get(), *chunker_, true);
    tree.SetContent(tree.Create(kRoot, "big"), RandomBytes(300000, 3), chunks_.get(), *chunker_);
    tree.Symlink(kRoot, "link", "docs");
    return tree;
  }

  std::optional<storage::Chunker> chunker_;
  std::optional<SnapshotWriter> writer_;
  std::optional<SnapshotReader> reader_;
};

TEST_F(ReaderTest, ResolvesPathsAndListsDirectories) {
  FakeTree tree = Sample();
  ChunkId root = Snap(tree);
  ASSERT_OK_AND_ASSIGN(std::vector<TreeEntry> top, reader_->List(root, "/"));
  std::vector<std::string> names;
  for (const auto& e : top) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"big", "docs", "link"}));
  ASSERT_OK_AND_ASSIGN(std::vector<TreeEntry> sub, reader_->List(root, "docs//sub/"));
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(sub[0].name, "b.bin");
  ASSERT_OK_AND_ASSIGN(TreeEntry a, reader_->Stat(root, "./docs/a.txt"));
  EXPECT_EQ(a.size, 3000u);
  ASSERT_OK_AND_ASSIGN(TreeEntry r, reader_->Stat(root, ""));
  EXPECT_TRUE(r.is_dir());
  EXPECT_EQ(r.subtree_totals.files, 4u);
  EXPECT_EQ(r.subtree_totals.dirs, 2u);

  auto missing = reader_->Stat(root, "docs/nope");
  EXPECT_THAT(missing, StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(missing.status().ToErrno(), ENOENT);
  EXPECT_THAT(missing, StatusMessageHas("/docs/nope"));
  auto through_file = reader_->Stat(root, "docs/a.txt/x");
  EXPECT_EQ(through_file.status().ToErrno(), ENOTDIR);
  EXPECT_EQ(reader_->List(root, "big").status().ToErrno(), ENOTDIR);
  EXPECT_THAT(reader_->Stat(root, "docs/../big"), StatusIs(StatusCode::kInvalidArgument));
  // A symlink is an entry, not followed.
  EXPECT_EQ(reader_->Stat(root, "link/a.txt").status().ToErrno(), ENOTDIR);
}

TEST_F(ReaderTest, ReadsAnyRangeWithHolesAsZeros) {
  FakeTree tree = Sample();
  ChunkId root = Snap(tree);
  std::mt19937_64 rng(1);
  for (const char* path : {"docs/a.txt", "docs/sub/b.bin", "big"}) {
    ASSERT_OK_AND_ASSIGN(TreeEntry e, reader_->Stat(root, path));
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, SplitSnapshotPath(path));
    NodeId node = kRoot;
    for (const auto& name : names) node = tree.node(node).entries.at(name);
    const Bytes& content = tree.node(node).content;
    for (int i = 0; i < 200; ++i) {
      uint64_t offset = rng() % (e.size + 10);
      uint64_t length = rng() % 70000;
      ASSERT_OK_AND_ASSIGN(Bytes got, reader_->ReadFile(e, offset, length));
      uint64_t from = std::min<uint64_t>(offset, content.size());
      uint64_t to = std::min<uint64_t>(from + length, content.size());
      ASSERT_TRUE(got == Bytes(content.begin() + from, content.begin() + to))
          << path << " at " << offset << " length " << length;
    }
  }
  ASSERT_OK_AND_ASSIGN(TreeEntry dir, reader_->Stat(root, "docs"));
  EXPECT_EQ(reader_->ReadFile(dir, 0, 1).status().ToErrno(), EISDIR);
}

TEST_F(ReaderTest, WalksInNameOrderAndPrunes) {
  FakeTree tree = Sample();
  ChunkId root = Snap(tree);
  std::vector<std::string> seen;
  ASSERT_OK(reader_->Walk(root, [&](const std::string& path, const TreeEntry&) -> Result<bool> {
    seen.push_back(path);
    return path != "/docs/sub";
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"/big", "/docs", "/docs/a.txt", "/docs/sub", "/link"}));
  Status stop = reader_->Walk(root, [&](const std::string&, const TreeEntry&) -> Result<bool> {
    return Status(StatusCode::kCancelled, "stop");
  });
  EXPECT_THAT(stop, StatusIs(StatusCode::kCancelled));
}

TEST_F(ReaderTest, CorruptOrMissingObjectsAreDataLossWithThePath) {
  FakeTree tree = Sample();
  ChunkId root = Snap(tree);
  ASSERT_OK_AND_ASSIGN(TreeEntry big, reader_->Stat(root, "big"));
  // The tree of /docs/sub is lost, and so is a chunk of /big.
  ASSERT_OK_AND_ASSIGN(TreeEntry sub, reader_->Stat(root, "docs/sub"));
  ASSERT_OK(chunks_->Erase(sub.subtree));
  auto listed = reader_->List(root, "docs/sub");
  EXPECT_THAT(listed, StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(listed, StatusMessageHas("/docs/sub"));

  ChunkId first_chunk;
  ASSERT_OK(reader_->ForEachPiece(big, 0, 1, [&](uint64_t, const Piece& p) {
    first_chunk = *p.chunk;
    return Status::Ok();
  }));
  ASSERT_OK(chunks_->Erase(first_chunk));
  EXPECT_THAT(reader_->ReadFile(big, 0, 10), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(Bytes tail, reader_->ReadFile(big, 200000, 10));  // other chunks are fine
  EXPECT_EQ(tail.size(), 10u);

  storage::ChunkIdSet marked;
  Status mark = MarkReachable(*chunks_, std::vector<ChunkId>{root}, &marked);
  EXPECT_THAT(mark, StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(mark, StatusMessageHas("/docs/sub"));
}

TEST_F(ReaderTest, MarkReachableFindsExactlyWhatSnapshotsUse) {
  FakeTree tree = Sample();
  ChunkId first = Snap(tree);
  // Objects and chunks of the first snapshot alone.
  storage::ChunkIdSet first_only;
  ASSERT_OK(MarkReachable(*chunks_, std::vector<ChunkId>{first}, &first_only));
  std::vector<storage::ChunkInfo> all;
  ASSERT_OK(chunks_->ScanIndex(std::nullopt, 100000, &all));
  EXPECT_EQ(first_only.size(), all.size());  // everything stored is in use

  // A second snapshot: /docs/a.txt replaced, /big removed.
  NodeId docs = tree.node(kRoot).entries.at("docs");
  tree.SetContent(tree.node(docs).entries.at("a.txt"), RandomBytes(3000, 9), chunks_.get(),
                  *chunker_);
  tree.Unlink(kRoot, "big");
  ChunkId second = Snap(tree);

  // Pruning: with the first snapshot marked, marking the second never opens the subtree they
  // share (/docs/sub), which we make unreadable to prove it.
  ASSERT_OK_AND_ASSIGN(TreeEntry sub, reader_->Stat(first, "docs/sub"));
  storage::ChunkIdSet both = first_only;
  ASSERT_OK(chunks_->Erase(sub.subtree));
  ASSERT_OK(MarkReachable(*chunks_, std::vector<ChunkId>{second}, &both));
  EXPECT_GT(both.size(), first_only.size());
  // Without the first snapshot marked, the second's walk does reach it.
  storage::ChunkIdSet alone;
  EXPECT_THAT(MarkReachable(*chunks_, std::vector<ChunkId>{second}, &alone),
              StatusIs(StatusCode::kDataLoss));
}

TEST_F(ReaderTest, SweepAfterMarkKeepsEveryRetainedSnapshotWhole) {
  FakeTree tree = Sample();
  ChunkId first = Snap(tree);
  NodeId docs = tree.node(kRoot).entries.at("docs");
  tree.SetContent(tree.node(docs).entries.at("a.txt"), RandomBytes(3000, 9), chunks_.get(),
                  *chunker_);
  tree.Unlink(kRoot, "big");
  ChunkId second = Snap(tree);
  clock_.AdvanceMillis(1000);

  ASSERT_OK_AND_ASSIGN(storage::GcEpoch epoch, chunks_->StartGcEpoch());
  storage::ChunkIdSet marked;
  ASSERT_OK(MarkReachable(*chunks_, std::vector<ChunkId>{second}, &marked));
  ASSERT_OK_AND_ASSIGN(storage::SweepReport report, chunks_->Sweep(marked, epoch));
  EXPECT_GT(report.erased, 10u);  // /big's chunks and lists, old a.txt, old trees

  // The kept snapshot reads back whole; the dropped one does not.
  ASSERT_OK(reader_->Walk(second, [&](const std::string&, const TreeEntry& e) -> Result<bool> {
    if (e.type == EntryType::kRegular) RETURN_IF_ERROR(reader_->ReadFile(e, 0, e.size).status());
    return true;
  }));
  EXPECT_THAT(reader_->Stat(first, "big"), StatusIs(StatusCode::kDataLoss));
  std::vector<storage::ChunkInfo> left;
  ASSERT_OK(chunks_->ScanIndex(std::nullopt, 100000, &left));
  EXPECT_EQ(left.size(), marked.size());
}

}  // namespace
}  // namespace berth::snapshot

namespace berth::snapshot {
namespace {

TEST_F(ReaderTest, FileVersionsListEachDistinctContentOnce) {
  FakeTree tree;
  NodeId dir = tree.Mkdir(kRoot, "dir");
  NodeId f = tree.Create(dir, "notes.txt");
  auto set = [&](uint64_t seed) {
    tree.SetContent(f, RandomBytes(700, seed), chunks_.get(), *chunker_);
  };
  set(1);
  Snap(tree);  // A
  set(2);
  Snap(tree);  // B
  set(1);
  Snap(tree);  // A again
  tree.Create(kRoot, "unrelated");
  Snap(tree);  // A, the path's directory unchanged
  tree.Rename(dir, "notes.txt", kRoot, "moved");
  Snap(tree);  // gone from the path
  tree.Rename(kRoot, "moved", dir, "notes.txt");
  set(3);
  Snap(tree);  // C
  ASSERT_OK_AND_ASSIGN(std::vector<SnapshotRecord> all,
                       snapshots_->List(ProjectKey(std::string(16, 'p'))));
  ASSERT_EQ(all.size(), 6u);
  ASSERT_OK_AND_ASSIGN(std::vector<FileVersion> versions,
                       FileVersions(*reader_, all, "/dir/notes.txt"));
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].first, all[0].id);
  EXPECT_EQ(versions[0].last, all[3].id);
  EXPECT_EQ(versions[0].snapshots, 3u);
  EXPECT_EQ(versions[1].first, all[1].id);
  EXPECT_EQ(versions[1].snapshots, 1u);
  EXPECT_EQ(versions[2].first, all[5].id);
  ASSERT_OK_AND_ASSIGN(Bytes c, reader_->ReadFile(versions[2].entry, 0, 700));
  EXPECT_EQ(c, RandomBytes(700, 3));
  EXPECT_THAT(FileVersions(*reader_, all, "/dir/none"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(FileVersions(*reader_, all, "/"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::snapshot
