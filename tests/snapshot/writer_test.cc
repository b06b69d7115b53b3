// The incremental snapshot writer over an honest in-memory tree: snapshots equal the tree at
// that moment and a from-scratch rebuild of it, cost follows the change, marks survive
// concurrent changes, unchanged trees write nothing.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

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

storage::ChunkerOptions SmallChunks() {
  storage::ChunkerOptions o;
  o.min_size = 64;
  o.avg_size = 256;
  o.max_size = 1024;
  return o;
}

class WriterTest : public SnapshotStoreTest {
 protected:
  ProjectKey Project(char c) const { return ProjectKey(std::string(16, c)); }

  Result<WriteResult> Snap(FakeTree& tree, bool force = false, char project = 'p') {
    WriteOptions options;
    options.project = Project(project);
    options.host = "test-host";
    options.force = force;
    options.sync = false;
    options.clock = &clock_;
    clock_.AdvanceMillis(1000);
    return writer_->Write(tree, options);
  }

  // The root id a from-scratch snapshot of the tree's current state gets (a copy without
  // history, under another project).
  ChunkId FullRebuild(const FakeTree& tree) {
    FakeTree copy = tree;
    copy.ForgetHistory();
    auto result = Snap(copy, /*force=*/true, static_cast<char>('A' + rebuilds_++ % 26));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? result->root : ChunkId();
  }

  void SetContent(FakeTree& tree, NodeId node, const Bytes& content, bool sparse = false) {
    tree.SetContent(node, content, chunks_.get(), chunker_, sparse);
  }

  // Checks that the snapshot tree `id` holds exactly directory `dir` of the fake.
  void ExpectMatches(const FakeTree& tree, NodeId dir, const ChunkId& id, const std::string& path) {
    ASSERT_OK_AND_ASSIGN(TreeObject object, reader_->Tree(id, path));
    const auto& model = tree.node(dir).entries;
    ASSERT_EQ(object.entries.size(), model.size()) << path;
    auto it = model.begin();
    for (const TreeEntry& e : object.entries) {
      const std::string at = path + "/" + e.name;
      ASSERT_EQ(e.name, it->first) << at;
      const FakeTree::Node& n = tree.node(it->second);
      EXPECT_EQ(e.mode(), n.meta.mode) << at;
      EXPECT_EQ(e.uid, n.meta.uid) << at;
      EXPECT_EQ(e.gid, n.meta.gid) << at;
      EXPECT_EQ(e.mtime_ns, n.meta.mtime_ns) << at;
      EXPECT_EQ(e.xattrs, n.meta.xattrs) << at;
      bool linked = !S_ISDIR(n.meta.mode) && n.parents.size() > 1;
      EXPECT_EQ(e.link_group, linked ? it->second : 0u) << at;
      if (e.type == EntryType::kRegular) {
        EXPECT_EQ(e.size, n.meta.size) << at;
        ASSERT_OK_AND_ASSIGN(Bytes content, reader_->ReadFile(e, 0, e.size));
        EXPECT_TRUE(content == n.content) << at;
      } else if (e.type == EntryType::kSymlink) {
        EXPECT_EQ(e.target, n.meta.symlink_target) << at;
      } else if (e.is_dir()) {
        ExpectMatches(tree, it->second, e.subtree, at);
      } else if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
        EXPECT_EQ(e.rdev, n.meta.rdev) << at;
      }
      ++it;
    }
  }

  void SetUp() override {
    SnapshotStoreTest::SetUp();
    writer_.emplace(chunks_.get(), snapshots_.get());
    reader_.emplace(chunks_.get());
  }

  storage::Chunker chunker_{SmallChunks()};
  std::optional<SnapshotWriter> writer_;
  std::optional<SnapshotReader> reader_;
  int rebuilds_ = 0;
};

