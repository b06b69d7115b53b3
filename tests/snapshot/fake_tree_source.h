#ifndef BERTH_TESTS_SNAPSHOT_FAKE_TREE_SOURCE_H_
#define BERTH_TESTS_SNAPSHOT_FAKE_TREE_SOURCE_H_

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "snapshot/tree_source.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"
#include "storage/secret_key.h"

namespace berth::snapshot {

// An in-memory tree that keeps versions, dirty marks and cached tree ids as honestly as fs/ must:
// every change bumps the version of each node it touches (the node, its old and new parent
// directories, a replaced or unlinked node) and marks it dirty; Complete clears a mark only if
// the version did not move since DirtyNodes. Counts the calls the writer makes, so tests can
// bound its work. Copyable (a copy is a second, independent tree).
class FakeTree : public TreeSource {
 public:
  struct Node {
    NodeMeta meta;
    uint64_t version = 1;
    std::map<std::string, NodeId> entries;   // directories
    std::vector<NodeId> parents;             // one per name
    std::optional<storage::ChunkId> cached;  // directories
    Bytes content;                           // regular files, for comparisons
  };

  FakeTree() {
    Node root;
    root.meta.mode = S_IFDIR | 0755;
    root.meta.nlink = 2;
    nodes_[kRoot] = root;
  }

  // --- TreeSource ---
  NodeId root() const override { return kRoot; }
  Result<std::vector<DirtyMark>> DirtyNodes() override {
    std::vector<DirtyMark> marks;
    for (NodeId n : dirty_) {
      auto it = nodes_.find(n);
      marks.push_back(
          DirtyMark{n, it == nodes_.end() ? removed_version_.at(n) : it->second.version});
    }
    return marks;
  }
  Result<std::vector<NodeId>> ParentsOf(NodeId node) override {
    ++parents_calls;
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return std::vector<NodeId>{};
    std::set<NodeId> distinct(it->second.parents.begin(), it->second.parents.end());
    return std::vector<NodeId>(distinct.begin(), distinct.end());
  }
  Result<std::vector<SourceEntry>> ListDir(NodeId dir) override {
    ++listdir_calls;
    auto it = nodes_.find(dir);
    if (it == nodes_.end()) return NotFoundError("no directory " + std::to_string(dir));
    std::vector<SourceEntry> out;
    for (const auto& [name, node] : it->second.entries) out.push_back(SourceEntry{name, node});
    std::reverse(out.begin(), out.end());  // "no particular order"
    return out;
  }
  Result<NodeMeta> Stat(NodeId node) override {
    ++stat_calls;
    if (announced.erase(node) == 0) unannounced_stats.push_back(node);
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return NotFoundError("no node " + std::to_string(node));
    NodeMeta meta = it->second.meta;
    meta.nlink = S_ISDIR(meta.mode) ? 2 : static_cast<uint32_t>(it->second.parents.size());
    return meta;
  }
  Status Prefetch(std::span<const NodeId> nodes) override {
    prefetch_sizes.push_back(nodes.size());
    announced.insert(nodes.begin(), nodes.end());
    return Status::Ok();
  }
  Result<std::optional<storage::ChunkId>> CachedTreeId(NodeId dir) override {
    auto it = nodes_.find(dir);
    if (it == nodes_.end()) return std::optional<storage::ChunkId>();
    return it->second.cached;
  }
  Status Complete(std::span<const std::pair<NodeId, storage::ChunkId>> rebuilt,
                  std::span<const DirtyMark> consumed) override {
    if (before_complete) {
      auto hook = std::move(before_complete);
      before_complete = nullptr;
      hook();
    }
    for (const auto& [dir, id] : rebuilt) {
      auto it = nodes_.find(dir);
      if (it != nodes_.end()) it->second.cached = id;
    }
    for (const DirtyMark& m : consumed) {
      auto it = nodes_.find(m.node);
      uint64_t now = it == nodes_.end() ? removed_version_[m.node] : it->second.version;
      if (now == m.version) {
        dirty_.erase(m.node);
        if (it == nodes_.end()) removed_version_.erase(m.node);
      }
    }
    return Status::Ok();
  }

