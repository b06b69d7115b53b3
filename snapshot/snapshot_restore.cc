#include "snapshot/snapshot_restore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>

#include "base/file.h"

namespace berth::snapshot {

namespace {

bool IsEmptyDirectory(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return false;
  bool empty = true;
  while (struct dirent* de = ::readdir(d)) {
    std::string_view name = de->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

Status WriteAll(int fd, const uint8_t* data, size_t n, uint64_t offset, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return PosixError("write " + path, errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return Status::Ok();
}

class Restorer {
 public:
  Restorer(const SnapshotReader& reader, const RestoreOptions& options)
      : reader_(reader), options_(options) {}

  Status Restore(const TreeEntry& e, const std::string& path, bool top) {
    switch (e.type) {
      case EntryType::kDirectory:
        return Directory(e, path, top);
      case EntryType::kRegular:
        return File(e, path);
      case EntryType::kSymlink:
        if (::symlink(e.target.c_str(), path.c_str()) != 0) {
          return PosixError("symlink " + path, errno);
        }
        ++stats_.others;
        return Metadata(e, path);
      case EntryType::kCharDevice:
      case EntryType::kBlockDevice:
        if (!options_.devices) {
          ++stats_.skipped;
          return Status::Ok();
        }
        [[fallthrough]];
      case EntryType::kFifo:
      case EntryType::kSocket:
        if (::mknod(path.c_str(), e.mode(), static_cast<dev_t>(e.rdev)) != 0) {
          return PosixError("mknod " + path, errno);
        }
        ++stats_.others;
        return Metadata(e, path);
    }
    return InternalError("unknown entry type");
  }

  const RestoreStats& stats() const { return stats_; }

 private:
  Status Directory(const TreeEntry& e, const std::string& path, bool top) {
    bool made = true;
    if (::mkdir(path.c_str(), 0700) != 0) {
      if (!(top && errno == EEXIST && IsEmptyDirectory(path))) {
        return errno == EEXIST ? AlreadyExistsError(path + " exists and is not an empty directory")
                               : PosixError("mkdir " + path, errno);
      }
      made = false;
    }
    ++stats_.directories;
    ASSIGN_OR_RETURN(TreeObject tree, reader_.Tree(e.subtree, path));
    for (const TreeEntry& child : tree.entries) {
      RETURN_IF_ERROR(Restore(child, path + "/" + child.name, false));
    }
    if (!e.name.empty()) return Metadata(e, path);
    // The snapshot root (name ""): its attributes are in its tree object (format version 2).
    if (tree.self) {
      TreeEntry root = e;
      root.perms = tree.self->perms;
      root.uid = tree.self->uid;
      root.gid = tree.self->gid;
      root.mtime_ns = tree.self->mtime_ns;
      root.xattrs = tree.self->xattrs;
      return Metadata(root, path);
    }
    // A root written before version 2 has none: a directory made here gets the usual 0755
    // rather than the 0700 it was built under; one that existed keeps what it has.
    if (made && ::chmod(path.c_str(), 0755) != 0) return PosixError("chmod " + path, errno);
    return Status::Ok();
  }

  Status File(const TreeEntry& e, const std::string& path) {
    if (e.link_group != 0) {
      auto first = link_groups_.find(e.link_group);
      if (first != link_groups_.end()) {
        if (::link(first->second.c_str(), path.c_str()) != 0) {
          return PosixError("link " + path + " to " + first->second, errno);
        }
        ++stats_.links;
        return Status::Ok();
      }
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      return errno == EEXIST ? AlreadyExistsError(path + " exists")
                             : PosixError("create " + path, errno);
    }
    RETURN_IF_ERROR(reader_.ForEachPiece(e, 0, e.size, [&](uint64_t at, const Piece& p) -> Status {
      if (p.hole()) return Status::Ok();
      ASSIGN_OR_RETURN(Bytes chunk, reader_.ReadChunk(*p.chunk, p.length));
      stats_.bytes += p.length;
      return WriteAll(fd.get(), chunk.data(), p.length, at, path);
    }));
    // A trailing hole: the size without writing zeros.
    if (::ftruncate(fd.get(), static_cast<off_t>(e.size)) != 0) {
      return PosixError("truncate " + path, errno);
    }
    RETURN_IF_ERROR(fd.Close());
    ++stats_.files;
    if (e.link_group != 0) link_groups_[e.link_group] = path;
    return Metadata(e, path);
  }

  // Owner first (chown clears setuid and setgid), then xattrs (while the mode still lets us),
  // then the mode, then the time (every change before it moves it).
  Status Metadata(const TreeEntry& e, const std::string& path) {
    if (options_.owners && ::lchown(path.c_str(), e.uid, e.gid) != 0) {
      return PosixError("chown " + path, errno);
    }
    if (options_.xattrs) {
      for (const auto& [name, value] : e.xattrs) {
        if (::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) != 0) {
          // Refused by the target, not by the disk: no privilege, no support, or a value larger
          // than it keeps (ext4 holds one block of xattrs per inode: ENOSPC, E2BIG).
          if (errno != EPERM && errno != ENOTSUP && errno != EACCES && errno != ENOSPC &&
              errno != E2BIG) {
            return PosixError("setxattr " + path + " " + name, errno);
          }
          ++stats_.skipped;
        }
      }
    }
    if (e.type != EntryType::kSymlink && ::chmod(path.c_str(), e.perms) != 0) {
      return PosixError("chmod " + path, errno);
    }
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = e.mtime_ns / 1'000'000'000;
    times[1].tv_nsec = e.mtime_ns % 1'000'000'000;
    if (times[1].tv_nsec < 0) {  // before 1970: tv_nsec must be in [0, 1e9)
      times[1].tv_nsec += 1'000'000'000;
      times[1].tv_sec -= 1;
    }
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return PosixError("set times of " + path, errno);
    }
    return Status::Ok();
  }

  const SnapshotReader& reader_;
  const RestoreOptions& options_;
  RestoreStats stats_;
  std::unordered_map<uint64_t, std::string> link_groups_;  // group -> first path restored
};

}  // namespace

Result<RestoreStats> RestoreEntry(const SnapshotReader& reader, const TreeEntry& entry,
                                  const std::string& target, const RestoreOptions& options) {
  Restorer restorer(reader, options);
  RETURN_IF_ERROR(restorer.Restore(entry, target, /*top=*/true));
  return restorer.stats();
}

}  // namespace berth::snapshot
