#include "cluster/live_restore.h"

#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <random>

#include "snapshot/snapshot_ref.h"

namespace berth::cluster {

namespace {

using snapshot::EntryType;
using snapshot::TreeEntry;

// One restore into one live tree; holds what links of a group were made already.
class LiveRestorer {
 public:
  LiveRestorer(const snapshot::SnapshotReader& reader, ProjectAccess& project)
      : reader_(reader), tree_(*project.tree), data_(*project.data), server_(project.server) {}

  // Restores `entry` as `name` in the live directory `parent`.
  Status Restore(fs::Ino parent, const std::string& name, const TreeEntry& entry,
                 const std::string& where) {
    auto live = tree_.Lookup(parent, name);
    if (!live.ok() && live.status().ToErrno() != ENOENT) return live.status();
    if (entry.is_dir()) {
      fs::Ino dir = 0;
      if (live.ok()) {
        if (!live->is_dir()) {
          return FailedPreconditionError(where + " is a file now and a directory in the snapshot; "
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
      return SetMeta(dir, entry);
    }
    if (live.ok() && live->is_dir()) {
      return FailedPreconditionError(where + " is a directory now and a file in the snapshot; "
                                     "restore it elsewhere with --to, or move the directory away");
    }
    // Built beside its place under a name no user file has (random, so one a killed restore
    // left behind is never met again), then renamed over it in one step.
    char suffix[17];
    std::snprintf(suffix, sizeof(suffix), "%016llx",
                  static_cast<unsigned long long>(random_()));
    const std::string temp = ".berth-restore-" + std::string(suffix);
    Status built = Build(parent, temp, entry);
    if (!built.ok()) {
      (void)tree_.Unlink(parent, temp);
      return built;
    }
    RETURN_IF_ERROR(tree_.Rename(parent, temp, parent, name, 0));
    Invalidate(parent, name, live.ok() ? live->ino : 0);
    return Status::Ok();
  }

  const snapshot::RestoreStats& stats() const { return stats_; }

 private:
  Status Build(fs::Ino parent, const std::string& temp, const TreeEntry& entry) {
    const fs::Caller owner{entry.uid, entry.gid};
    if (entry.link_group != 0) {
      if (auto it = groups_.find(entry.link_group); it != groups_.end()) {
        ++stats_.links;
        return tree_.Link(it->second, parent, temp).status();
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
    return Status::Ok();
  }

  // The file's data pieces through the dirty buffer; holes stay holes (the size is set last).
  Status WriteContent(fs::Ino ino, const TreeEntry& entry) {
    RETURN_IF_ERROR(reader_.ForEachPiece(entry, 0, entry.size,
                                         [&](uint64_t offset, const snapshot::Piece& piece) {
                                           if (piece.hole()) return Status::Ok();
                                           ASSIGN_OR_RETURN(Bytes bytes,
                                                            reader_.ReadChunk(*piece.chunk,
                                                                              piece.length));
                                           stats_.bytes += piece.length;
                                           return data_.Write(ino, offset,
                                                              ByteView(bytes.data(), piece.length));
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
  fs::LiveTree& tree_;
  fs::FileData& data_;
  fs::FuseServer* const server_;
  snapshot::RestoreStats stats_;
  std::map<uint64_t, fs::Ino> groups_;  // link group -> the first name's inode
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

Result<snapshot::RestoreStats> RestoreIntoLiveTree(const snapshot::SnapshotReader& reader,
                                                   const storage::ChunkId& root,
                                                   const std::vector<std::string>& path,
                                                   const TreeEntry& entry,
                                                   ProjectAccess& project) {
  LiveRestorer restorer(reader, project);
  if (path.empty()) {
    // The whole project: the root's entries, one by one.
    ASSIGN_OR_RETURN(snapshot::TreeObject top, reader.Tree(root, "/"));
    for (const TreeEntry& child : top.entries) {
      RETURN_IF_ERROR(restorer.Restore(fs::kRootIno, child.name, child, "/" + child.name));
    }
    return restorer.stats();
  }
  // Parent directories the live tree lost are made again with the snapshot's metadata.
  fs::Ino parent = fs::kRootIno;
  std::string where;
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
  }
  RETURN_IF_ERROR(restorer.Restore(parent, path.back(), entry, where + "/" + path.back()));
  return restorer.stats();
}

}  // namespace berth::cluster
