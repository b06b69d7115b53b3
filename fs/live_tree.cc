#include "fs/live_tree.h"

#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "base/coding.h"
#include "fs/internal/keys.h"
#include "fs/internal/prefix_iterator.h"

namespace berth::fs {

using internal::CookieKey;
using internal::DentryKey;
using internal::DentryPrefix;
using internal::EncodeExtentValue;
using internal::ExtentKey;
using internal::InodeKey;
using internal::LinkKey;
using internal::PrefixEnd;
using internal::PrefixIterator;
using internal::TreeStateKey;
using internal::XattrKey;

namespace {

// Version 2 added the name links (fs_links); a version 1 tree gets them at open.
constexpr uint8_t kStateVersion = 2;
constexpr uint32_t kMaxLinks = 65000;

std::string EncodeState(Ino next_ino, const Usage& usage) {
  Bytes out;
  out.push_back(kStateVersion);
  PutFixed64(&out, next_ino);
  PutFixed64(&out, usage.inodes);
  PutFixed64(&out, usage.bytes);
  return std::string(out.begin(), out.end());
}

// A cookie entry's value: ino(8) type(1) name.
std::string EncodeCookieValue(Ino ino, uint8_t type, std::string_view name) {
  Bytes out;
  PutFixed64(&out, ino);
  out.push_back(type);
  std::string value(out.begin(), out.end());
  value.append(name);
  return value;
}

// An extent's value: chunk id(32) length(4, little-endian), as FileData writes it
// (doc/live_tree_format.md).

Status Errno(int e, std::string_view what) { return PosixError(what, e); }

rocksdb::Slice Slice(const std::string& s) { return rocksdb::Slice(s); }

}  // namespace

std::vector<std::string> LiveTreeFamilies() {
  return {kInodeFamily,  kDentryFamily, kCookieFamily, kXattrFamily, kOrphanFamily,
          kExtentFamily, kDirtyFamily,  kLinkFamily,   kTreeIdFamily};
}

Status DeleteLiveTree(storage::Database* db, const ProjectId& project) {
  rocksdb::WriteBatch batch;
  const std::string begin(project.key());
  const std::string end = PrefixEnd(begin);
  for (const std::string& family : LiveTreeFamilies()) {
    rocksdb::ColumnFamilyHandle* handle = db->Family(family);
    if (handle == nullptr) return FailedPreconditionError("database lacks column family " + family);
    batch.DeleteRange(handle, begin, end);
  }
  return db->Write(&batch, /*sync=*/true);
}

Status ValidateName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    return Errno(EINVAL, "invalid name '" + std::string(name) + "'");
  }
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Errno(EINVAL, "name contains '/' or NUL");
  }
  if (name.size() > kMaxNameLength) return Errno(ENAMETOOLONG, "name longer than 255 bytes");
  return Status::Ok();
}

// The limits every xattr of the tree keeps: set one by one or brought in by an import.
Status ValidateXattr(std::string_view name, size_t value_size) {
  if (name.empty() || name.size() > kMaxXattrNameLength) return Errno(ERANGE, "xattr name");
  if (value_size > kMaxXattrValueSize) return Errno(E2BIG, "xattr value over 64 KiB");
  return Status::Ok();
}

LiveTree::LiveTree(storage::Database* db, const ProjectId& project, Clock* clock)
    : db_(db),
      project_(project),
      clock_(clock),
      inodes_(db->Family(kInodeFamily)),
      dentries_(db->Family(kDentryFamily)),
      cookies_(db->Family(kCookieFamily)),
      xattrs_(db->Family(kXattrFamily)),
      orphans_(db->Family(kOrphanFamily)),
      extents_(db->Family(kExtentFamily)),
      dirty_(db->Family(kDirtyFamily)),
      links_(db->Family(kLinkFamily)),
      tree_ids_(db->Family(kTreeIdFamily)) {}

Result<std::unique_ptr<LiveTree>> LiveTree::Open(storage::Database* db, const ProjectId& project,
                                                 const Caller& root_owner, Clock* clock) {
  for (const std::string& family : LiveTreeFamilies()) {
    if (db->Family(family) == nullptr) {
      return FailedPreconditionError("database lacks column family " + family);
    }
  }
  std::unique_ptr<LiveTree> tree(new LiveTree(db, project, clock));
  RETURN_IF_ERROR(tree->Initialise(root_owner));
  return tree;
}