  // --- changes ---
  NodeId Mkdir(NodeId parent, const std::string& name, uint32_t perms = 0755) {
    return AddNode(parent, name, S_IFDIR | perms);
  }
  NodeId Create(NodeId parent, const std::string& name, uint32_t perms = 0644) {
    return AddNode(parent, name, S_IFREG | perms);
  }
  NodeId Symlink(NodeId parent, const std::string& name, const std::string& target) {
    NodeId n = AddNode(parent, name, S_IFLNK | 0777);
    nodes_[n].meta.symlink_target = target;
    return n;
  }
  NodeId Special(NodeId parent, const std::string& name, uint32_t mode, uint64_t rdev) {
    NodeId n = AddNode(parent, name, mode);
    nodes_[n].meta.rdev = rdev;
    return n;
  }
  // Sets a file's content: chunked with `chunker` and stored in `store` (when given; else the ids
  // are made up), each all-zero 4 KiB-aligned block of a sparse file left as a hole.
  void SetContent(NodeId node, const Bytes& content, storage::ChunkStore* store,
                  const storage::Chunker& chunker, bool sparse = false) {
    Node& n = nodes_.at(node);
    n.content = content;
    n.meta.size = content.size();
    n.meta.extents.clear();
    size_t at = 0;
    while (at < content.size()) {
      size_t end = content.size();
      if (sparse) {
        // The data region starting at `at`, up to the next all-zero block (or skip holes).
        auto zero_block = [&](size_t b) {
          size_t e = std::min(b + 4096, content.size());
          return e - b == 4096 && std::all_of(content.begin() + b, content.begin() + e,
                                              [](uint8_t c) { return c == 0; });
        };
        if (at % 4096 == 0 && zero_block(at)) {
          at += 4096;
          continue;
        }
        end = (at / 4096 + 1) * 4096;
        while (end < content.size() && !zero_block(end)) end += 4096;
        end = std::min(end, content.size());
      }
      ByteView region(content.data() + at, end - at);
      for (uint32_t len : chunker.Split(region)) {
        ByteView chunk = region.first(len);
        storage::ChunkId id =
            store ? store->Put(storage::ChunkKind::kData, chunk)->id : FakeId(chunk);
        n.meta.extents.push_back(SourceExtent{at, len, id});
        region = region.subspan(len);
        at += len;
      }
    }
    Touch(node);
  }
  // Sets extents directly (made-up chunk ids, nothing stored): for trees too big to store.
  void SetFakeData(NodeId node, uint64_t size, uint64_t seed) {
    Node& n = nodes_.at(node);
    n.meta.size = size;
    n.meta.extents.clear();
    if (size > 0) {
      std::string s = "fake" + std::to_string(seed);
      n.meta.extents.push_back(SourceExtent{0, size, FakeId(AsBytes(s))});
    }
    Touch(node);
  }
  void Chmod(NodeId node, uint32_t perms) {
    Node& n = nodes_.at(node);
    n.meta.mode = (n.meta.mode & S_IFMT) | perms;
    Touch(node);
  }
  void Chown(NodeId node, uint32_t uid, uint32_t gid) {
    nodes_.at(node).meta.uid = uid;
    nodes_.at(node).meta.gid = gid;
    Touch(node);
  }
  void SetMtime(NodeId node, int64_t ns) {
    nodes_.at(node).meta.mtime_ns = ns;
    Touch(node);
  }
  void SetXattr(NodeId node, const std::string& name, const std::string& value) {
    auto& x = nodes_.at(node).meta.xattrs;
    auto it = std::find_if(x.begin(), x.end(), [&](const auto& p) { return p.first == name; });
    if (it != x.end()) {
      it->second = value;
    } else {
      x.emplace_back(name, value);
      std::sort(x.begin(), x.end());
    }
    Touch(node);
  }
  void RemoveXattr(NodeId node, const std::string& name) {
    auto& x = nodes_.at(node).meta.xattrs;
    x.erase(std::remove_if(x.begin(), x.end(), [&](const auto& p) { return p.first == name; }),
            x.end());
    Touch(node);
  }
  // A new name for a non-directory.
  void Link(NodeId node, NodeId dir, const std::string& name) {
    nodes_.at(dir).entries[name] = node;
    nodes_.at(node).parents.push_back(dir);
    Touch(node);
    Touch(dir);
  }
  // Removes a name; the node goes with its last name (a directory must be empty).
  void Unlink(NodeId dir, const std::string& name) {
    NodeId node = nodes_.at(dir).entries.at(name);
    nodes_.at(dir).entries.erase(name);
    Touch(dir);
    DropName(node, dir);
  }
  // rename(2) within the tree; an existing destination (not a directory) is replaced.
  void Rename(NodeId from_dir, const std::string& from, NodeId to_dir, const std::string& to) {
    NodeId node = nodes_.at(from_dir).entries.at(from);
    auto& dest = nodes_.at(to_dir).entries;
    auto existing = dest.find(to);
    if (existing != dest.end()) {
      NodeId replaced = existing->second;
      dest.erase(existing);
      DropName(replaced, to_dir);
    }
    nodes_.at(from_dir).entries.erase(from);
    nodes_.at(to_dir).entries[to] = node;
    auto& parents = nodes_.at(node).parents;
    parents.erase(std::find(parents.begin(), parents.end(), from_dir));
    parents.push_back(to_dir);
    Touch(node);
    Touch(from_dir);
    Touch(to_dir);
  }
  // Forgets a directory's cached tree id (as fs may, e.g. after a restart).
  void DropCache(NodeId dir) { nodes_.at(dir).cached.reset(); }
  // Forgets all history: no caches, no marks (a copy then snapshots from scratch).
  void ForgetHistory() {
    for (auto& [id, n] : nodes_) n.cached.reset();
    dirty_.clear();
    removed_version_.clear();
  }

