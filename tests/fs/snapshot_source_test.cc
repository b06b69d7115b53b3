#include "fs/snapshot_source.h"

#include <gtest/gtest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "base/clock.h"
#include "base/coding.h"
#include "fs/file_data.h"
#include "fs/internal/keys.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"
#include "storage/secret_key.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::fs {
namespace {

using berth::testing::TempDir;
using snapshot::DirtyMark;
using snapshot::NodeId;

// The live tree's side of the snapshot contract (snapshot/tree_source.h): which nodes are
// dirty, the frozen view, and Complete() clearing exactly the marks that did not move.
class SnapshotSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.extra_families = LiveTreeFamilies();
    auto db = storage::Database::Open(dir_.Sub("db"), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    storage::StoreOptions store;
    store.dedup_key = storage::SecretKey::Generate();
    auto chunks = storage::ChunkStore::Open(db_.get(), store);
    ASSERT_TRUE(chunks.ok());
    chunks_ = std::move(chunks).value();
    ASSERT_OK(Reopen());
  }
  Status Reopen() {
    data_.reset();
    tree_.reset();
    ASSIGN_OR_RETURN(tree_, LiveTree::Open(db_.get(), project_, Caller{}, &clock_));
    FileDataOptions options;
    options.dirty_dir = dir_.Sub("dirty");
    options.clock = &clock_;
    ASSIGN_OR_RETURN(data_, FileData::Open(tree_.get(), chunks_.get(), &chunker_, options));
    return Status::Ok();
  }
  // The dirty nodes as a sorted list of inode numbers.
  std::vector<NodeId> Dirty(snapshot::TreeSource& source) {
    auto marks = source.DirtyNodes();
    EXPECT_TRUE(marks.ok()) << marks.status().ToString();
    std::vector<NodeId> nodes;
    if (marks.ok()) {
      for (const DirtyMark& m : *marks) nodes.push_back(m.node);
    }
    std::sort(nodes.begin(), nodes.end());
    return nodes;
  }
  // Consumes every mark, as a snapshot that saw them all would.
  void CompleteAll() {
    auto source = tree_->OpenSnapshotSource();
    auto marks = source->DirtyNodes();
    ASSERT_TRUE(marks.ok());
    ASSERT_OK(source->Complete({}, *marks));
  }
  Ino Make(Ino parent, const std::string& name, uint32_t mode) {
    auto made = S_ISDIR(mode) ? tree_->MakeDir(parent, name, mode & 07777, Caller{})
                              : tree_->MakeNode(parent, name, mode, 0, Caller{});
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->ino : 0;
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000'000'000'000};
  ProjectId project_ = ProjectId::Generate();
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::ChunkStore> chunks_;
  storage::Chunker chunker_;
  std::unique_ptr<LiveTree> tree_;
  std::unique_ptr<FileData> data_;
};

TEST_F(SnapshotSourceTest, NewTreeHasItsRootDirty) {
  auto source = tree_->OpenSnapshotSource();
  EXPECT_EQ(source->root(), kRootIno);
  EXPECT_EQ(Dirty(*source), std::vector<NodeId>{kRootIno});
  auto cached = source->CachedTreeId(kRootIno);
  ASSERT_TRUE(cached.ok());
  EXPECT_FALSE(cached->has_value());
}

TEST_F(SnapshotSourceTest, ChangesMarkTheChangedNodesOnly) {
  const Ino docs = Make(kRootIno, "docs", S_IFDIR | 0755);
  const Ino deep = Make(docs, "deep", S_IFDIR | 0755);
  const Ino paper = Make(deep, "paper.tex", S_IFREG | 0644);
  const Ino other = Make(kRootIno, "other", S_IFREG | 0644);
  CompleteAll();
  EXPECT_TRUE(Dirty(*tree_->OpenSnapshotSource()).empty());

  // A data change marks the file alone; its directories are found through its parents.
  ASSERT_OK(data_->Write(paper, 0, AsBytes(std::string_view("\\section{Intro}"))));
  ASSERT_OK(data_->Commit(paper));
  auto source = tree_->OpenSnapshotSource();
  EXPECT_EQ(Dirty(*source), std::vector<NodeId>{paper});
  auto parents = source->ParentsOf(paper);
  ASSERT_TRUE(parents.ok());
  EXPECT_EQ(*parents, std::vector<NodeId>{deep});
  ASSERT_OK(source->Complete({}, *source->DirtyNodes()));

  // chmod, xattrs, and a rename (which moves the renamed file's ctime) all mark.
  ASSERT_OK(tree_->SetAttr(other, AttrChange{.mode = 0600}));
  EXPECT_EQ(Dirty(*tree_->OpenSnapshotSource()), std::vector<NodeId>{other});
  CompleteAll();
  ASSERT_OK(tree_->SetXattr(other, "user.k", AsBytes(std::string_view("v")), 0));
  EXPECT_EQ(Dirty(*tree_->OpenSnapshotSource()), std::vector<NodeId>{other});
  CompleteAll();
  ASSERT_OK(tree_->Rename(kRootIno, "other", docs, "moved", 0));
  EXPECT_EQ(Dirty(*tree_->OpenSnapshotSource()), (std::vector<NodeId>{kRootIno, docs, other}));
}

TEST_F(SnapshotSourceTest, HardLinksHaveEveryParent) {
  const Ino a = Make(kRootIno, "a", S_IFDIR | 0755);
  const Ino b = Make(kRootIno, "b", S_IFDIR | 0755);
  const Ino file = Make(a, "f", S_IFREG | 0644);
  ASSERT_OK(tree_->Link(file, b, "g"));
  ASSERT_OK(tree_->Link(file, b, "h"));
  auto parents = tree_->OpenSnapshotSource()->ParentsOf(file);
  ASSERT_TRUE(parents.ok());
  EXPECT_EQ(*parents, (std::vector<NodeId>{a, b}));

  ASSERT_OK(tree_->Unlink(a, "f"));
  ASSERT_OK(tree_->Unlink(b, "g"));
  parents = tree_->OpenSnapshotSource()->ParentsOf(file);
  ASSERT_TRUE(parents.ok());
  EXPECT_EQ(*parents, std::vector<NodeId>{b});

  // The last name gone: no parents; once freed, no mark either.
  ASSERT_OK(tree_->Unlink(b, "h"));
  auto source = tree_->OpenSnapshotSource();
  parents = source->ParentsOf(file);
  ASSERT_TRUE(parents.ok());
  EXPECT_TRUE(parents->empty());
  ASSERT_OK(tree_->ReleaseOrphan(file));
  auto dirty = Dirty(*tree_->OpenSnapshotSource());
  EXPECT_EQ(std::count(dirty.begin(), dirty.end(), file), 0);
}

TEST_F(SnapshotSourceTest, ReadsAFrozenViewAndKeepsMarksThatMovedMeanwhile) {
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  const Ino file = Make(dir, "f", S_IFREG | 0644);
  auto source = tree_->OpenSnapshotSource();
  auto seen = source->DirtyNodes();
  ASSERT_TRUE(seen.ok());

  // After the view was taken: a new name and a chmod of a file the view saw as dirty.
  Make(dir, "later", S_IFREG | 0644);
  ASSERT_OK(tree_->SetAttr(file, AttrChange{.mode = 0600}));
  auto listing = source->ListDir(dir);
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->size(), 1u);
  EXPECT_EQ((*listing)[0].name, "f");
  auto meta = source->Stat(file);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->mode, S_IFREG | 0644u);

  const storage::ChunkId some_tree = chunks_->IdOf(AsBytes(std::string_view("tree")));
  std::vector<std::pair<NodeId, storage::ChunkId>> trees = {{dir, some_tree}};
  ASSERT_OK(source->Complete(trees, *seen));
  // The root was unchanged since the view: clean. The file and the directory moved: dirty.
  auto next = tree_->OpenSnapshotSource();
  EXPECT_EQ(Dirty(*next), (std::vector<NodeId>{dir, file, file + 1}));
  auto cached = next->CachedTreeId(dir);
  ASSERT_TRUE(cached.ok());
  ASSERT_TRUE(cached->has_value());
  EXPECT_EQ(**cached, some_tree);
}