Status LiveTree::Initialise(const Caller& root_owner) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), inodes_, TreeStateKey(project_), &value);
  if (s.IsNotFound()) {
    Inode root;
    root.ino = kRootIno;
    root.mode = S_IFDIR | 0755;
    root.uid = root_owner.uid;
    root.gid = root_owner.gid;
    root.nlink = 2;
    root.atime_ns = root.mtime_ns = root.ctime_ns = clock_->NowNanos();
    root.parent = kRootIno;
    state_.next_ino = kRootIno + 1;
    state_.usage.inodes = 1;
    rocksdb::WriteBatch batch;
    PutInode(&batch, root);
    PutState(&batch);
    return Write(&batch);
  }
  if (!s.ok()) return UnavailableError("read tree state: " + s.ToString());
  ByteReader r(AsBytes(value));
  uint8_t version = 0;
  if (!(r.ReadU8(&version) && (version == 1 || version == kStateVersion) &&
        r.ReadU64(&state_.next_ino) &&
        r.ReadU64(&state_.usage.inodes) && r.ReadU64(&state_.usage.bytes) &&
        r.remaining() == 0)) {
    return DataLossError("corrupt tree state of project " + project_.ToString());
  }
  if (version == 1) RETURN_IF_ERROR(AddMissingLinks());
  // Orphans left by a crash: nothing can have them open any more.
  std::vector<Ino> orphans;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), orphans_));
  const std::string prefix(project_.key());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 8) continue;
    orphans.push_back(DecodeBigEndian64(reinterpret_cast<const uint8_t*>(it->key().data()) +
                                        prefix.size()));
  }
  for (Ino ino : orphans) RETURN_IF_ERROR(ReleaseLocked(ino));
  return Status::Ok();
}

Status LiveTree::AddMissingLinks() {
  rocksdb::WriteBatch batch;
  const std::string prefix(project_.key());
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), dentries_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() <= prefix.size() + 8) return DataLossError("corrupt directory entry key");
    const Ino parent =
        DecodeBigEndian64(reinterpret_cast<const uint8_t*>(it->key().data()) + prefix.size());
    const std::string_view name(it->key().data() + prefix.size() + 8,
                                it->key().size() - prefix.size() - 8);
    ASSIGN_OR_RETURN(DirEntry entry, DecodeDirEntry(AsBytes(it->value().ToStringView())));
    batch.Put(links_, Slice(LinkKey(project_, entry.ino, parent, name)), "");
  }
  if (!it->status().ok()) return UnavailableError("scan directory entries: " + it->status().ToString());
  PutState(&batch);
  return Write(&batch);
}

Status LiveTree::Write(rocksdb::WriteBatch* batch) { return db_->Write(batch); }

void LiveTree::PutInodeRecord(rocksdb::WriteBatch* batch, const Inode& inode) {
  batch->Put(inodes_, Slice(InodeKey(project_, inode.ino)), Slice(EncodeInode(inode)));
}

void LiveTree::PutInode(rocksdb::WriteBatch* batch, const Inode& inode) {
  PutInodeRecord(batch, inode);
  const std::string key = InodeKey(project_, inode.ino);
  uint8_t version[8];
  EncodeFixed64(version, inode.version);
  batch->Put(dirty_, Slice(key), rocksdb::Slice(reinterpret_cast<const char*>(version), 8));
}

void LiveTree::PutState(rocksdb::WriteBatch* batch) {
  batch->Put(inodes_, Slice(TreeStateKey(project_)),
             Slice(EncodeState(state_.next_ino, state_.usage)));
}

Result<Inode> LiveTree::Load(Ino ino) {
  if (ino == 0) return Errno(ENOENT, "inode 0");
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), inodes_, InodeKey(project_, ino), &value);
  if (s.IsNotFound()) return Errno(ENOENT, "inode " + std::to_string(ino));
  if (!s.ok()) return UnavailableError("read inode " + std::to_string(ino) + ": " + s.ToString());
  return DecodeInode(ino, AsBytes(value));
}

Result<Inode> LiveTree::LoadDir(Ino ino) {
  ASSIGN_OR_RETURN(Inode dir, Load(ino));
  if (!dir.is_dir()) return Errno(ENOTDIR, "inode " + std::to_string(ino));
  // A removed directory that is still somebody's working directory takes no new entries.
  if (dir.nlink == 0) return Errno(ENOENT, "directory " + std::to_string(ino) + " was removed");
  return dir;
}

Result<std::optional<DirEntry>> LiveTree::FindEntry(Ino parent, std::string_view name) {
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), dentries_, DentryKey(project_, parent, name), &value);
  if (s.IsNotFound()) return std::optional<DirEntry>();
  if (!s.ok()) return UnavailableError("read directory entry: " + s.ToString());
  ASSIGN_OR_RETURN(DirEntry entry, DecodeDirEntry(AsBytes(value)));
  return std::optional<DirEntry>(entry);
}

Result<bool> LiveTree::IsEmptyDir(Ino dir) {
  const std::string prefix = DentryPrefix(project_, dir);
  PrefixIterator it(db_->db(), dentries_, prefix);
  it->Seek(prefix);
  if (!it->status().ok()) return UnavailableError("scan directory: " + it->status().ToString());
  return !it->Valid();
}

void LiveTree::AddEntry(rocksdb::WriteBatch* batch, Inode* dir, std::string_view name,
                        const Inode& child) {
  DirEntry entry{child.ino, DirentType(child.mode), dir->next_cookie++};
  batch->Put(dentries_, Slice(DentryKey(project_, dir->ino, name)), Slice(EncodeDirEntry(entry)));
  batch->Put(cookies_, Slice(CookieKey(project_, dir->ino, entry.cookie)),
             Slice(EncodeCookieValue(entry.ino, entry.type, name)));
  batch->Put(links_, Slice(LinkKey(project_, child.ino, dir->ino, name)), "");
}

