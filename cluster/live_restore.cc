#include "cluster/live_restore.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "snapshot/snapshot_ref.h"

namespace berth::cluster {

namespace {

using snapshot::EntryType;
using snapshot::TreeEntry;

constexpr std::string_view kTemporaryPrefix = ".berth-restore-";
constexpr size_t kTemporaryDigits = 16;

// One restore into one live tree; holds what links of a group were made already.
class LiveRestorer {
 public:
  LiveRestorer(const snapshot::SnapshotReader& reader, const storage::ChunkId& root,
               ProjectAccess& project)
      : reader_(reader),
        root_(root),
        tree_(*project.tree),
        data_(*project.data),
        server_(project.server) {}

  // Restores `entry` as `name` in the live directory `parent`; `where` is its path.
  Status Restore(fs::Ino parent, const std::string& name, const TreeEntry& entry,
                 const std::string& where) {
    auto live = tree_.Lookup(parent, name);
    if (!live.ok() && live.status().ToErrno() != ENOENT) return live.status();
    if (entry.is_dir()) {
      fs::Ino dir = 0;
      if (live.ok()) {
        if (!live->is_dir()) {
          return FailedPreconditionError(where +
                                         " is a file now and a directory in the snapshot; "
                                         "restore it elsewhere with --to, or move the file away");
        }
        dir = live->ino;
      } else {
        ASSIGN_OR_RETURN(fs::Inode made, tree_.MakeDir(parent, name, entry.perms,
                                                       fs::Caller{entry.uid, entry.gid}));
        dir = made.ino;
        Invalidate(parent, name, 0);
      }
      ASSIGN_OR_RETURN(snapshot::TreeObject children, reader_.Tree(entry.subtree, where));
      for (const TreeEntry& child : children.entries) {
        RETURN_IF_ERROR(Restore(dir, child.name, child, where + "/" + child.name));
      }
      ++stats_.directories;
      // After the contents, so their creation does not move the directory's mtime again.
      RETURN_IF_ERROR(
          SetDirectoryMeta(dir, entry.perms, entry.uid, entry.gid, entry.mtime_ns, entry.xattrs));
      if (server_ != nullptr) (void)server_->InvalidateInode(dir, -1);
      return Status::Ok();
    }
    if (live.ok() && live->is_dir()) {
      return FailedPreconditionError(where +
                                     " is a directory now and a file in the snapshot; "
                                     "restore it elsewhere with --to, or move the directory away");
    }
    if (entry.link_group != 0 && live.ok()) {
      auto made = groups_.find(entry.link_group);
      if (made != groups_.end() && made->second == live->ino) {
        // Already a name of the restored file (carried along with another name of its group).
        ++stats_.links;
        return Status::Ok();
      }
    }
    const std::string temp = TemporaryName();
    auto built = Build(parent, temp, entry);
    if (!built.ok()) {
      (void)tree_.Unlink(parent, temp);
      return built.status();
    }
    RETURN_IF_ERROR(tree_.Rename(parent, temp, parent, name, 0));
    Invalidate(parent, name, live.ok() ? live->ino : 0);
    if (live.ok() && entry.link_group != 0 && live->nlink > 1) {
      RETURN_IF_ERROR(CarryLinks(live->ino, *built, entry.link_group));
    }
    return Status::Ok();
  }

  // Gives a directory (the project's root included) the snapshot's attributes: mode, owner,
  // mtime (last: every other change moves it), and exactly the snapshot's xattrs.
  Status SetDirectoryMeta(fs::Ino dir, uint32_t perms, uint32_t uid, uint32_t gid, int64_t mtime_ns,
                          const std::vector<std::pair<std::string, std::string>>& xattrs) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, tree_.ListXattr(dir));
    for (const std::string& key : names) {
      const bool kept =
          std::any_of(xattrs.begin(), xattrs.end(), [&](const auto& x) { return x.first == key; });
      if (!kept) {
        Status removed = tree_.RemoveXattr(dir, key);
        if (!removed.ok() && removed.ToErrno() != ENODATA) return removed;
      }
    }
    for (const auto& [key, value] : xattrs) {
      RETURN_IF_ERROR(tree_.SetXattr(dir, key, AsBytes(value), 0));
    }
    fs::AttrChange change;
    change.mode = perms;
    change.uid = uid;
    change.gid = gid;
    change.mtime_ns = mtime_ns;
    return tree_.SetAttr(dir, change).status();
  }