TEST_F(WriterTest, FirstSnapshotRecordsTheWholeTree) {
  FakeTree tree;
  NodeId src = tree.Mkdir(kRoot, "src");
  NodeId main = tree.Create(src, "main.c");
  SetContent(tree, main, RandomBytes(5000, 1));
  NodeId empty = tree.Create(kRoot, "empty");
  (void)empty;
  NodeId sparse = tree.Create(kRoot, "sparse.img");
  Bytes with_holes(40000, 0);
  for (size_t i = 12000; i < 13000; ++i) with_holes[i] = static_cast<uint8_t>(i);
  SetContent(tree, sparse, with_holes, /*sparse=*/true);
  tree.Symlink(kRoot, "link", "src/main.c");
  tree.Special(kRoot, "null", S_IFCHR | 0666, 0x103);
  tree.Special(kRoot, "fifo", S_IFIFO | 0600, 0);
  tree.Link(main, kRoot, "main-hardlink.c");
  tree.SetXattr(main, "user.origin", "test");
  tree.Mkdir(src, "deep");

  ASSERT_OK_AND_ASSIGN(WriteResult r, Snap(tree));
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->files, 7u);  // main.c twice, empty, sparse.img, link, null, fifo
  EXPECT_EQ(r.record->directories, 3u);
  EXPECT_EQ(r.record->bytes, 5000u * 2 + 40000u);
  EXPECT_EQ(r.record->host, "test-host");
  EXPECT_EQ(r.record->parent, SnapshotId());
  EXPECT_EQ(r.trees_rebuilt, 3u);
  EXPECT_GT(r.objects_written, 3u);  // the trees and a list object for main.c
  EXPECT_EQ(tree.dirty_count(), 0u);
  // Every directory of a tree never snapshotted is rebuilt: nobody's parents are looked up.
  EXPECT_EQ(tree.parents_calls, 0u);
  ExpectMatches(tree, kRoot, r.root, "");

  // Holes stay holes: the sparse file's pieces are mostly holes, and read back as zeros.
  ASSERT_OK_AND_ASSIGN(TreeEntry img, reader_->Stat(r.root, "sparse.img"));
  uint64_t hole_bytes = 0;
  ASSERT_OK(reader_->ForEachPiece(img, 0, img.size, [&](uint64_t, const Piece& p) {
    if (p.hole()) hole_bytes += p.length;
    return Status::Ok();
  }));
  EXPECT_EQ(hole_bytes, 8192u + 20480u);  // the all-zero 4 KiB blocks
  ASSERT_OK_AND_ASSIGN(SnapshotRecord stored, snapshots_->Get(Project('p'), r.record->id));
  EXPECT_EQ(stored, *r.record);
}

TEST_F(WriterTest, NoChangeSnapshotWritesNothing) {
  FakeTree tree;
  for (int i = 0; i < 50; ++i) {
    NodeId d = tree.Mkdir(kRoot, "d" + std::to_string(i));
    SetContent(tree, tree.Create(d, "f"), RandomBytes(300, i));
  }
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));
  ASSERT_TRUE(first.record);
  ASSERT_OK_AND_ASSIGN(storage::StoreStats before, chunks_->Stats());
  tree.ResetCounters();

  ASSERT_OK_AND_ASSIGN(WriteResult again, Snap(tree));
  EXPECT_FALSE(again.record);
  EXPECT_EQ(again.root, first.root);
  EXPECT_EQ(again.objects_written, 0u);
  EXPECT_EQ(tree.stat_calls + tree.listdir_calls, 0u);
  ASSERT_OK_AND_ASSIGN(auto list, snapshots_->List(Project('p')));
  EXPECT_EQ(list.size(), 1u);

  // Asked for anyway (a manual snapshot): a record and nothing else.
  ASSERT_OK_AND_ASSIGN(WriteResult forced, Snap(tree, /*force=*/true));
  ASSERT_TRUE(forced.record);
  EXPECT_EQ(forced.record->root, first.root);
  EXPECT_EQ(forced.record->parent, first.record->id);
  EXPECT_EQ(forced.objects_written, 0u);
  EXPECT_EQ(forced.record->new_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(storage::StoreStats after, chunks_->Stats());
  EXPECT_EQ(after.chunks, before.chunks);
  ASSERT_OK_AND_ASSIGN(Bytes record_bytes, EncodeSnapshotRecord(*forced.record));
  EXPECT_LT(record_bytes.size(), 200u);

  // A change that is undone before the snapshot: the tree is the same, so no record.
  NodeId f = tree.node(tree.node(kRoot).entries.at("d3")).entries.at("f");
  uint32_t mode = tree.node(f).meta.mode & 07777;
  tree.Chmod(f, 0600);
  tree.Chmod(f, mode);
  ASSERT_OK_AND_ASSIGN(WriteResult undone, Snap(tree));
  EXPECT_FALSE(undone.record);
  EXPECT_EQ(undone.dirty_marks, 1u);
  EXPECT_EQ(tree.dirty_count(), 0u);
}