void LiveTree::RemoveEntry(rocksdb::WriteBatch* batch, const Inode& dir, std::string_view name,
                           const DirEntry& entry) {
  batch->Delete(dentries_, Slice(DentryKey(project_, dir.ino, name)));
  batch->Delete(cookies_, Slice(CookieKey(project_, dir.ino, entry.cookie)));
  batch->Delete(links_, Slice(LinkKey(project_, entry.ino, dir.ino, name)));
}

void LiveTree::DropName(rocksdb::WriteBatch* batch, Inode* inode, int64_t now) {
  inode->nlink = inode->is_dir() ? 0 : inode->nlink - 1;
  inode->ctime_ns = now;
  ++inode->version;
  PutInode(batch, *inode);
  if (inode->nlink == 0) batch->Put(orphans_, Slice(InodeKey(project_, inode->ino)), "");
}

Result<Inode> LiveTree::GetAttr(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  return Load(ino);
}

Result<Inode> LiveTree::Lookup(Ino parent, std::string_view name) {
  if (name.size() > kMaxNameLength) return Errno(ENAMETOOLONG, "name longer than 255 bytes");
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  if (name == ".") return dir;
  if (name == "..") return Load(dir.parent);
  ASSIGN_OR_RETURN(auto entry, FindEntry(parent, name));
  if (!entry) return Errno(ENOENT, std::string(name));
  return Load(entry->ino);
}

Result<Inode> LiveTree::CreateLocked(Ino parent, std::string_view name, uint32_t mode,
                                     uint64_t rdev, const Caller& caller,
                                     std::string_view symlink_target) {
  RETURN_IF_ERROR(ValidateName(name));
  ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  ASSIGN_OR_RETURN(auto existing, FindEntry(parent, name));
  if (existing) return Errno(EEXIST, std::string(name));
  if (limits_.max_inodes != 0 && state_.usage.inodes >= limits_.max_inodes) {
    return Errno(EDQUOT, "inode quota of " + std::to_string(limits_.max_inodes) + " reached");
  }
  const int64_t now = clock_->NowNanos();
  Inode child;
  child.ino = state_.next_ino++;
  child.mode = mode;
  child.uid = caller.uid;
  // BSD group semantics under a setgid directory: the directory's group, and subdirectories
  // inherit the setgid bit.
  child.gid = (dir.mode & S_ISGID) ? dir.gid : caller.gid;
  if ((dir.mode & S_ISGID) && S_ISDIR(mode)) child.mode |= S_ISGID;
  child.nlink = S_ISDIR(mode) ? 2 : 1;
  child.rdev = rdev;
  child.atime_ns = child.mtime_ns = child.ctime_ns = now;
  child.parent = S_ISDIR(mode) ? parent : 0;
  child.symlink_target = std::string(symlink_target);
  child.size = symlink_target.size();

  dir.mtime_ns = dir.ctime_ns = now;
  ++dir.version;
  if (S_ISDIR(mode)) ++dir.nlink;
  ++state_.usage.inodes;

  rocksdb::WriteBatch batch;
  AddEntry(&batch, &dir, name, child);
  PutInode(&batch, child);
  PutInode(&batch, dir);
  PutState(&batch);
  Status written = Write(&batch);
  if (!written.ok()) {
    --state_.usage.inodes;  // the inode number stays used: harmless, numbers are never reused
    return written;
  }
  return child;
}

Result<Inode> LiveTree::MakeNode(Ino parent, std::string_view name, uint32_t mode, uint64_t rdev,
                                 const Caller& caller) {
  if (S_ISDIR(mode) || S_ISLNK(mode)) return Errno(EINVAL, "mknod of a directory or symlink");
  if ((mode & S_IFMT) == 0) mode |= S_IFREG;
  std::lock_guard<std::mutex> lock(mu_);
  return CreateLocked(parent, name, mode, rdev, caller, "");
}

Result<Inode> LiveTree::MakeDir(Ino parent, std::string_view name, uint32_t mode,
                                const Caller& caller) {
  std::lock_guard<std::mutex> lock(mu_);
  return CreateLocked(parent, name, S_IFDIR | (mode & 07777), 0, caller, "");
}

Result<Inode> LiveTree::Symlink(Ino parent, std::string_view name, std::string_view target,
                                const Caller& caller) {
  if (target.empty() || target.size() >= 4096) {
    return Errno(target.empty() ? ENOENT : ENAMETOOLONG, "symlink target");
  }
  std::lock_guard<std::mutex> lock(mu_);
  return CreateLocked(parent, name, S_IFLNK | 0777, 0, caller, target);
}

Result<Inode> LiveTree::Link(Ino ino, Ino new_parent, std::string_view new_name) {
  RETURN_IF_ERROR(ValidateName(new_name));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  if (inode.is_dir()) return Errno(EPERM, "hard link to a directory");
  if (inode.nlink == 0) return Errno(ENOENT, "link to a removed file");
  if (inode.nlink >= kMaxLinks) return Errno(EMLINK, "too many links");
  ASSIGN_OR_RETURN(Inode dir, LoadDir(new_parent));
  ASSIGN_OR_RETURN(auto existing, FindEntry(new_parent, new_name));
  if (existing) return Errno(EEXIST, std::string(new_name));
  const int64_t now = clock_->NowNanos();
  ++inode.nlink;
  inode.ctime_ns = now;
  ++inode.version;
  dir.mtime_ns = dir.ctime_ns = now;
  ++dir.version;
  rocksdb::WriteBatch batch;
  AddEntry(&batch, &dir, new_name, inode);
  PutInode(&batch, inode);
  PutInode(&batch, dir);
  RETURN_IF_ERROR(Write(&batch));
  return inode;
}