  void InvalidateAttributes(fs::Ino ino) {
    if (server_ != nullptr) (void)server_->InvalidateInode(ino, -1);
  }

  const snapshot::RestoreStats& stats() const { return stats_; }

 private:
  // A name no user file has: random, so one a killed restore left behind is never met again.
  std::string TemporaryName() {
    char suffix[kTemporaryDigits + 1];
    std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(random_()));
    return std::string(kTemporaryPrefix) + suffix;
  }

  // Makes the non-directory `entry` as `temp` in `parent`; its inode.
  Result<fs::Ino> Build(fs::Ino parent, const std::string& temp, const TreeEntry& entry) {
    const fs::Caller owner{entry.uid, entry.gid};
    if (entry.link_group != 0) {
      if (auto it = groups_.find(entry.link_group); it != groups_.end()) {
        ++stats_.links;
        RETURN_IF_ERROR(tree_.Link(it->second, parent, temp).status());
        return it->second;
      }
    }
    fs::Ino ino = 0;
    switch (entry.type) {
      case EntryType::kDirectory:
        return InternalError("directories are not built under a temporary name");
      case EntryType::kSymlink: {
        ASSIGN_OR_RETURN(fs::Inode made, tree_.Symlink(parent, temp, entry.target, owner));
        ino = made.ino;
        ++stats_.others;
        break;
      }
      case EntryType::kRegular: {
        ASSIGN_OR_RETURN(fs::Inode made, tree_.MakeNode(parent, temp, entry.mode(), 0, owner));
        ino = made.ino;
        RETURN_IF_ERROR(WriteContent(ino, entry));
        ++stats_.files;
        break;
      }
      default: {
        ASSIGN_OR_RETURN(fs::Inode made,
                         tree_.MakeNode(parent, temp, entry.mode(), entry.rdev, owner));
        ino = made.ino;
        ++stats_.others;
        break;
      }
    }
    for (const auto& [key, value] : entry.xattrs) {
      RETURN_IF_ERROR(tree_.SetXattr(ino, key, AsBytes(value), 0));
    }
    RETURN_IF_ERROR(SetMeta(ino, entry));
    if (entry.link_group != 0) groups_[entry.link_group] = ino;
    return ino;
  }

  // `old` was hard-linked and one of its names now names `made`, the restored version of link
  // group `group`. Moves to `made` every other name of `old` that the snapshot holds as a name of
  // the same group, so what was one file in the snapshot and live stays one file.
  Status CarryLinks(fs::Ino old, fs::Ino made, uint64_t group) {
    // The live names of `old` (its parents, then their entries naming it), from a view taken
    // after the rename above, so the name just restored is no longer among them.
    std::unique_ptr<snapshot::TreeSource> view = tree_.OpenSnapshotSource();
    ASSIGN_OR_RETURN(std::vector<snapshot::NodeId> parents, view->ParentsOf(old));
    for (snapshot::NodeId dir : parents) {
      ASSIGN_OR_RETURN(std::vector<snapshot::SourceEntry> listing, view->ListDir(dir));
      auto dir_path = LivePath(*view, dir);
      if (!dir_path.ok()) {
        if (dir_path.status().code() == StatusCode::kNotFound) continue;  // being removed
        return dir_path.status();
      }
      for (const snapshot::SourceEntry& se : listing) {
        if (se.node != old) continue;
        std::string path = *dir_path + "/" + se.name;
        auto then = reader_.Stat(root_, path);
        if (!then.ok()) {
          if (then.status().ToErrno() == ENOENT || then.status().ToErrno() == ENOTDIR) continue;
          return then.status();
        }
        if (then->is_dir() || then->link_group != group) continue;
        const std::string temp = TemporaryName();
        RETURN_IF_ERROR(tree_.Link(made, dir, temp).status());
        Status renamed = tree_.Rename(dir, temp, dir, se.name, 0);
        if (!renamed.ok()) {
          (void)tree_.Unlink(dir, temp);
          return renamed;
        }
        ++stats_.links;
        Invalidate(dir, se.name, old);
      }
    }
    InvalidateAttributes(made);  // its nlink moved
    return Status::Ok();
  }

  // "/a/b" of a live directory, by its parents up to the root.
  static Result<std::string> LivePath(snapshot::TreeSource& view, snapshot::NodeId dir) {
    std::vector<std::string> names;
    std::set<snapshot::NodeId> seen;
    while (dir != view.root()) {
      if (!seen.insert(dir).second) return DataLossError("a directory cycle in the live tree");
      ASSIGN_OR_RETURN(std::vector<snapshot::NodeId> up, view.ParentsOf(dir));
      if (up.empty()) return NotFoundError("directory " + std::to_string(dir) + " is unlinked");
      ASSIGN_OR_RETURN(std::vector<snapshot::SourceEntry> listing, view.ListDir(up.front()));
      auto it = std::find_if(listing.begin(), listing.end(),
                             [&](const snapshot::SourceEntry& se) { return se.node == dir; });
      if (it == listing.end()) return NotFoundError("directory " + std::to_string(dir));
      names.push_back(it->name);
      dir = up.front();
    }
    std::string path;
    for (auto it = names.rbegin(); it != names.rend(); ++it) path += "/" + *it;
    return path;
  }

  // The file's data pieces through the dirty buffer; holes stay holes (the size is set last).
  Status WriteContent(fs::Ino ino, const TreeEntry& entry) {
    RETURN_IF_ERROR(reader_.ForEachPiece(
        entry, 0, entry.size, [&](uint64_t offset, const snapshot::Piece& piece) {
          if (piece.hole()) return Status::Ok();
          ASSIGN_OR_RETURN(Bytes bytes, reader_.ReadChunk(*piece.chunk, piece.length));
          stats_.bytes += piece.length;
          return data_.Write(ino, offset, ByteView(bytes.data(), piece.length));
        }));
    fs::AttrChange size;
    size.size = entry.size;
    RETURN_IF_ERROR(tree_.SetAttr(ino, size).status());
    return data_.Commit(ino);
  }

  Status SetMeta(fs::Ino ino, const TreeEntry& entry) {
    fs::AttrChange change;
    if (entry.type != EntryType::kSymlink) change.mode = entry.perms;
    change.uid = entry.uid;
    change.gid = entry.gid;
    change.mtime_ns = entry.mtime_ns;
    return tree_.SetAttr(ino, change).status();
  }

  void Invalidate(fs::Ino parent, const std::string& name, fs::Ino replaced) {
    if (server_ == nullptr) return;
    (void)server_->InvalidateEntry(parent, name);
    if (replaced != 0) (void)server_->InvalidateInode(replaced, 0, 0);
    (void)server_->InvalidateInode(parent, -1);
  }

  const snapshot::SnapshotReader& reader_;
  const storage::ChunkId root_;
  fs::LiveTree& tree_;
  fs::FileData& data_;
  fs::FuseServer* const server_;
  snapshot::RestoreStats stats_;
  std::map<uint64_t, fs::Ino> groups_;  // link group -> the restored file's inode
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