TEST_F(WriterTest, ChangesRebuildOnlyTheirPaths) {
  FakeTree tree;
  NodeId a = tree.Mkdir(kRoot, "a");
  NodeId b = tree.Mkdir(a, "b");
  NodeId file = tree.Create(b, "file");
  SetContent(tree, file, RandomBytes(1000, 1));
  NodeId other = tree.Mkdir(kRoot, "other");
  for (int i = 0; i < 20; ++i) tree.Create(other, "x" + std::to_string(i));
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));

  SetContent(tree, file, RandomBytes(1000, 2));
  tree.ResetCounters();
  ASSERT_OK_AND_ASSIGN(WriteResult second, Snap(tree));
  ASSERT_TRUE(second.record);
  EXPECT_EQ(second.trees_rebuilt, 3u);  // /, /a, /a/b
  EXPECT_EQ(second.entries_statted, 1u);
  EXPECT_EQ(tree.stat_calls, 2u);  // the file, and the root for its own attributes
  EXPECT_EQ(tree.listdir_calls, 3u);
  EXPECT_EQ(second.record->parent, first.record->id);
  EXPECT_EQ(second.root, FullRebuild(tree));
  ASSERT_OK_AND_ASSIGN(TreeEntry f, reader_->Stat(second.root, "/a/b/file"));
  ASSERT_OK_AND_ASSIGN(Bytes content, reader_->ReadFile(f, 0, 1000));
  EXPECT_EQ(content, RandomBytes(1000, 2));
  // The file's new data is counted; the unchanged subtree is shared with the first snapshot.
  EXPECT_GE(second.record->new_bytes, 1000u);
  ASSERT_OK_AND_ASSIGN(TreeEntry o1, reader_->Stat(first.root, "other"));
  ASSERT_OK_AND_ASSIGN(TreeEntry o2, reader_->Stat(second.root, "other"));
  EXPECT_EQ(o1.subtree, o2.subtree);
}

TEST_F(WriterTest, ChangeDuringTheSnapshotStaysDirtyForTheNext) {
  FakeTree tree;
  NodeId file = tree.Create(kRoot, "notes.txt");
  SetContent(tree, file, RandomBytes(500, 1));
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));
  SetContent(tree, file, RandomBytes(500, 2));
  // Written while the snapshot of version 2 is being stored: after the frozen view was read.
  tree.before_complete = [&] { SetContent(tree, file, RandomBytes(500, 3)); };
  ASSERT_OK_AND_ASSIGN(WriteResult second, Snap(tree));
  ASSERT_OK_AND_ASSIGN(TreeEntry in_second, reader_->Stat(second.root, "notes.txt"));
  ASSERT_OK_AND_ASSIGN(Bytes v2, reader_->ReadFile(in_second, 0, 500));
  EXPECT_EQ(v2, RandomBytes(500, 2));
  EXPECT_TRUE(tree.IsDirty(file));
  EXPECT_FALSE(tree.IsDirty(kRoot));

  ASSERT_OK_AND_ASSIGN(WriteResult third, Snap(tree));
  ASSERT_TRUE(third.record);
  ASSERT_OK_AND_ASSIGN(TreeEntry in_third, reader_->Stat(third.root, "notes.txt"));
  ASSERT_OK_AND_ASSIGN(Bytes v3, reader_->ReadFile(in_third, 0, 500));
  EXPECT_EQ(v3, RandomBytes(500, 3));
  EXPECT_EQ(tree.dirty_count(), 0u);
}