  const std::map<NodeId, Node>& nodes() const { return nodes_; }
  const Node& node(NodeId id) const { return nodes_.at(id); }
  // For tests that break the source on purpose: no version bump, no mark.
  NodeMeta& mutable_meta(NodeId id) { return nodes_.at(id).meta; }
  bool IsDir(NodeId id) const { return S_ISDIR(nodes_.at(id).meta.mode); }
  size_t dirty_count() const { return dirty_.size(); }
  bool IsDirty(NodeId id) const { return dirty_.count(id) > 0; }
  void ResetCounters() { stat_calls = listdir_calls = parents_calls = 0; }

  uint64_t stat_calls = 0;
  uint64_t listdir_calls = 0;
  uint64_t parents_calls = 0;
  // Prefetch: the size of each call, the nodes announced and not yet stat'ed, and the nodes
  // stat'ed without an announcement.
  std::vector<size_t> prefetch_sizes;
  std::set<NodeId> announced;
  std::vector<NodeId> unannounced_stats;
  // Runs once, at the start of the next Complete: a change made "while the snapshot was being
  // written".
  std::function<void()> before_complete;

  static constexpr NodeId kRoot = 1;

 private:
  static storage::ChunkId FakeId(ByteView bytes) {
    static const storage::ChunkHasher hasher(storage::SecretKey::FromBytes(Bytes(32, 7)));
    return hasher.Hash(bytes);
  }
  NodeId AddNode(NodeId parent, const std::string& name, uint32_t mode) {
    NodeId id = next_++;
    Node n;
    n.meta.mode = mode;
    n.meta.nlink = 1;
    n.meta.uid = 1000;
    n.meta.gid = 1000;
    n.meta.mtime_ns = static_cast<int64_t>(id) * 1'000'000'007;
    n.parents.push_back(parent);
    nodes_[id] = std::move(n);
    nodes_.at(parent).entries[name] = id;
    Touch(id);
    Touch(parent);
    return id;
  }
  void DropName(NodeId node, NodeId dir) {
    auto& parents = nodes_.at(node).parents;
    parents.erase(std::find(parents.begin(), parents.end(), dir));
    Touch(node);
    if (parents.empty()) {
      removed_version_[node] = nodes_.at(node).version;
      nodes_.erase(node);
    }
  }
  void Touch(NodeId node) {
    Node& n = nodes_.at(node);
    ++n.version;
    dirty_.insert(node);
  }

  std::map<NodeId, Node> nodes_;
  std::set<NodeId> dirty_;
  std::map<NodeId, uint64_t> removed_version_;
  NodeId next_ = kRoot + 1;
};

}  // namespace berth::snapshot

#endif  // BERTH_TESTS_SNAPSHOT_FAKE_TREE_SOURCE_H_