// Complete() walks the marks with one iterator, stepping over near ones and seeking far ones:
// among thousands, exactly those that moved after the view stay, whatever order they come in.
TEST_F(SnapshotSourceTest, CompleteKeepsExactlyTheMovedMarksAmongMany) {
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  std::vector<Ino> files;
  for (int i = 0; i < 3000; ++i) files.push_back(Make(dir, "f" + std::to_string(i), S_IFREG | 0644));
  for (bool reversed : {false, true}) {
    SCOPED_TRACE(reversed ? "marks in reverse order" : "marks in key order");
    auto source = tree_->OpenSnapshotSource();
    auto seen = source->DirtyNodes();
    ASSERT_TRUE(seen.ok());
    std::vector<NodeId> moved;
    // Isolated ones (reached by seeking) and a dense run (reached by stepping).
    for (size_t i = 0; i < files.size(); i += (i >= 1000 && i < 1040) ? 1 : 97) {
      ASSERT_OK(tree_->SetAttr(files[i], AttrChange{.mode = reversed ? 0600u : 0640u}));
      moved.push_back(files[i]);
    }
    std::vector<DirtyMark> consumed = *seen;
    if (reversed) std::reverse(consumed.begin(), consumed.end());
    ASSERT_OK(source->Complete({}, consumed));
    EXPECT_EQ(Dirty(*tree_->OpenSnapshotSource()), moved);
  }
}