TEST_F(WriterTest, HardLinksShareAGroupUntilOneNameIsLeft) {
  FakeTree tree;
  NodeId d1 = tree.Mkdir(kRoot, "d1");
  NodeId d2 = tree.Mkdir(kRoot, "d2");
  NodeId f = tree.Create(d1, "f");
  SetContent(tree, f, RandomBytes(100, 1));
  tree.Link(f, d2, "g");
  ASSERT_OK_AND_ASSIGN(WriteResult r1, Snap(tree));
  ASSERT_OK_AND_ASSIGN(TreeEntry e1, reader_->Stat(r1.root, "d1/f"));
  ASSERT_OK_AND_ASSIGN(TreeEntry e2, reader_->Stat(r1.root, "d2/g"));
  EXPECT_NE(e1.link_group, 0u);
  EXPECT_EQ(e1.link_group, e2.link_group);
  // A write through one name shows under both; then one name goes.
  SetContent(tree, f, RandomBytes(100, 2));
  ASSERT_OK_AND_ASSIGN(WriteResult r2, Snap(tree));
  ExpectMatches(tree, kRoot, r2.root, "");
  tree.Unlink(d1, "f");
  ASSERT_OK_AND_ASSIGN(WriteResult r3, Snap(tree));
  ASSERT_OK_AND_ASSIGN(TreeEntry last, reader_->Stat(r3.root, "d2/g"));
  EXPECT_EQ(last.link_group, 0u);
  EXPECT_THAT(reader_->Stat(r3.root, "d1/f"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(r3.root, FullRebuild(tree));
}

TEST_F(WriterTest, LostCachesAndCorruptPreviousTreesFallBackToStat) {
  FakeTree tree;
  NodeId d = tree.Mkdir(kRoot, "d");
  NodeId sub = tree.Mkdir(d, "sub");
  for (int i = 0; i < 10; ++i)
    SetContent(tree, tree.Create(sub, "f" + std::to_string(i)), RandomBytes(200, i));
  NodeId f = tree.Create(d, "changed");
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));
  // /d's previous tree is lost from the store's view (the cache was dropped), and the root's
  // cached tree is corrupt: both are rebuilt from Stat, and the result is still exact.
  tree.DropCache(d);
  ASSERT_OK_AND_ASSIGN(std::optional<ChunkId> root_cache, tree.CachedTreeId(kRoot));
  ASSERT_TRUE(db_->db()
                  ->Put(rocksdb::WriteOptions(), db_->Family(storage::kChunkDataFamily),
                        root_cache->key(), "garbage")
                  .ok());
  tree.Chmod(f, 0600);
  ASSERT_OK_AND_ASSIGN(WriteResult second, Snap(tree));
  ASSERT_TRUE(second.record);
  EXPECT_EQ(second.root, FullRebuild(tree));
  ExpectMatches(tree, kRoot, second.root, "");
  (void)first;
}

TEST_F(WriterTest, ErrorsNameThePathAndClearNoMark) {
  FakeTree tree;
  NodeId d = tree.Mkdir(kRoot, "dir");
  NodeId f = tree.Create(d, "bad");
  tree.SetFakeData(f, 100, 1);
  // Extents out of order: the source is broken.
  FakeTree broken = tree;
  broken.mutable_meta(f).extents = {{50, 10, ChunkId()}, {0, 10, ChunkId()}};
  auto result = Snap(broken);
  EXPECT_THAT(result, StatusMessageHas("/dir/bad"));
  EXPECT_EQ(broken.dirty_count(), tree.dirty_count());
  ASSERT_OK_AND_ASSIGN(auto list, snapshots_->List(Project('p')));
  EXPECT_TRUE(list.empty());
}