Result<Inode> LiveTree::Unlink(Ino parent, std::string_view name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  ASSIGN_OR_RETURN(auto entry, FindEntry(parent, name));
  if (!entry) return Errno(ENOENT, std::string(name));
  ASSIGN_OR_RETURN(Inode inode, Load(entry->ino));
  if (inode.is_dir()) return Errno(EISDIR, std::string(name));
  const int64_t now = clock_->NowNanos();
  dir.mtime_ns = dir.ctime_ns = now;
  ++dir.version;
  rocksdb::WriteBatch batch;
  RemoveEntry(&batch, dir, name, *entry);
  DropName(&batch, &inode, now);
  PutInode(&batch, dir);
  RETURN_IF_ERROR(Write(&batch));
  return inode;
}

Result<Inode> LiveTree::RemoveDir(Ino parent, std::string_view name) {
  if (name == "..") return Errno(ENOTEMPTY, "rmdir ..");
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode dir, LoadDir(parent));
  ASSIGN_OR_RETURN(auto entry, FindEntry(parent, name));
  if (!entry) return Errno(ENOENT, std::string(name));
  ASSIGN_OR_RETURN(Inode victim, Load(entry->ino));
  if (!victim.is_dir()) return Errno(ENOTDIR, std::string(name));
  ASSIGN_OR_RETURN(bool empty, IsEmptyDir(victim.ino));
  if (!empty) return Errno(ENOTEMPTY, std::string(name));
  const int64_t now = clock_->NowNanos();
  dir.mtime_ns = dir.ctime_ns = now;
  --dir.nlink;
  ++dir.version;
  rocksdb::WriteBatch batch;
  RemoveEntry(&batch, dir, name, *entry);
  DropName(&batch, &victim, now);
  PutInode(&batch, dir);
  RETURN_IF_ERROR(Write(&batch));
  return victim;
}

Status LiveTree::Rename(Ino parent, std::string_view name, Ino new_parent,
                        std::string_view new_name, unsigned flags) {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 ||
      (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)) {
    return Errno(EINVAL, "rename flags");
  }
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateName(new_name));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode from_dir, LoadDir(parent));
  ASSIGN_OR_RETURN(auto from_entry, FindEntry(parent, name));
  if (!from_entry) return Errno(ENOENT, std::string(name));
  ASSIGN_OR_RETURN(Inode to_dir, LoadDir(new_parent));
  ASSIGN_OR_RETURN(auto to_entry, FindEntry(new_parent, new_name));
  if (flags & RENAME_NOREPLACE && to_entry) return Errno(EEXIST, std::string(new_name));
  if (flags & RENAME_EXCHANGE && !to_entry) return Errno(ENOENT, std::string(new_name));
  ASSIGN_OR_RETURN(Inode moving, Load(from_entry->ino));
  // Two names of one inode (or the same name): POSIX says do nothing.
  if (to_entry && to_entry->ino == moving.ino) return Status::Ok();

  // A directory may not move into its own subtree (with EXCHANGE, in either direction).
  auto inside = [&](Ino dir_ino, Ino ancestor) -> Result<bool> {
    for (Ino at = dir_ino;;) {
      if (at == ancestor) return true;
      if (at == kRootIno) return false;
      ASSIGN_OR_RETURN(Inode up, Load(at));
      at = up.parent;
    }
  };
  if (moving.is_dir()) {
    ASSIGN_OR_RETURN(bool loops, inside(new_parent, moving.ino));
    if (loops) return Errno(EINVAL, "rename of a directory into itself");
  }

  const int64_t now = clock_->NowNanos();
  const bool same_dir = parent == new_parent;
  // Both directory records are edited through these; in one directory they are the same record.
  Inode* src_dir = &from_dir;
  Inode* dst_dir = same_dir ? &from_dir : &to_dir;
  rocksdb::WriteBatch batch;

  if (flags & RENAME_EXCHANGE) {
    ASSIGN_OR_RETURN(Inode other, Load(to_entry->ino));
    if (other.is_dir()) {
      ASSIGN_OR_RETURN(bool loops, inside(parent, other.ino));
      if (loops) return Errno(EINVAL, "rename of a directory into itself");
    }
    RemoveEntry(&batch, *src_dir, name, *from_entry);
    RemoveEntry(&batch, *dst_dir, new_name, *to_entry);
    AddEntry(&batch, dst_dir, new_name, moving);
    AddEntry(&batch, src_dir, name, other);
    if (!same_dir && moving.is_dir() != other.is_dir()) {
      // One directory changes sides: the parents' subdirectory counts follow it.
      Inode* gains = moving.is_dir() ? dst_dir : src_dir;
      Inode* loses = moving.is_dir() ? src_dir : dst_dir;
      ++gains->nlink;
      --loses->nlink;
    }
    if (moving.is_dir()) moving.parent = new_parent;
    if (other.is_dir()) other.parent = parent;
    moving.ctime_ns = other.ctime_ns = now;
    ++moving.version;
    ++other.version;
    PutInode(&batch, other);
  } else {
    if (to_entry) {
      ASSIGN_OR_RETURN(Inode replaced, Load(to_entry->ino));
      if (moving.is_dir()) {
        if (!replaced.is_dir()) return Errno(ENOTDIR, std::string(new_name));
        ASSIGN_OR_RETURN(bool empty, IsEmptyDir(replaced.ino));
        if (!empty) return Errno(ENOTEMPTY, std::string(new_name));
        --dst_dir->nlink;  // the replaced subdirectory goes
      } else if (replaced.is_dir()) {
        return Errno(EISDIR, std::string(new_name));
      }
      RemoveEntry(&batch, *dst_dir, new_name, *to_entry);
      DropName(&batch, &replaced, now);
    }
    RemoveEntry(&batch, *src_dir, name, *from_entry);
    AddEntry(&batch, dst_dir, new_name, moving);
    if (moving.is_dir() && !same_dir) {
      --src_dir->nlink;
      ++dst_dir->nlink;
      moving.parent = new_parent;
    }
    moving.ctime_ns = now;
    ++moving.version;
  }
  src_dir->mtime_ns = src_dir->ctime_ns = now;
  dst_dir->mtime_ns = dst_dir->ctime_ns = now;
  ++src_dir->version;
  if (!same_dir) ++dst_dir->version;
  PutInode(&batch, moving);
  PutInode(&batch, *src_dir);
  if (!same_dir) PutInode(&batch, *dst_dir);
  return Write(&batch);
}

