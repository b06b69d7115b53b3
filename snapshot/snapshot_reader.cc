#include "snapshot/snapshot_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "snapshot/object_io.h"

namespace berth::snapshot {

namespace {

using storage::ChunkId;

constexpr uint8_t kAnyLevel = 0xff;

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// "/a/b" for a path's names.
std::string CanonicalPath(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += "/" + n;
  return out.empty() ? "/" : out;
}

// An object a snapshot refers to but the store lacks is lost data, not a missing name.
Status AsDataLoss(const Status& s) {
  return s.code() == StatusCode::kNotFound ? DataLossError(s.message()) : s;
}

}  // namespace

Result<std::vector<std::string>> SplitSnapshotPath(std::string_view path) {
  std::vector<std::string> names;
  size_t at = 0;
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view name = path.substr(at, slash - at);
    if (name == "..") return InvalidArgumentError("'..' in snapshot path " + std::string(path));
    if (!name.empty() && name != ".") names.emplace_back(name);
    at = slash + 1;
  }
  return names;
}

Result<TreeObject> SnapshotReader::Tree(const ChunkId& id, std::string_view where) const {
  auto tree = LoadTree(*chunks_, id);
  if (!tree.ok()) {
    Status s = AsDataLoss(tree.status());
    return where.empty() ? s : s.WithContext("directory " + std::string(where));
  }
  return tree;
}

Result<TreeHead> SnapshotReader::RootHead(const ChunkId& root) const {
  Bytes bytes;
  storage::ChunkKind kind;
  Status got = chunks_->Get(root, &bytes, &kind);
  if (!got.ok()) return AsDataLoss(got).WithContext("directory /");
  if (kind != storage::ChunkKind::kTree) {
    return DataLossError("directory /: object " + root.ToHex() + " is a " +
                         storage::ChunkKindName(kind) + " chunk, not a tree");
  }
  auto head = PeekTreeHead(bytes);
  if (!head.ok()) return head.status().WithContext("directory / (tree " + root.ToHex() + ")");
  return head;
}

Result<TreeEntry> SnapshotReader::Stat(const ChunkId& root, std::string_view path) const {
  ASSIGN_OR_RETURN(std::vector<std::string> names, SplitSnapshotPath(path));
  TreeEntry entry;
  entry.type = EntryType::kDirectory;
  entry.subtree = root;
  std::string at = "/";
  if (names.empty()) {
    ASSIGN_OR_RETURN(TreeHead head, RootHead(root));
    entry.subtree_totals = head.totals;
    if (head.self) {
      entry.perms = head.self->perms;
      entry.uid = head.self->uid;
      entry.gid = head.self->gid;
      entry.mtime_ns = head.self->mtime_ns;
      entry.xattrs = std::move(head.self->xattrs);
    }
    return entry;
  }
  for (const std::string& name : names) {
    if (!entry.is_dir()) return PosixError("snapshot path " + at, ENOTDIR);
    ASSIGN_OR_RETURN(TreeObject tree, Tree(entry.subtree, at));
    const TreeEntry* found = tree.Find(name);
    at = JoinPath(at, name);
    if (found == nullptr) return PosixError("snapshot path " + at, ENOENT);
    entry = *found;
  }
  return entry;
}

Result<std::vector<TreeEntry>> SnapshotReader::List(const ChunkId& root,
                                                    std::string_view path) const {
  ASSIGN_OR_RETURN(TreeEntry dir, Stat(root, path));
  ASSIGN_OR_RETURN(std::vector<std::string> names, SplitSnapshotPath(path));
  const std::string where = CanonicalPath(names);
  if (!dir.is_dir()) return PosixError("snapshot path " + where, ENOTDIR);
  ASSIGN_OR_RETURN(TreeObject tree, Tree(dir.subtree, where));
  return std::move(tree.entries);
}

Status SnapshotReader::ForEachPiece(
    const TreeEntry& file, uint64_t offset, uint64_t length,
    const std::function<Status(uint64_t, const Piece&)>& visit) const {
  if (file.type != EntryType::kRegular) {
    return PosixError("reading '" + file.name + "'", file.is_dir() ? EISDIR : EINVAL);
  }
  uint64_t end = length > file.size - std::min(offset, file.size) ? file.size : offset + length;
  if (offset >= end) return Status::Ok();
  if (!file.data.list) {
    uint64_t at = 0;
    for (const Piece& p : file.data.pieces) {
      if (at >= end) break;
      if (at + p.length > offset) RETURN_IF_ERROR(visit(at, p));
      at += p.length;
    }
    return Status::Ok();
  }
  Status s = ForEachListPiece(*file.data.list, kAnyLevel, file.size, 0, offset, end, visit);
  return s.ok() ? s : s.WithContext("file '" + file.name + "'");
}