TEST_F(WriterTest, LabelsAreCheckedBeforeAnythingIsWritten) {
  FakeTree tree;
  tree.Create(kRoot, "a");
  WriteOptions options;
  options.project = Project('p');
  options.clock = &clock_;
  options.label = "v1";
  ASSERT_OK(writer_->Write(tree, options));
  tree.Create(kRoot, "b");
  clock_.AdvanceMillis(10);
  EXPECT_THAT(writer_->Write(tree, options), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(tree.dirty_count(), 2u);
  options.label = "not a label";
  EXPECT_THAT(writer_->Write(tree, options), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(WriterTest, HugeFileListsAreStoredAndShared) {
  FakeTree tree;
  NodeId big = tree.Create(kRoot, "big");
  Bytes content = RandomBytes(2 << 20, 5);  // ~8000 small chunks: list objects
  SetContent(tree, big, content);
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));
  ASSERT_OK_AND_ASSIGN(TreeEntry e, reader_->Stat(first.root, "big"));
  ASSERT_TRUE(e.data.list);
  ASSERT_OK_AND_ASSIGN(Bytes back, reader_->ReadFile(e, 0, e.size));
  EXPECT_TRUE(back == content);
  ASSERT_OK_AND_ASSIGN(Bytes middle, reader_->ReadFile(e, 1'000'001, 77777));
  EXPECT_TRUE(middle == Bytes(content.begin() + 1'000'001, content.begin() + 1'077'778));

  // One byte changed in the middle: new data is about one chunk, and few list objects are new.
  content[1'500'000] ^= 0xff;
  SetContent(tree, big, content);
  ASSERT_OK_AND_ASSIGN(WriteResult second, Snap(tree));
  ASSERT_TRUE(second.record);
  EXPECT_LE(second.record->new_bytes, 3 * 1024 + second.bytes_written);
  EXPECT_GT(second.record->new_bytes, 0u);
  EXPECT_LE(second.objects_written, 4u);
  ASSERT_OK_AND_ASSIGN(TreeEntry e2, reader_->Stat(second.root, "big"));
  ASSERT_OK_AND_ASSIGN(Bytes back2, reader_->ReadFile(e2, 0, e2.size));
  EXPECT_TRUE(back2 == content);
}

// A directory beyond one object's entries is stored paged and reads back whole; a change
// rewrites one page, and marking for gc reaches every page.
TEST_F(WriterTest, AHugeDirectoryIsStoredInPages) {
  FakeTree tree;
  NodeId big = tree.Mkdir(kRoot, "big");
  std::vector<NodeId> files;
  for (int i = 0; i < 100'000; ++i) {
    NodeId f = tree.Create(big, "entry-" + std::to_string(i));
    tree.SetFakeData(f, 10 + i % 7, i);
    files.push_back(f);
  }
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));
  EXPECT_EQ(first.record->files, 100'000u);
  ASSERT_OK_AND_ASSIGN(TreeEntry dir, reader_->Stat(first.root, "big"));
  ASSERT_OK_AND_ASSIGN(TreeObject whole, reader_->Tree(dir.subtree, "/big"));
  EXPECT_EQ(whole.entries.size(), 100'000u);
  EXPECT_GE(whole.pages.size(), 100'000u / 16384);
  ASSERT_NE(whole.Find("entry-77777"), nullptr);
  EXPECT_EQ(whole.Find("entry-77777")->size, 10u + 77777 % 7);

  tree.SetFakeData(files[54321], 999, 424242);
  ASSERT_OK_AND_ASSIGN(WriteResult second, Snap(tree));
  // The changed page, the directory's top object and the root (the file's data is fake).
  EXPECT_LE(second.objects_written, 3u);
  ASSERT_OK_AND_ASSIGN(TreeEntry changed, reader_->Stat(second.root, "big/entry-54321"));
  EXPECT_EQ(changed.size, 999u);

  storage::ChunkIdSet marked;
  ASSERT_OK(MarkReachable(*chunks_, std::vector<ChunkId>{second.root}, &marked));
  ASSERT_OK_AND_ASSIGN(TreeEntry dir2, reader_->Stat(second.root, "big"));
  ASSERT_OK_AND_ASSIGN(TreeObject whole2, reader_->Tree(dir2.subtree, "/big"));
  for (const TreePage& page : whole2.pages) EXPECT_TRUE(marked.count(page.id)) << page.id.ToHex();
}

// The writer announces what it will stat a window at a time: every stat'ed entry was announced
// first (the root, an entry of no directory, excepted), and no announcement holds more than a few
// thousand entries of a big directory.
TEST_F(WriterTest, AnnouncesStatsInBoundedWindows) {
  FakeTree tree;
  NodeId big = tree.Mkdir(kRoot, "big");
  for (int i = 0; i < 10'000; ++i) {
    tree.SetFakeData(tree.Create(big, "entry-" + std::to_string(i)), 10, i);
  }
  ASSERT_OK_AND_ASSIGN(WriteResult first, Snap(tree));
  EXPECT_EQ(first.record->files, 10'000u);
  EXPECT_EQ(tree.unannounced_stats, std::vector<NodeId>{kRoot});
  EXPECT_TRUE(tree.announced.empty());
  ASSERT_GE(tree.prefetch_sizes.size(), 3u);
  for (size_t n : tree.prefetch_sizes) EXPECT_LE(n, 4096u);
}

// O(change): 10 changed files in a 100k-node tree cost work bounded by changed x depth.
TEST_F(WriterTest, CostFollowsTheChangeNotTheTree) {
  FakeTree tree;
  std::vector<NodeId> files;
  for (int i = 0; i < 100; ++i) {
    NodeId top = tree.Mkdir(kRoot, "top" + std::to_string(i));
    for (int j = 0; j < 10; ++j) {
      NodeId mid = tree.Mkdir(top, "mid" + std::to_string(j));
      for (int k = 0; k < 100; ++k) {
        NodeId f = tree.Create(mid, "file" + std::to_string(k));
        tree.SetFakeData(f, 1000 + k, i * 1000 + j * 100 + k);
        files.push_back(f);
      }
    }
  }
  ASSERT_OK_AND_ASSIGN(WriteResult full, Snap(tree));
  EXPECT_EQ(full.record->files, 100'000u);
  EXPECT_EQ(full.record->directories, 1u + 100u + 1000u);

  std::mt19937_64 rng(7);
  std::set<NodeId> changed;
  while (changed.size() < 10) changed.insert(files[rng() % files.size()]);
  for (NodeId f : changed) tree.SetFakeData(f, 5000, 1'000'000 + f);
  tree.ResetCounters();
  ASSERT_OK_AND_ASSIGN(WriteResult r, Snap(tree));
  const uint64_t depth = 3;
  EXPECT_LE(tree.stat_calls, changed.size() + 1);  // + the root's own attributes
  EXPECT_LE(tree.listdir_calls, changed.size() * depth + 1);
  EXPECT_LE(tree.parents_calls, changed.size() * (depth + 1));
  EXPECT_LE(r.trees_rebuilt, changed.size() * depth + 1);
  EXPECT_EQ(r.record->files, 100'000u);
  std::printf("10 changes in 100k files: %lld us (full snapshot %lld us)\n",
              static_cast<long long>(r.elapsed_us), static_cast<long long>(full.elapsed_us));
}

// Random operations interleaved with snapshots; every snapshot must hold exactly the tree at that
// moment, and equal a from-scratch snapshot of it.
TEST_F(WriterTest, RandomizedModel) {
  for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    FakeTree tree;
    std::mt19937_64 rng(seed);
    auto pick = [&](const std::vector<NodeId>& v) { return v[rng() % v.size()]; };
    const std::vector<std::string> names = {
        "a",        "b",      "c",      "d", "e", "f", "long-name-" + std::string(200, 'x'),
        "\xff\xfe", "sp ace", "Ünïcode"};
    auto name = [&] { return names[rng() % names.size()]; };
    auto snapshots = 0;
    for (int op = 0; op < 1200; ++op) {
      std::vector<NodeId> dirs, files, all;
      for (const auto& [id, n] : tree.nodes()) {
        if (S_ISDIR(n.meta.mode)) dirs.push_back(id);
        if (S_ISREG(n.meta.mode)) files.push_back(id);
        if (id != kRoot) all.push_back(id);
      }
      NodeId dir = pick(dirs);
      std::string nm = name();
      bool free = tree.node(dir).entries.count(nm) == 0;
      const int kind = static_cast<int>(rng() % 16);
      switch (kind) {
        case 0:
        case 1:
          if (free) {
            NodeId f = tree.Create(dir, nm);
            bool big = rng() % 8 == 0;
            Bytes content = RandomBytes(big ? 20000 + rng() % 20000 : rng() % 3000, rng());
            bool sparse = rng() % 3 == 0;
            if (sparse && content.size() > 9000)
              std::fill(content.begin() + 100, content.begin() + 9000, 0);
            SetContent(tree, f, content, sparse);
          }
          break;
        case 2:
          if (!files.empty()) {
            NodeId f = pick(files);
            Bytes content = tree.node(f).content;
            Bytes more = RandomBytes(rng() % 500 + 1, rng());
            if (rng() % 2 && !content.empty()) {
              size_t at = rng() % content.size();
              std::copy_n(more.begin(), std::min(more.size(), content.size() - at),
                          content.begin() + at);
            } else {
              content.insert(content.end(), more.begin(), more.end());
            }
            SetContent(tree, f, content);
          }
          break;
        case 3:
          if (free) tree.Mkdir(dir, nm);
          break;
        case 4:
        case 5: {
          if (all.empty()) break;
          NodeId node = pick(all);
          const auto& parents = tree.node(node).parents;
          NodeId from = parents[rng() % parents.size()];
          std::string from_name;
          for (const auto& [n, id] : tree.node(from).entries) {
            if (id == node) from_name = n;
          }
          // No directory into itself or below itself; no replacing a directory.
          bool ok = true;
          for (NodeId up = dir; ok && up != kRoot; up = tree.node(up).parents[0]) ok = up != node;
          auto dest = tree.node(dir).entries.find(nm);
          if (dest != tree.node(dir).entries.end()) {
            ok = ok && !tree.IsDir(dest->second) && !tree.IsDir(node) && dest->second != node;
          }
          if (ok) tree.Rename(from, from_name, dir, nm);
          break;
        }
        case 6:
          if (free && !files.empty()) tree.Link(pick(files), dir, nm);
          break;
        case 7:
        case 8: {
          if (tree.node(dir).entries.empty()) break;
          auto it = tree.node(dir).entries.begin();
          std::advance(it, rng() % tree.node(dir).entries.size());
          if (!tree.IsDir(it->second) || tree.node(it->second).entries.empty()) {
            tree.Unlink(dir, it->first);
          }
          break;
        }
        case 9:
          if (!all.empty()) tree.Chmod(pick(all), rng() % 07777);
          break;
        case 10:
          if (!all.empty()) tree.Chown(pick(all), rng() % 3, rng() % 3);
          break;
        case 11:
          if (!all.empty()) {
            NodeId n = pick(all);
            if (rng() % 3 == 0) {
              tree.RemoveXattr(n, "user.a");
            } else {
              tree.SetXattr(n, rng() % 2 ? "user.a" : "user.b", std::string(rng() % 100, 'v'));
            }
          }
          break;
        case 12:
          if (free) {
            switch (rng() % 3) {
              case 0:
                tree.Symlink(dir, nm, "../" + name());
                break;
              case 1:
                tree.Special(dir, nm, S_IFIFO | 0644, 0);
                break;
              default:
                tree.Special(dir, nm, S_IFBLK | 0660, rng() % 1000);
                break;
            }
          }
          break;
        case 13:
          tree.DropCache(dir);
          break;
        default: {
          // A project per seed: each tree has its own history.
          ASSERT_OK_AND_ASSIGN(WriteResult r, Snap(tree, false, static_cast<char>('p' + seed)));
          ++snapshots;
          ExpectMatches(tree, kRoot, r.root, "");
          EXPECT_EQ(r.root, FullRebuild(tree));
          if (r.record) {
            uint64_t files = 0, directories = 1, bytes = 0;
            for (const auto& [id, n] : tree.nodes()) {
              for (const auto& [child_name, child] : n.entries) {
                const auto& meta = tree.node(child).meta;
                if (S_ISDIR(meta.mode)) {
                  ++directories;
                } else {
                  ++files;
                  if (S_ISREG(meta.mode)) bytes += meta.size;
                }
              }
            }
            EXPECT_EQ(r.record->files, files);
            EXPECT_EQ(r.record->directories, directories);
            EXPECT_EQ(r.record->bytes, bytes);
          }
          EXPECT_EQ(tree.dirty_count(), 0u);
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
    EXPECT_GT(snapshots, 100);
  }
}

}  // namespace
}  // namespace berth::snapshot