Status LiveTree::TouchAtime(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  inode.atime_ns = clock_->NowNanos();
  rocksdb::WriteBatch batch;
  PutInodeRecord(&batch, inode);
  return Write(&batch);
}

Result<Inode> LiveTree::SetAttr(Ino ino, const AttrChange& change) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  const int64_t now = clock_->NowNanos();
  if (change.size) {
    if (inode.is_dir()) return Errno(EISDIR, "truncate of a directory");
    if (!inode.is_regular()) return Errno(EINVAL, "truncate of a special file");
    inode.size = *change.size;
    inode.mtime_ns = now;
  }
  if (change.mode) inode.mode = (inode.mode & S_IFMT) | (*change.mode & 07777);
  if (change.uid) inode.uid = *change.uid;
  if (change.gid) inode.gid = *change.gid;
  if (change.atime_now) inode.atime_ns = now;
  else if (change.atime_ns) inode.atime_ns = *change.atime_ns;
  if (change.mtime_now) inode.mtime_ns = now;
  else if (change.mtime_ns) inode.mtime_ns = *change.mtime_ns;
  inode.ctime_ns = now;
  ++inode.version;
  rocksdb::WriteBatch batch;
  PutInode(&batch, inode);
  RETURN_IF_ERROR(Write(&batch));
  return inode;
}

Result<Inode> LiveTree::UpdateData(Ino ino, const DataEdit& edit) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  if (!inode.is_regular()) return Errno(EINVAL, "data of a non-regular file");
  const uint64_t allocated_before = inode.allocated;
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(edit(&batch, &inode));
  State next = state_;
  next.usage.bytes = next.usage.bytes - std::min(next.usage.bytes, allocated_before) +
                     inode.allocated;
  if (inode.allocated > allocated_before && limits_.max_bytes != 0 &&
      next.usage.bytes > limits_.max_bytes) {
    return Errno(EDQUOT, "byte quota of " + std::to_string(limits_.max_bytes) + " reached");
  }
  ++inode.version;
  PutInode(&batch, inode);
  const State before = state_;
  state_ = next;
  PutState(&batch);
  Status written = Write(&batch);
  if (!written.ok()) {
    state_ = before;
    return written;
  }
  return inode;
}

Result<Ino> LiveTree::ReserveInodes(uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  const Ino first = state_.next_ino;
  state_.next_ino += count;
  rocksdb::WriteBatch batch;
  PutState(&batch);
  Status written = Write(&batch);
  if (!written.ok()) {
    state_.next_ino = first;
    return written;
  }
  return first;
}