TEST_F(SnapshotSourceTest, StatGivesMetadataXattrsAndExtents) {
  const Ino file = Make(kRootIno, "data.bin", S_IFREG | 0640);
  ASSERT_OK(tree_->SetXattr(file, "user.b", AsBytes(std::string_view("2")), 0));
  ASSERT_OK(tree_->SetXattr(file, "user.a", AsBytes(std::string_view("1")), 0));
  Bytes content(300'000, 7);
  ASSERT_OK(data_->Write(file, 1 << 20, content));  // a hole of 1 MiB first
  ASSERT_OK(data_->Commit(file));
  auto meta = tree_->OpenSnapshotSource()->Stat(file);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->mode, S_IFREG | 0640u);
  EXPECT_EQ(meta->size, (1u << 20) + content.size());
  ASSERT_EQ(meta->xattrs.size(), 2u);
  EXPECT_EQ(meta->xattrs[0].first, "user.a");
  EXPECT_EQ(meta->xattrs[1].second, "2");
  ASSERT_FALSE(meta->extents.empty());
  EXPECT_EQ(meta->extents.front().offset, 1u << 20);
  uint64_t covered = 0;
  for (const auto& e : meta->extents) covered += e.length;
  EXPECT_EQ(covered, content.size());

  auto gone = tree_->OpenSnapshotSource()->Stat(file + 100);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
}

// Prefetch reads in inode order what Stat then hands out in any order: the same metadata as a
// plain Stat, and a node the view does not hold stays NotFound.
TEST_F(SnapshotSourceTest, PrefetchedStatsEqualPlainOnes) {
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  std::vector<Ino> nodes;
  for (int i = 0; i < 40; ++i) {
    const Ino ino = Make(dir, "f" + std::to_string(i), S_IFREG | (0600 + i));
    if (i % 3 == 0) ASSERT_OK(data_->Write(ino, 70'000 * i, Bytes(100'000 + i, uint8_t(i + 1))));
    if (i % 7 == 0) ASSERT_OK(tree_->SetXattr(ino, "user.i", AsBytes(std::to_string(i)), 0));
    nodes.push_back(ino);
  }
  nodes.push_back(Make(dir, "sub", S_IFDIR | 0700));
  ASSERT_OK(data_->CommitAll());
  const NodeId missing = nodes.back() + 1000;

  auto plain = tree_->OpenSnapshotSource();
  auto ahead = tree_->OpenSnapshotSource();
  std::vector<NodeId> asked(nodes.rbegin(), nodes.rend());  // not in inode order
  asked.push_back(missing);
  ASSERT_OK(ahead->Prefetch(asked));
  for (NodeId node : asked) {
    SCOPED_TRACE("inode " + std::to_string(node));
    auto want = plain->Stat(node);
    auto got = ahead->Stat(node);
    ASSERT_EQ(got.ok(), want.ok()) << got.status().ToString();
    if (!want.ok()) {
      EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
      continue;
    }
    EXPECT_EQ(got->mode, want->mode);
    EXPECT_EQ(got->size, want->size);
    EXPECT_EQ(got->mtime_ns, want->mtime_ns);
    EXPECT_EQ(got->xattrs, want->xattrs);
    ASSERT_EQ(got->extents.size(), want->extents.size());
    for (size_t i = 0; i < got->extents.size(); ++i) {
      EXPECT_EQ(got->extents[i].offset, want->extents[i].offset);
      EXPECT_EQ(got->extents[i].length, want->extents[i].length);
      EXPECT_EQ(got->extents[i].chunk, want->extents[i].chunk);
    }
  }
  // Handed out once: a second Stat reads the view again, and agrees.
  auto again = ahead->Stat(nodes[3]);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size, 70'000u * 3 + 100'003u);
}

