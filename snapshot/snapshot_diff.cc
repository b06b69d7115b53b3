#include "snapshot/snapshot_diff.h"

#include <utility>

namespace berth::snapshot {

namespace {

using storage::ChunkId;

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The root as an entry, for a change of its own attributes (the root has no entry elsewhere).
TreeEntry RootEntry(const DirAttributes& self, const ChunkId& tree) {
  TreeEntry e;
  e.type = EntryType::kDirectory;
  e.perms = self.perms;
  e.uid = self.uid;
  e.gid = self.gid;
  e.mtime_ns = self.mtime_ns;
  e.xattrs = self.xattrs;
  e.subtree = tree;
  return e;
}

// A directory's own metadata, without what lies below it.
TreeEntry OwnMetadata(TreeEntry e) {
  e.subtree = ChunkId();
  e.subtree_totals = Totals();
  return e;
}

class Differ {
 public:
  Differ(const SnapshotReader& reader, const DiffOptions& options, DiffResult* result)
      : reader_(reader), options_(options), result_(*result) {}

  Status Directories(const ChunkId& before, const ChunkId& after, const std::string& path) {
    if (before == after) return Status::Ok();
    ASSIGN_OR_RETURN(TreeObject old_tree, Load(before, path));
    ASSIGN_OR_RETURN(TreeObject new_tree, Load(after, path));
    // Roots written before root attributes were recorded have none: nothing to compare.
    if (old_tree.self && new_tree.self && !(*old_tree.self == *new_tree.self)) {
      result_.changes.push_back(Change{ChangeKind::kModified, path,
                                       RootEntry(*old_tree.self, before),
                                       RootEntry(*new_tree.self, after)});
    }
    auto a = old_tree.entries.begin(), a_end = old_tree.entries.end();
    auto b = new_tree.entries.begin(), b_end = new_tree.entries.end();
    while (a != a_end || b != b_end) {
      if (b == b_end || (a != a_end && a->name < b->name)) {
        RETURN_IF_ERROR(Whole(ChangeKind::kRemoved, *a, JoinPath(path, a->name)));
        ++a;
      } else if (a == a_end || b->name < a->name) {
        RETURN_IF_ERROR(Whole(ChangeKind::kAdded, *b, JoinPath(path, b->name)));
        ++b;
      } else {
        RETURN_IF_ERROR(Entries(*a, *b, JoinPath(path, a->name)));
        ++a;
        ++b;
      }
    }
    return Status::Ok();
  }

 private:
  Result<TreeObject> Load(const ChunkId& id, const std::string& path) {
    ++result_.trees_read;
    return reader_.Tree(id, path);
  }

  Status Entries(const TreeEntry& a, const TreeEntry& b, const std::string& path) {
    if (a.type != b.type) {
      RETURN_IF_ERROR(Whole(ChangeKind::kRemoved, a, path));
      return Whole(ChangeKind::kAdded, b, path);
    }
    if (!a.is_dir()) {
      if (!(a == b)) result_.changes.push_back(Change{ChangeKind::kModified, path, a, b});
      return Status::Ok();
    }
    if (!(OwnMetadata(a) == OwnMetadata(b))) {
      result_.changes.push_back(Change{ChangeKind::kModified, path, a, b});
    }
    return Directories(a.subtree, b.subtree, path);
  }

  // An entry present on one side only, and with expand_directories everything below it.
  Status Whole(ChangeKind kind, const TreeEntry& e, const std::string& path) {
    auto record = [&](const std::string& at, const TreeEntry& entry) {
      Change c{kind, at, std::nullopt, std::nullopt};
      (kind == ChangeKind::kAdded ? c.after : c.before) = entry;
      result_.changes.push_back(std::move(c));
    };
    record(path, e);
    if (!e.is_dir() || !options_.expand_directories) return Status::Ok();
    ++result_.trees_read;
    return reader_.Walk(e.subtree,
                        [&](const std::string& sub, const TreeEntry& entry) -> Result<bool> {
                          if (entry.is_dir()) ++result_.trees_read;
                          record(path + sub, entry);
                          return true;
                        });
  }

  const SnapshotReader& reader_;
  const DiffOptions& options_;
  DiffResult& result_;
};

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kModified:
      return "modified";
  }
  return "unknown";
}

Result<DiffResult> DiffTrees(const SnapshotReader& reader, const ChunkId& before,
                             const ChunkId& after, const DiffOptions& options) {
  DiffResult result;
  Differ differ(reader, options, &result);
  RETURN_IF_ERROR(differ.Directories(before, after, "/"));
  return result;
}

}  // namespace berth::snapshot