Status LiveTree::Import(std::span<const ImportOp> ops, rocksdb::WriteBatch* batch,
                        size_t* applied) {
  *applied = 0;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowNanos();
  // Every inode the batch changes, written once at the end: an inode changed by several ops (a
  // directory taking many entries, a file taking several names) gets one record and one
  // dirty mark.
  struct Touched {
    Inode inode;
    bool created = false;  // new in this batch: no record to compare against, version stays
    bool changed = false;
  };
  std::unordered_map<Ino, Touched> touched;
  std::vector<Ino> order;                 // of first touch, so the batch is deterministic
  std::unordered_set<std::string> names;  // DentryKey of the names this batch adds
  // Created by an earlier batch of the same import or existing: read once.
  auto get = [&](Ino ino) -> Result<Touched*> {
    auto it = touched.find(ino);
    if (it != touched.end()) return &it->second;
    ASSIGN_OR_RETURN(Inode inode, Load(ino));
    order.push_back(ino);
    return &touched.emplace(ino, Touched{std::move(inode), false, false}).first->second;
  };
  auto get_dir = [&](Ino ino) -> Result<Touched*> {
    ASSIGN_OR_RETURN(Touched * dir, get(ino));
    if (!dir->inode.is_dir()) return Errno(ENOTDIR, "inode " + std::to_string(ino));
    if (dir->inode.nlink == 0)
      return Errno(ENOENT, "directory " + std::to_string(ino) + " was removed");
    return dir;
  };
  // The name is free: neither in the tree (a directory made by this batch has no entries there)
  // nor added earlier in this batch.
  auto check_free = [&](const Touched& dir, std::string_view name) -> Result<std::string> {
    RETURN_IF_ERROR(ValidateName(name));
    std::string key = DentryKey(project_, dir.inode.ino, name);
    if (names.count(key)) return Errno(EEXIST, std::string(name));
    if (!dir.created) {
      ASSIGN_OR_RETURN(auto existing, FindEntry(dir.inode.ino, name));
      if (existing) return Errno(EEXIST, std::string(name));
    }
    return key;
  };
  State next = state_;
  auto apply = [&](const ImportOp& op) -> Status {
    switch (op.kind) {
      case ImportOp::Kind::kCreate: {
        const uint32_t type = op.attrs.mode & S_IFMT;
        if (op.ino < kRootIno + 1 || op.ino >= state_.next_ino || touched.count(op.ino)) {
          return Errno(EINVAL, "import of inode " + std::to_string(op.ino) + ", not reserved");
        }
        if (type == S_IFLNK &&
            (op.attrs.symlink_target.empty() || op.attrs.symlink_target.size() >= 4096)) {
          return Errno(op.attrs.symlink_target.empty() ? ENOENT : ENAMETOOLONG, "symlink target");
        }
        if (type == 0) return Errno(EINVAL, "import of a node without a file type");
        ASSIGN_OR_RETURN(Touched * dir, get_dir(op.parent));
        ASSIGN_OR_RETURN(std::string key, check_free(*dir, op.name));
        if (limits_.max_inodes != 0 && next.usage.inodes >= limits_.max_inodes) {
          return Errno(EDQUOT, "inode quota of " + std::to_string(limits_.max_inodes) + " reached");
        }
        uint64_t allocated = 0;
        if (type == S_IFREG) {
          for (const ImportExtent& e : op.extents) allocated += e.length;
        } else if (!op.extents.empty()) {
          return Errno(EINVAL, "data of a non-regular file");
        }
        if (allocated > 0 && limits_.max_bytes != 0 &&
            next.usage.bytes + allocated > limits_.max_bytes) {
          return Errno(EDQUOT, "byte quota of " + std::to_string(limits_.max_bytes) + " reached");
        }
        for (const auto& [name, value] : op.xattrs) {
          Status valid = ValidateXattr(name, value.size());
          if (!valid.ok()) return valid.WithContext(op.name);
        }
        Inode child;
        child.ino = op.ino;
        child.mode = type == S_IFLNK ? (S_IFLNK | 0777) : op.attrs.mode;
        child.uid = op.attrs.uid;
        child.gid = op.attrs.gid;
        child.nlink = type == S_IFDIR ? 2 : 1;
        child.rdev = type == S_IFCHR || type == S_IFBLK ? op.attrs.rdev : 0;
        child.atime_ns = op.attrs.atime_ns;
        child.mtime_ns = op.attrs.mtime_ns;
        child.ctime_ns = now;
        child.parent = type == S_IFDIR ? op.parent : 0;
        child.symlink_target = type == S_IFLNK ? op.attrs.symlink_target : std::string();
        child.size = type == S_IFREG   ? op.attrs.size
                     : type == S_IFLNK ? child.symlink_target.size()
                                       : 0;
        child.allocated = allocated;
        AddEntry(batch, &dir->inode, op.name, child);
        names.insert(std::move(key));
        dir->inode.mtime_ns = dir->inode.ctime_ns = now;
        if (type == S_IFDIR) ++dir->inode.nlink;
        dir->changed = true;
        for (const ImportExtent& e : op.extents) {
          batch->Put(extents_, Slice(ExtentKey(project_, child.ino, e.offset)),
                     Slice(EncodeExtentValue(e.id, e.length)));
        }
        for (const auto& [name, value] : op.xattrs) {
          batch->Put(xattrs_, Slice(XattrKey(project_, child.ino, name)), Slice(value));
        }
        ++next.usage.inodes;
        next.usage.bytes += allocated;
        order.push_back(child.ino);
        touched.emplace(child.ino, Touched{std::move(child), true, true});
        return Status::Ok();
      }
      case ImportOp::Kind::kLink: {
        ASSIGN_OR_RETURN(Touched * target, get(op.ino));
        if (target->inode.is_dir()) return Errno(EPERM, "hard link to a directory");
        if (target->inode.nlink == 0) return Errno(ENOENT, "link to a removed file");
        if (target->inode.nlink >= kMaxLinks) return Errno(EMLINK, "too many links");
        ASSIGN_OR_RETURN(Touched * dir, get_dir(op.parent));
        ASSIGN_OR_RETURN(std::string key, check_free(*dir, op.name));
        ++target->inode.nlink;
        target->inode.ctime_ns = now;
        target->changed = true;
        AddEntry(batch, &dir->inode, op.name, target->inode);
        names.insert(std::move(key));
        dir->inode.mtime_ns = dir->inode.ctime_ns = now;
        dir->changed = true;
        return Status::Ok();
      }
      case ImportOp::Kind::kSetTimes: {
        ASSIGN_OR_RETURN(Touched * node, get(op.ino));
        node->inode.atime_ns = op.attrs.atime_ns;
        node->inode.mtime_ns = op.attrs.mtime_ns;
        node->inode.ctime_ns = now;
        node->changed = true;
        return Status::Ok();
      }
    }
    return Errno(EINVAL, "unknown import op");
  };
  Status failed;
  size_t done = 0;
  for (; done < ops.size(); ++done) {
    failed = apply(ops[done]);
    if (!failed.ok()) break;
  }
  for (Ino ino : order) {
    Touched& t = touched.at(ino);
    if (!t.changed) continue;
    if (!t.created) ++t.inode.version;
    PutInode(batch, t.inode);
  }
  const State before = state_;
  state_.usage = next.usage;
  PutState(batch);
  Status written = Write(batch);
  if (!written.ok()) {
    state_ = before;
    return written;
  }
  *applied = done;
  return failed;
}