TEST_F(SnapshotSourceTest, OneSourceAnswersManyReadsInAnyOrder) {
  // Neighbouring inodes: a scan of one must stop before the next one's xattrs and extents.
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  const Ino a = Make(dir, "a", S_IFREG | 0644);
  const Ino b = Make(dir, "b", S_IFREG | 0644);
  const Ino c = Make(kRootIno, "c", S_IFREG | 0644);
  ASSERT_OK(tree_->SetXattr(a, "user.a", AsBytes(std::string_view("1")), 0));
  ASSERT_OK(tree_->SetXattr(c, "user.c", AsBytes(std::string_view("3")), 0));
  ASSERT_OK(data_->Write(a, 0, AsBytes(std::string_view("aaaa"))));
  ASSERT_OK(data_->Commit(a));
  ASSERT_OK(data_->Write(c, 0, AsBytes(std::string_view("cc"))));
  ASSERT_OK(data_->Commit(c));

  auto source = tree_->OpenSnapshotSource();
  for (int round = 0; round < 2; ++round) {
    for (Ino ino : {c, b, a, b}) {
      auto meta = source->Stat(ino);
      ASSERT_TRUE(meta.ok()) << meta.status().ToString();
      if (ino == b) {
        EXPECT_TRUE(meta->xattrs.empty());
        EXPECT_TRUE(meta->extents.empty());
        continue;
      }
      ASSERT_EQ(meta->xattrs.size(), 1u);
      EXPECT_EQ(meta->xattrs[0].first, ino == a ? "user.a" : "user.c");
      ASSERT_EQ(meta->extents.size(), 1u);
      EXPECT_EQ(meta->extents[0].length, ino == a ? 4u : 2u);
    }
    auto listing = source->ListDir(dir);
    ASSERT_TRUE(listing.ok());
    EXPECT_EQ(listing->size(), 2u);
    auto root = source->ListDir(kRootIno);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(root->size(), 2u);
    auto empty = source->ListDir(c);
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
    auto parents = source->ParentsOf(b);
    ASSERT_TRUE(parents.ok());
    EXPECT_EQ(*parents, std::vector<NodeId>{dir});
    EXPECT_EQ(source->Stat(c + 100).status().code(), StatusCode::kNotFound);
  }
}

// The first snapshot after an import clears one mark per file. Left as tombstones, every later
// DirtyNodes would step over all of them, and a small snapshot would cost as much as the project
// is large.
TEST_F(SnapshotSourceTest, ClearingManyMarksLeavesNoTombstonesToStepOver) {
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  for (uint64_t i = 0; i < LiveTreeSource::kCompactAfterClearedMarks; ++i) {
    Make(dir, "f" + std::to_string(i), S_IFREG | 0644);
  }
  CompleteAll();
  const Ino added = Make(dir, "new", S_IFREG | 0644);

  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  EXPECT_EQ(Dirty(*tree_->OpenSnapshotSource()), (std::vector<NodeId>{dir, added}));
  EXPECT_LT(rocksdb::get_perf_context()->internal_delete_skipped_count, 16u);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
}

// Tombstones that got there otherwise (many small snapshots, an older version that did not
// compact) go once a DirtyNodes has stepped over many of them, even when that snapshot finds
// nothing to do and never completes (as the writer does for an unchanged tree).
TEST_F(SnapshotSourceTest, ScanOverManyTombstonesCompactsThemAway) {
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  std::vector<Ino> files;
  for (uint64_t i = 0; i < LiveTreeSource::kCompactAfterClearedMarks; ++i) {
    files.push_back(Make(dir, "f" + std::to_string(i), S_IFREG | 0644));
  }
  CompleteAll();
  // Dirty them again and clear the marks behind the source's back, as an older version did.
  rocksdb::WriteBatch batch;
  for (Ino ino : files) {
    ASSERT_OK(tree_->SetAttr(ino, AttrChange{.mode = 0600}));
    batch.Delete(db_->Family(kDirtyFamily), internal::InodeKey(project_, ino));
  }
  ASSERT_OK(db_->Write(&batch));

  auto count_skipped = [&] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    auto source = tree_->OpenSnapshotSource();
    auto marks = source->DirtyNodes();
    EXPECT_TRUE(marks.ok());
    const uint64_t skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return skipped;
  };
  EXPECT_GE(count_skipped(), LiveTreeSource::kCompactAfterClearedMarks);
  EXPECT_LT(count_skipped(), 16u);
}

TEST_F(SnapshotSourceTest, TreeOfTheFirstFormatGetsItsNameLinksAtOpen) {
  const Ino dir = Make(kRootIno, "d", S_IFDIR | 0755);
  const Ino file = Make(dir, "f", S_IFREG | 0644);
  ASSERT_OK(tree_->Link(file, kRootIno, "g"));
  data_.reset();
  tree_.reset();
  // Rewrite it as a version 1 tree: state version 1 and no links.
  const std::string prefix(project_.key());
  rocksdb::WriteBatch batch;
  batch.DeleteRange(db_->Family(kLinkFamily), prefix, internal::PrefixEnd(prefix));
  std::string state;
  ASSERT_TRUE(db_->db()
                  ->Get(rocksdb::ReadOptions(), db_->Family(kInodeFamily),
                        internal::TreeStateKey(project_), &state)
                  .ok());
  state[0] = 1;
  batch.Put(db_->Family(kInodeFamily), internal::TreeStateKey(project_), state);
  ASSERT_OK(db_->Write(&batch));

  ASSERT_OK(Reopen());
  auto parents = tree_->OpenSnapshotSource()->ParentsOf(file);
  ASSERT_TRUE(parents.ok());
  EXPECT_EQ(*parents, (std::vector<NodeId>{kRootIno, dir}));
}

}  // namespace
}  // namespace berth::fs