bool IsRestoreTemporary(std::string_view name) {
  if (name.size() != kTemporaryPrefix.size() + kTemporaryDigits ||
      !name.starts_with(kTemporaryPrefix)) {
    return false;
  }
  return std::all_of(name.begin() + kTemporaryPrefix.size(), name.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<uint64_t> RemoveRestoreLeftovers(fs::LiveTree& tree, fs::FuseServer* server) {
  std::unique_ptr<snapshot::TreeSource> view = tree.OpenSnapshotSource();
  ASSIGN_OR_RETURN(std::vector<snapshot::DirtyMark> marks, view->DirtyNodes());
  std::vector<fs::Ino> dirty;  // FindNames takes them ascending
  dirty.reserve(marks.size());
  for (const snapshot::DirtyMark& mark : marks) dirty.push_back(mark.node);
  std::sort(dirty.begin(), dirty.end());
  ASSIGN_OR_RETURN(auto candidates, tree.FindNames(dirty, kTemporaryPrefix));
  uint64_t removed = 0;
  for (const auto& [dir, name] : candidates) {
    if (!IsRestoreTemporary(name)) continue;
    auto gone = tree.Unlink(dir, name);
    if (!gone.ok()) {
      if (gone.status().ToErrno() == ENOENT) continue;
      return gone.status().WithContext("removing a restore's leftover " + name);
    }
    ++removed;
    if (server != nullptr) {
      (void)server->InvalidateEntry(dir, name);
      (void)server->InvalidateInode(dir, -1);
    } else {
      // Not mounted: no kernel holds it, so it can go now rather than at the next open.
      (void)tree.ReleaseOrphan(gone->ino);
    }
  }
  if (removed > 0) {
    spdlog::warn("project {}: removed {} temporary file(s) an interrupted restore left behind",
                 tree.project().ToString(), removed);
  }
  return removed;
}

Result<snapshot::RestoreStats> RestoreIntoLiveTree(const snapshot::SnapshotReader& reader,
                                                   const storage::ChunkId& root,
                                                   const std::vector<std::string>& path,
                                                   const TreeEntry& entry, ProjectAccess& project) {
  LiveRestorer restorer(reader, root, project);
  if (path.empty()) {
    // The whole project: the root's entries one by one, then the root's own attributes.
    ASSIGN_OR_RETURN(snapshot::TreeObject top, reader.Tree(root, "/"));
    for (const TreeEntry& child : top.entries) {
      RETURN_IF_ERROR(restorer.Restore(fs::kRootIno, child.name, child, "/" + child.name));
    }
    if (top.self) {
      RETURN_IF_ERROR(restorer.SetDirectoryMeta(fs::kRootIno, top.self->perms, top.self->uid,
                                                top.self->gid, top.self->mtime_ns,
                                                top.self->xattrs));
      restorer.InvalidateAttributes(fs::kRootIno);
    }
    return restorer.stats();
  }
  // Parent directories the live tree lost are made again with the snapshot's metadata (their
  // times and xattrs once what goes in them is in, deepest first).
  fs::Ino parent = fs::kRootIno;
  std::string where;
  std::vector<std::pair<fs::Ino, TreeEntry>> made_parents;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    where += "/" + path[i];
    auto live = project.tree->Lookup(parent, path[i]);
    if (live.ok()) {
      if (!live->is_dir()) {
        return FailedPreconditionError(where + " is not a directory in the project now");
      }
      parent = live->ino;
      continue;
    }
    if (live.status().ToErrno() != ENOENT) return live.status();
    ASSIGN_OR_RETURN(TreeEntry dir, reader.Stat(root, where));
    ASSIGN_OR_RETURN(fs::Inode made, project.tree->MakeDir(parent, path[i], dir.perms,
                                                           fs::Caller{dir.uid, dir.gid}));
    parent = made.ino;
    made_parents.emplace_back(made.ino, std::move(dir));
  }
  RETURN_IF_ERROR(restorer.Restore(parent, path.back(), entry, where + "/" + path.back()));
  for (auto it = made_parents.rbegin(); it != made_parents.rend(); ++it) {
    const TreeEntry& dir = it->second;
    RETURN_IF_ERROR(restorer.SetDirectoryMeta(it->first, dir.perms, dir.uid, dir.gid, dir.mtime_ns,
                                              dir.xattrs));
    restorer.InvalidateAttributes(it->first);
  }
  return restorer.stats();
}

}  // namespace berth::cluster