Result<std::string> LiveTree::ReadLink(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  if (!inode.is_symlink()) return Errno(EINVAL, "readlink of a non-symlink");
  return inode.symlink_target;
}

Result<std::vector<DirListing>> LiveTree::ReadDir(Ino dir_ino, uint64_t after, size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode dir, Load(dir_ino));
  if (!dir.is_dir()) return Errno(ENOTDIR, "readdir");
  std::vector<DirListing> out;
  const std::string prefix = InodeKey(project_, dir_ino);
  PrefixIterator it(db_->db(), cookies_, prefix);
  for (it->Seek(CookieKey(project_, dir_ino, after + 1)); it->Valid() && out.size() < max;
       it->Next()) {
    rocksdb::Slice key = it->key(), value = it->value();
    if (key.size() != prefix.size() + 8 || value.size() < 9) {
      return DataLossError("corrupt readdir cookie in directory " + std::to_string(dir_ino));
    }
    const auto* v = reinterpret_cast<const uint8_t*>(value.data());
    DirListing entry;
    entry.cookie = DecodeBigEndian64(reinterpret_cast<const uint8_t*>(key.data()) + prefix.size());
    entry.ino = DecodeFixed64(v);
    entry.type = v[8];
    entry.name.assign(value.data() + 9, value.size() - 9);
    out.push_back(std::move(entry));
  }
  if (!it->status().ok()) return UnavailableError("readdir: " + it->status().ToString());
  return out;
}

Result<std::vector<std::pair<Ino, std::string>>> LiveTree::FindNames(std::span<const Ino> dirs,
                                                                     std::string_view prefix) {
  std::vector<std::pair<Ino, std::string>> found;
  const std::string project(project_.key());
  PrefixIterator it(db_->db(), dentries_, project);
  // The directory of the entry the iterator rests on: every inode below it that a seek skipped
  // over has no entry at or after `prefix`.
  Ino landed = 0;
  for (Ino dir : dirs) {
    if (dir < landed) continue;
    const std::string dir_prefix = DentryPrefix(project_, dir);
    for (it->Seek(DentryKey(project_, dir, prefix)); it->Valid(); it->Next()) {
      rocksdb::Slice key = it->key();
      if (!key.starts_with(dir_prefix)) break;
      std::string_view name(key.data() + dir_prefix.size(), key.size() - dir_prefix.size());
      if (!name.starts_with(prefix)) break;
      found.emplace_back(dir, std::string(name));
    }
    if (!it->status().ok()) return UnavailableError("find names: " + it->status().ToString());
    if (!it->Valid()) break;  // nothing left in the project
    if (it->key().size() < project.size() + 8) return DataLossError("corrupt directory entry key");
    landed = DecodeBigEndian64(reinterpret_cast<const uint8_t*>(it->key().data()) + project.size());
  }
  return found;
}

Status LiveTree::SetXattr(Ino ino, std::string_view name, ByteView value, int flags) {
  RETURN_IF_ERROR(ValidateXattr(name, value.size()));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  std::string existing;
  const std::string key = XattrKey(project_, ino, name);
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), xattrs_, key, &existing);
  if (!s.ok() && !s.IsNotFound()) return UnavailableError("read xattr: " + s.ToString());
  if (flags & XATTR_CREATE && s.ok()) return Errno(EEXIST, "xattr " + std::string(name));
  if (flags & XATTR_REPLACE && s.IsNotFound()) return Errno(ENODATA, "xattr " + std::string(name));
  inode.ctime_ns = clock_->NowNanos();
  ++inode.version;
  rocksdb::WriteBatch batch;
  batch.Put(xattrs_, key, rocksdb::Slice(AsChars(value)));
  PutInode(&batch, inode);
  return Write(&batch);
}

