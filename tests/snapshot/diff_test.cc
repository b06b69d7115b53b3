// Merkle diff of two snapshots against a brute-force diff of their full listings, and its cost.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "snapshot/snapshot_diff.h"
#include "snapshot/snapshot_writer.h"
#include "tests/snapshot/fake_tree_source.h"
#include "tests/snapshot/snapshot_fixture.h"

namespace berth::snapshot {
namespace {

using berth::testing::RandomBytes;
using storage::ChunkId;
constexpr NodeId kRoot = FakeTree::kRoot;

using Listing = std::map<std::string, TreeEntry>;
using ChangeSet = std::set<std::pair<std::string, std::string>>;  // (path, kind)

class DiffTest : public SnapshotStoreTest {
 protected:
  void SetUp() override {
    SnapshotStoreTest::SetUp();
    writer_.emplace(chunks_.get(), snapshots_.get());
    reader_.emplace(chunks_.get());
  }

  ChunkId Snap(FakeTree& tree) {
    WriteOptions options;
    options.project = ProjectKey(std::string(16, 'd'));
    options.clock = &clock_;
    options.sync = false;
    options.force = true;
    clock_.AdvanceMillis(1000);
    auto r = writer_->Write(tree, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->root : ChunkId();
  }

  Listing Everything(const ChunkId& root) {
    Listing all;
    EXPECT_OK(reader_->Walk(root, [&](const std::string& path, const TreeEntry& e) -> Result<bool> {
      all[path] = e;
      return true;
    }));
    return all;
  }

  // The brute-force diff: compare full listings path by path.
  ChangeSet BruteForce(const ChunkId& a, const ChunkId& b, bool expand) {
    Listing before = Everything(a), after = Everything(b);
    ChangeSet out;
    std::set<std::string> removed_dirs, added_dirs;
    auto under = [](const std::set<std::string>& dirs, const std::string& path) {
      for (const std::string& d : dirs) {
        if (path.starts_with(d + "/")) return true;
      }
      return false;
    };
    for (const auto& [path, e] : before) {
      auto it = after.find(path);
      bool gone = it == after.end() || it->second.type != e.type;
      if (gone && (expand || !under(removed_dirs, path))) out.emplace(path, "removed");
      if (gone && e.is_dir()) removed_dirs.insert(path);
    }
    for (const auto& [path, e] : after) {
      auto it = before.find(path);
      bool fresh = it == before.end() || it->second.type != e.type;
      if (fresh && (expand || !under(added_dirs, path))) out.emplace(path, "added");
      if (fresh && e.is_dir()) added_dirs.insert(path);
      if (fresh) continue;
      TreeEntry x = it->second, y = e;
      if (x.is_dir()) {
        x.subtree = y.subtree = ChunkId();
        x.subtree_totals = y.subtree_totals = Totals();
      }
      if (!(x == y)) out.emplace(path, "modified");
    }
    return out;
  }

  ChangeSet Merkle(const ChunkId& a, const ChunkId& b, bool expand,
                   uint64_t* trees_read = nullptr) {
    auto diff = DiffTrees(*reader_, a, b, DiffOptions{expand});
    EXPECT_TRUE(diff.ok()) << diff.status().ToString();
    ChangeSet out;
    if (!diff.ok()) return out;
    for (const Change& c : diff->changes) {
      EXPECT_TRUE(out.emplace(c.path, ChangeKindName(c.kind)).second) << "twice: " << c.path;
      EXPECT_EQ(c.before.has_value(), c.kind != ChangeKind::kAdded);
      EXPECT_EQ(c.after.has_value(), c.kind != ChangeKind::kRemoved);
    }
    if (trees_read) *trees_read = diff->trees_read;
    return out;
  }

  std::optional<SnapshotWriter> writer_;
  std::optional<SnapshotReader> reader_;
};

TEST_F(DiffTest, ReportsAddedRemovedAndModified) {
  FakeTree tree;
  NodeId docs = tree.Mkdir(kRoot, "docs");
  NodeId a = tree.Create(docs, "a");
  tree.SetFakeData(a, 10, 1);
  NodeId old_dir = tree.Mkdir(kRoot, "old");
  tree.Create(old_dir, "x");
  tree.Create(kRoot, "becomes-dir");
  ChunkId first = Snap(tree);

  tree.SetFakeData(a, 20, 2);
  tree.Unlink(old_dir, "x");
  tree.Unlink(kRoot, "old");
  tree.Unlink(kRoot, "becomes-dir");
  NodeId now_dir = tree.Mkdir(kRoot, "becomes-dir");
  tree.Create(now_dir, "inside");
  tree.Chmod(docs, 0700);
  tree.Create(docs, "b");
  ChunkId second = Snap(tree);

  ChangeSet want = {{"/docs", "modified"}, {"/docs/a", "modified"},     {"/docs/b", "added"},
                    {"/old", "removed"},   {"/becomes-dir", "removed"}, {"/becomes-dir", "added"}};
  // A type change is two changes on one path; a set of pairs keeps both.
  auto diff = DiffTrees(*reader_, first, second);
  ASSERT_TRUE(diff.ok());
  ChangeSet got;
  for (const Change& c : diff->changes) got.emplace(c.path, ChangeKindName(c.kind));
  EXPECT_EQ(got, want);
  ASSERT_OK_AND_ASSIGN(DiffResult none, DiffTrees(*reader_, second, second));
  EXPECT_TRUE(none.changes.empty());
  EXPECT_EQ(none.trees_read, 0u);
}

TEST_F(DiffTest, ReportsAChangeOfTheRootItself) {
  FakeTree tree;
  tree.Create(kRoot, "a");
  ChunkId first = Snap(tree);
  tree.Chmod(kRoot, 0700);
  ChunkId second = Snap(tree);
  ASSERT_NE(first, second);
  ASSERT_OK_AND_ASSIGN(DiffResult diff, DiffTrees(*reader_, first, second));
  ASSERT_EQ(diff.changes.size(), 1u);
  const Change& c = diff.changes[0];
  EXPECT_EQ(c.path, "/");
  EXPECT_EQ(c.kind, ChangeKind::kModified);
  ASSERT_TRUE(c.before && c.after);
  EXPECT_EQ(c.after->perms, 0700u);
  EXPECT_NE(c.before->perms, 0700u);
}

TEST_F(DiffTest, EqualsABruteForceDiffOnRandomChanges) {
  for (uint64_t seed : {11, 12, 13, 14}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    FakeTree tree;
    std::mt19937_64 rng(seed);
    std::vector<NodeId> dirs = {kRoot};
    for (int i = 0; i < 300; ++i) {
      NodeId parent = dirs[rng() % dirs.size()];
      std::string name = "n" + std::to_string(rng() % 40);
      if (tree.node(parent).entries.count(name)) continue;
      if (rng() % 4 == 0) {
        dirs.push_back(tree.Mkdir(parent, name));
      } else {
        tree.SetFakeData(tree.Create(parent, name), rng() % 5000, rng());
      }
    }
    ChunkId before = Snap(tree);
    for (int i = 0; i < 40; ++i) {
      std::vector<NodeId> nodes;
      for (const auto& [id, n] : tree.nodes()) {
        if (id != kRoot) nodes.push_back(id);
      }
      NodeId n = nodes[rng() % nodes.size()];
      NodeId parent = tree.node(n).parents[0];
      std::string name;
      for (const auto& [nm, id] : tree.node(parent).entries) {
        if (id == n) name = nm;
      }
      switch (rng() % 5) {
        case 0:
          if (!tree.IsDir(n)) tree.SetFakeData(n, rng() % 5000, rng());
          break;
        case 1:
          tree.Chmod(n, rng() % 01000);
          break;
        case 2:
          if (!tree.IsDir(n) || tree.node(n).entries.empty()) tree.Unlink(parent, name);
          break;
        case 3:
          if (!tree.node(parent).entries.count(name + "x"))
            tree.Rename(parent, name, parent, name + "x");
          break;
        default:
          if (tree.IsDir(n) && !tree.node(n).entries.count("new")) tree.Mkdir(n, "new");
      }
    }
    ChunkId after = Snap(tree);
    EXPECT_EQ(Merkle(before, after, /*expand=*/true), BruteForce(before, after, true));
    EXPECT_EQ(Merkle(before, after, /*expand=*/false), BruteForce(before, after, false));
    EXPECT_EQ(Merkle(after, before, /*expand=*/true), BruteForce(after, before, true));
  }
}

TEST_F(DiffTest, CostFollowsTheDifference) {
  FakeTree tree;
  std::vector<NodeId> files;
  for (int i = 0; i < 100; ++i) {
    NodeId top = tree.Mkdir(kRoot, "top" + std::to_string(i));
    for (int j = 0; j < 10; ++j) {
      NodeId mid = tree.Mkdir(top, "mid" + std::to_string(j));
      for (int k = 0; k < 100; ++k) {
        NodeId f = tree.Create(mid, "f" + std::to_string(k));
        tree.SetFakeData(f, 100, i * 10000 + j * 100 + k);
        files.push_back(f);
      }
    }
  }
  ChunkId before = Snap(tree);
  std::mt19937_64 rng(3);
  std::set<NodeId> changed;
  while (changed.size() < 10) changed.insert(files[rng() % files.size()]);
  for (NodeId f : changed) tree.SetFakeData(f, 200, f);
  ChunkId after = Snap(tree);
  uint64_t trees_read = 0;
  ChangeSet changes = Merkle(before, after, false, &trees_read);
  EXPECT_EQ(changes.size(), 10u);
  EXPECT_LE(trees_read, 2u * (10 * 2 + 1));  // both sides of the root and of each dirty path
}

}  // namespace
}  // namespace berth::snapshot