Status SnapshotReader::ForEachListPiece(
    const ChunkId& id, uint8_t want_level, uint64_t want_bytes, uint64_t base, uint64_t begin,
    uint64_t end, const std::function<Status(uint64_t, const Piece&)>& visit) const {
  auto loaded = LoadList(*chunks_, id);
  if (!loaded.ok()) return AsDataLoss(loaded.status());
  const ListObject& list = *loaded;
  if (want_level != kAnyLevel && list.level != want_level) {
    return DataLossError("list " + id.ToHex() + " has level " + std::to_string(list.level) + ", " +
                         std::to_string(want_level) + " expected");
  }
  if (list.bytes() != want_bytes) {
    return DataLossError("list " + id.ToHex() + " covers " + std::to_string(list.bytes()) +
                         " bytes, " + std::to_string(want_bytes) + " expected");
  }
  uint64_t at = base;
  if (list.level == 0) {
    for (const Piece& p : list.pieces) {
      if (at >= end) break;
      if (at + p.length > begin) RETURN_IF_ERROR(visit(at, p));
      at += p.length;
    }
    return Status::Ok();
  }
  for (const ListChild& c : list.children) {
    if (at >= end) break;
    if (at + c.bytes > begin) {
      RETURN_IF_ERROR(ForEachListPiece(c.id, list.level - 1, c.bytes, at, begin, end, visit));
    }
    at += c.bytes;
  }
  return Status::Ok();
}

Result<Bytes> SnapshotReader::ReadChunk(const ChunkId& id, uint64_t length) const {
  Bytes plaintext;
  storage::ChunkKind kind;
  RETURN_IF_ERROR(AsDataLoss(chunks_->Get(id, &plaintext, &kind)));
  if (kind != storage::ChunkKind::kData) {
    return DataLossError("chunk " + id.ToHex() + " is not a data chunk");
  }
  if (plaintext.size() < length) {
    return DataLossError("chunk " + id.ToHex() + " holds " + std::to_string(plaintext.size()) +
                         " bytes, the file needs " + std::to_string(length));
  }
  return plaintext;
}

Result<Bytes> SnapshotReader::ReadFile(const TreeEntry& file, uint64_t offset,
                                       uint64_t length) const {
  if (file.type != EntryType::kRegular) {
    return PosixError("reading '" + file.name + "'", file.is_dir() ? EISDIR : EINVAL);
  }
  const uint64_t begin = std::min(offset, file.size);
  const uint64_t end = length > file.size - begin ? file.size : begin + length;
  Bytes out(end - begin, 0);
  RETURN_IF_ERROR(ForEachPiece(file, begin, end - begin, [&](uint64_t at, const Piece& p) {
    if (p.hole()) return Status::Ok();
    ASSIGN_OR_RETURN(Bytes chunk, ReadChunk(*p.chunk, p.length));
    uint64_t from = std::max(at, begin), to = std::min(at + p.length, end);
    std::memcpy(out.data() + (from - begin), chunk.data() + (from - at), to - from);
    return Status::Ok();
  }));
  return out;
}

Status SnapshotReader::Walk(const ChunkId& root, const Visitor& visit) const {
  struct Frame {
    TreeObject tree;
    std::string path;
    size_t next = 0;
  };
  std::vector<Frame> stack;
  ASSIGN_OR_RETURN(TreeObject top, Tree(root, "/"));
  stack.push_back(Frame{std::move(top), "/", 0});
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == f.tree.entries.size()) {
      stack.pop_back();
      continue;
    }
    const TreeEntry& e = f.tree.entries[f.next++];
    std::string path = JoinPath(f.path, e.name);
    ASSIGN_OR_RETURN(bool descend, visit(path, e));
    if (e.is_dir() && descend) {
      ASSIGN_OR_RETURN(TreeObject sub, Tree(e.subtree, path));
      stack.push_back(Frame{std::move(sub), std::move(path), 0});  // `f` and `e` are stale now
    }
  }
  return Status::Ok();
}

Status MarkReachable(const storage::ChunkStore& chunks, std::span<const ChunkId> roots,
                     storage::ChunkIdSet* marked) {
  std::vector<std::pair<ChunkId, std::string>> trees;
  for (const ChunkId& root : roots) trees.emplace_back(root, "/");
  std::vector<ChunkId> lists;
  while (!trees.empty()) {
    auto [id, path] = std::move(trees.back());
    trees.pop_back();
    if (!marked->insert(id).second) continue;
    auto tree = LoadTree(chunks, id);
    if (!tree.ok()) return AsDataLoss(tree.status()).WithContext("marking directory " + path);
    for (const TreePage& page : tree->pages) marked->insert(page.id);
    for (const TreeEntry& e : tree->entries) {
      if (e.is_dir()) {
        if (!marked->count(e.subtree)) trees.emplace_back(e.subtree, JoinPath(path, e.name));
      } else if (e.type == EntryType::kRegular) {
        for (const Piece& p : e.data.pieces) {
          if (!p.hole()) marked->insert(*p.chunk);
        }
        if (e.data.list) lists.push_back(*e.data.list);
      }
      while (!lists.empty()) {
        ChunkId list_id = lists.back();
        lists.pop_back();
        if (!marked->insert(list_id).second) continue;
        auto list = LoadList(chunks, list_id);
        if (!list.ok()) {
          return AsDataLoss(list.status()).WithContext("marking file " + JoinPath(path, e.name));
        }
        for (const Piece& p : list->pieces) {
          if (!p.hole()) marked->insert(*p.chunk);
        }
        for (const ListChild& c : list->children) lists.push_back(c.id);
      }
    }
  }
  return Status::Ok();
}

}  // namespace berth::snapshot