Result<std::string> LiveTree::GetXattr(Ino ino, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Load(ino));
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), xattrs_, XattrKey(project_, ino, name), &value);
  if (s.IsNotFound()) return Errno(ENODATA, "xattr " + std::string(name));
  if (!s.ok()) return UnavailableError("read xattr: " + s.ToString());
  return value;
}

Result<std::vector<std::string>> LiveTree::ListXattr(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Load(ino));
  const std::string prefix = InodeKey(project_, ino);
  PrefixIterator it(db_->db(), xattrs_, prefix);
  std::vector<std::string> names;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    names.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  }
  if (!it->status().ok()) return UnavailableError("list xattrs: " + it->status().ToString());
  return names;
}

Status LiveTree::RemoveXattr(Ino ino, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Inode inode, Load(ino));
  std::string value;
  const std::string key = XattrKey(project_, ino, name);
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), xattrs_, key, &value);
  if (s.IsNotFound()) return Errno(ENODATA, "xattr " + std::string(name));
  if (!s.ok()) return UnavailableError("read xattr: " + s.ToString());
  inode.ctime_ns = clock_->NowNanos();
  ++inode.version;
  rocksdb::WriteBatch batch;
  batch.Delete(xattrs_, key);
  PutInode(&batch, inode);
  return Write(&batch);
}

Status LiveTree::ReleaseOrphan(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReleaseLocked(ino);
}

Status LiveTree::ReleaseLocked(Ino ino) {
  auto inode = Load(ino);
  rocksdb::WriteBatch batch;
  const std::string key = InodeKey(project_, ino);
  const State before = state_;
  if (inode.ok()) {
    if (inode->nlink > 0) return Status::Ok();
    batch.Delete(inodes_, key);
    batch.DeleteRange(xattrs_, key, PrefixEnd(key));
    batch.DeleteRange(extents_, key, PrefixEnd(key));
    batch.DeleteRange(links_, key, PrefixEnd(key));
    batch.Delete(dirty_, key);
    batch.Delete(tree_ids_, key);
    --state_.usage.inodes;
    state_.usage.bytes -= std::min(state_.usage.bytes, inode->allocated);
    PutState(&batch);
  } else if (inode.status().ToErrno() != ENOENT) {
    return inode.status();
  }
  batch.Delete(orphans_, key);
  Status written = Write(&batch);
  if (!written.ok()) state_ = before;
  return written;
}

Status LiveTree::CompleteSnapshot(std::span<const std::pair<Ino, storage::ChunkId>> rebuilt_trees,
                                  std::span<const snapshot::DirtyMark> consumed) {
  std::lock_guard<std::mutex> lock(mu_);
  rocksdb::WriteBatch batch;
  for (const auto& [dir, id] : rebuilt_trees) {
    // A directory freed since the frozen view keeps no cache entry.
    auto inode = Load(dir);
    if (!inode.ok()) {
      if (inode.status().ToErrno() == ENOENT) continue;
      return inode.status();
    }
    batch.Put(tree_ids_, Slice(InodeKey(project_, dir)), rocksdb::Slice(AsChars(id.bytes())));
  }
  // The marks are read in key order with one iterator: after the first snapshot of a large tree
  // there is one per node, and the tree's lock is held meanwhile. Neighbouring marks are reached
  // by stepping, not seeking. (DirtyNodes lists them in that order already.)
  auto by_node = [](const snapshot::DirtyMark& a, const snapshot::DirtyMark& b) {
    return a.node < b.node;
  };
  std::vector<snapshot::DirtyMark> sorted;
  if (!std::is_sorted(consumed.begin(), consumed.end(), by_node)) {
    sorted.assign(consumed.begin(), consumed.end());
    std::sort(sorted.begin(), sorted.end(), by_node);
    consumed = sorted;
  }
  const std::string project(project_.key());
  PrefixIterator it(db_->db(), dirty_, project);
  it->Seek(project);
  for (const snapshot::DirtyMark& mark : consumed) {
    const std::string key = InodeKey(project_, mark.node);
    for (int steps = 0; it->Valid() && it->key().compare(key) < 0; ++steps) {
      if (steps == 8) {
        it->Seek(key);
        break;
      }
      it->Next();
    }
    if (!it->status().ok()) return UnavailableError("read dirty marks: " + it->status().ToString());
    if (!it->Valid()) break;  // no marks left
    if (it->key() != rocksdb::Slice(key)) continue;  // cleared already
    if (it->value().size() != 8) {
      return DataLossError("corrupt dirty mark of inode " + std::to_string(mark.node));
    }
    // A node changed after the frozen view keeps its mark for the next snapshot.
    if (DecodeFixed64(reinterpret_cast<const uint8_t*>(it->value().data())) == mark.version) {
      batch.Delete(dirty_, key);
    }
  }
  return Write(&batch);
}

Usage LiveTree::usage() {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.usage;
}

Limits LiveTree::limits() {
  std::lock_guard<std::mutex> lock(mu_);
  return limits_;
}

void LiveTree::set_limits(const Limits& limits) {
  std::lock_guard<std::mutex> lock(mu_);
  limits_ = limits;
}

}  // namespace berth::fs
