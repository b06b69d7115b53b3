#include "fs/snapshot_view.h"

#include <fcntl.h>

#include <functional>

namespace berth::fs {

using snapshot::EntryType;
using snapshot::TreeEntry;

namespace {

Status Errno(int e, const std::string& what) { return PosixError(what, e); }

// readdir must show a non-zero inode number (ls and readdir(3) skip d_ino 0), but a name gets
// its node id only when looked up. Until then it shows a stable number from its name, with bit
// 62 set: allocated ids count up from kVirtualBit and never reach it.
Ino ListedIno(Ino parent, const std::string& name) {
  const uint64_t h = std::hash<std::string>()(name) ^ (parent * 0x9e3779b97f4a7c15ull);
  return kVirtualBit | (Ino{1} << 62) | (h & ((Ino{1} << 62) - 1));
}

timespec ToTimespec(int64_t ns) {
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

SnapshotView::SnapshotView(const snapshot::SnapshotStore* snapshots,
                           const storage::ChunkStore* chunks, const snapshot::ProjectKey& project,
                           uint32_t owner_uid, uint32_t owner_gid)
    : snapshots_(snapshots),
      reader_(chunks),
      project_(project),
      owner_uid_(owner_uid),
      owner_gid_(owner_gid) {}

struct stat SnapshotView::SnapshotsDirStat() const {
  struct stat st{};
  st.st_ino = kSnapshotsDirIno;
  st.st_mode = S_IFDIR | 0555;
  st.st_nlink = 2;
  st.st_uid = owner_uid_;
  st.st_gid = owner_gid_;
  st.st_blksize = 4096;
  return st;
}

struct stat SnapshotView::StatOf(Ino ino, const Node& node) const {
  const TreeEntry& e = node.entry;
  struct stat st{};
  st.st_ino = ino;
  st.st_mode = e.mode();
  st.st_uid = e.uid;
  st.st_gid = e.gid;
  st.st_nlink = e.is_dir() ? 2 : 1;
  st.st_rdev = e.rdev;
  st.st_size = static_cast<off_t>(e.type == EntryType::kRegular ? e.size
                                  : e.type == EntryType::kSymlink ? e.target.size()
                                                                  : 0);
  st.st_blocks = (st.st_size + 511) / 512;
  st.st_blksize = 4096;
  st.st_mtim = st.st_ctim = st.st_atim = ToTimespec(e.mtime_ns);
  if (node.parent == kSnapshotsDirIno) {
    // A snapshot's root: a tree object holds no metadata of its own directory.
    st.st_mode = S_IFDIR | 0555;
    st.st_uid = owner_uid_;
    st.st_gid = owner_gid_;
    st.st_mtim = st.st_ctim = st.st_atim = ToTimespec(node.snapshot_ns);
  }
  return st;
}

Result<const SnapshotView::Node*> SnapshotView::Find(Ino ino) const {
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return Errno(ESTALE, "snapshot view node " + std::to_string(ino));
  return &it->second;
}

Ino SnapshotView::Remember(Ino parent, const std::string& name, Node node) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = by_name_.try_emplace({parent, name}, 0);
  if (inserted) {
    it->second = next_++;
    node.name = name;
    nodes_.emplace(it->second, std::move(node));
  }
  ++nodes_[it->second].lookups;
  return it->second;
}

Result<struct stat> SnapshotView::Lookup(Ino parent, std::string_view name) {
  const std::string key(name);
  if (parent == kSnapshotsDirIno) {
    auto id = snapshot::SnapshotId::Parse(key);
    if (!id.ok()) return Errno(ENOENT, key);  // not a snapshot id: no such name
    auto record = snapshots_->Get(project_, *id);
    if (!record.ok()) {
      if (record.status().code() == StatusCode::kNotFound) return Errno(ENOENT, key);
      return record.status();
    }
    Node node;
    node.entry.type = EntryType::kDirectory;
    node.entry.perms = 0555;
    node.entry.subtree = record->root;
    node.parent = kSnapshotsDirIno;
    node.snapshot_ns = record->created_ns;
    const Ino ino = Remember(parent, key, node);
    return StatOf(ino, node);
  }
  TreeEntry dir;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(const Node* node, Find(parent));
    dir = node->entry;
  }
  if (!dir.is_dir()) return Errno(ENOTDIR, key);
  ASSIGN_OR_RETURN(snapshot::TreeObject tree, reader_.Tree(dir.subtree, key));
  const TreeEntry* found = tree.Find(key);
  if (found == nullptr) return Errno(ENOENT, key);
  Node node;
  node.entry = *found;
  node.parent = parent;
  const Ino ino = Remember(parent, key, node);
  return StatOf(ino, node);
}

Result<struct stat> SnapshotView::GetAttr(Ino ino) {
  if (ino == kSnapshotsDirIno) return SnapshotsDirStat();
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(const Node* node, Find(ino));
  return StatOf(ino, *node);
}

void SnapshotView::Forget(Ino ino, uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  it->second.lookups -= std::min(count, it->second.lookups);
  if (it->second.lookups > 0) return;
  // Forgotten: the next lookup of the path gets a new id (never this one again).
  by_name_.erase({it->second.parent, it->second.name});
  nodes_.erase(it);
}

Result<std::vector<SnapshotView::Listing>> SnapshotView::ReadDir(Ino dir) {
  std::vector<Listing> out;
  if (dir == kSnapshotsDirIno) {
    ASSIGN_OR_RETURN(auto records, snapshots_->List(project_));
    for (const auto& r : records) {
      struct stat st = SnapshotsDirStat();
      st.st_ino = ListedIno(dir, r.id.ToString());
      st.st_mtim = st.st_ctim = st.st_atim = ToTimespec(r.created_ns);
      out.push_back({r.id.ToString(), st});
    }
    return out;
  }
  Node node;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(const Node* found, Find(dir));
    node = *found;
  }
  if (!node.entry.is_dir()) return Errno(ENOTDIR, "readdir");
  ASSIGN_OR_RETURN(snapshot::TreeObject tree, reader_.Tree(node.entry.subtree));
  for (const TreeEntry& e : tree.entries) {
    Node child;
    child.entry = e;
    child.parent = dir;
    out.push_back({e.name, StatOf(ListedIno(dir, e.name), child)});
  }
  return out;
}

Result<Bytes> SnapshotView::Read(Ino ino, uint64_t offset, size_t size) {
  TreeEntry entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(const Node* node, Find(ino));
    entry = node->entry;
  }
  if (entry.is_dir()) return Errno(EISDIR, "read");
  if (entry.type != EntryType::kRegular) return Errno(EINVAL, "read of a special file");
  if (offset >= entry.size) return Bytes();
  return reader_.ReadFile(entry, offset, size);
}

Result<std::string> SnapshotView::ReadLink(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(const Node* node, Find(ino));
  if (node->entry.type != EntryType::kSymlink) return Errno(EINVAL, "readlink of a non-symlink");
  return node->entry.target;
}

Result<std::string> SnapshotView::GetXattr(Ino ino, std::string_view name) {
  if (ino == kSnapshotsDirIno) return Errno(ENODATA, std::string(name));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(const Node* node, Find(ino));
  for (const auto& [key, value] : node->entry.xattrs) {
    if (key == name) return value;
  }
  return Errno(ENODATA, std::string(name));
}

Result<std::vector<std::string>> SnapshotView::ListXattr(Ino ino) {
  std::vector<std::string> names;
  if (ino == kSnapshotsDirIno) return names;
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(const Node* node, Find(ino));
  for (const auto& [key, value] : node->entry.xattrs) names.push_back(key);
  return names;
}

}  // namespace berth::fs
