// `.snapshots/` (fs/snapshot_view.h): the read-only view of a project's snapshots, served for
// node ids with kVirtualBit and for the name ".snapshots" at the root. The live operations call
// in here first; everything that would change a view node answers EROFS.
#include "fs/ops/snapshots_dir.h"

#include <fcntl.h>

#include <vector>

namespace berth::fs::ops {

namespace {

// Snapshot content never changes: the kernel may keep what it learnt. `.snapshots` itself
// gains entries, so its attributes are trusted briefly.
constexpr double kSnapshotTimeout = 3600;
constexpr double kSnapshotsDirTimeout = 1;

SnapshotView* View(fuse_req_t req) { return Ctx(req).snapshots; }

fuse_entry_param ViewEntry(const struct stat& st) {
  fuse_entry_param e{};
  e.ino = st.st_ino;
  e.attr = st;
  e.entry_timeout = e.attr_timeout =
      st.st_ino == kSnapshotsDirIno ? kSnapshotsDirTimeout : kSnapshotTimeout;
  return e;
}

}  // namespace

bool IsSnapshotsName(fuse_req_t req, Ino parent, std::string_view name) {
  return View(req) != nullptr && parent == kRootIno && name == kSnapshotsDirName;
}

bool ServeViewLookup(fuse_req_t req, Ino parent, const char* name) {
  SnapshotView* view = View(req);
  if (view == nullptr) return false;
  if (IsSnapshotsName(req, parent, name)) {
    auto st = view->GetAttr(kSnapshotsDirIno);
    if (!st.ok()) {
      ReplyError(req, st.status());
      return true;
    }
    const fuse_entry_param e = ViewEntry(*st);
    fuse_reply_entry(req, &e);
    return true;
  }
  if (!IsVirtual(parent)) return false;
  auto st = view->Lookup(parent, name);
  if (!st.ok()) {
    ReplyError(req, st.status());
    return true;
  }
  const fuse_entry_param e = ViewEntry(*st);
  if (fuse_reply_entry(req, &e) != 0) view->Forget(st->st_ino, 1);
  return true;
}

void ServeViewGetAttr(fuse_req_t req, Ino ino) {
  SnapshotView* view = View(req);
  if (view == nullptr) return ReplyError(req, PosixError("no snapshot view", ESTALE));
  auto st = view->GetAttr(ino);
  if (!st.ok()) return ReplyError(req, st.status());
  fuse_reply_attr(req, &*st, ino == kSnapshotsDirIno ? kSnapshotsDirTimeout : kSnapshotTimeout);
}

void ServeViewOpen(fuse_req_t req, Ino ino, fuse_file_info* fi, bool directory) {
  SnapshotView* view = View(req);
  if (view == nullptr) return ReplyError(req, PosixError("no snapshot view", ESTALE));
  if (!directory && (fi->flags & O_ACCMODE) != O_RDONLY) {
    return ReplyError(req, PosixError("snapshots are read-only", EROFS));
  }
  auto st = view->GetAttr(ino);
  if (!st.ok()) return ReplyError(req, st.status());
  if (directory != S_ISDIR(st->st_mode)) {
    return ReplyError(req, PosixError("open", directory ? ENOTDIR : EISDIR));
  }
  fi->keep_cache = 1;  // the bytes of a snapshot never change
  fuse_reply_open(req, fi);
}

void ServeViewRead(fuse_req_t req, Ino ino, size_t size, off_t off) {
  auto bytes = View(req)->Read(ino, static_cast<uint64_t>(off), size);
  if (!bytes.ok()) return ReplyError(req, bytes.status());
  fuse_reply_buf(req, reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

void ServeViewLseek(fuse_req_t req, Ino ino, off_t off, int whence) {
  SnapshotView* view = View(req);
  if (view == nullptr) return ReplyError(req, PosixError("no snapshot view", ESTALE));
  if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0) {
    return ReplyError(req, PosixError("lseek", EINVAL));
  }
  auto st = view->GetAttr(ino);
  if (!st.ok()) return ReplyError(req, st.status());
  if (!S_ISREG(st->st_mode)) return ReplyError(req, PosixError("lseek", EINVAL));
  if (off >= st->st_size) return ReplyError(req, PosixError("lseek", ENXIO));
  fuse_reply_lseek(req, whence == SEEK_DATA ? off : st->st_size);
}

void ServeViewReadDir(fuse_req_t req, Ino ino, size_t size, off_t off, bool plus) {
  SnapshotView* view = View(req);
  auto entries = view->ReadDir(ino);
  if (!entries.ok()) return ReplyError(req, entries.status());
  // Cookies are positions: ".", "..", then the entries (a snapshot's listing never changes).
  std::vector<char> buf(size);
  size_t used = 0;
  const size_t first = off < 0 ? 0 : static_cast<size_t>(off);
  const size_t total = entries->size() + 2;
  for (size_t i = first; i < total; ++i) {
    struct stat st{};
    const char* name;
    if (i < 2) {
      name = i == 0 ? "." : "..";
      st.st_mode = S_IFDIR;
    } else {
      name = (*entries)[i - 2].name.c_str();
      st = (*entries)[i - 2].attr;
    }
    size_t need;
    if (plus) {
      // Node id 0: listed, not instantiated; the kernel looks a name up when it is used.
      fuse_entry_param e{};
      e.attr = st;
      need = fuse_add_direntry_plus(req, buf.data() + used, buf.size() - used, name, &e,
                                    static_cast<off_t>(i + 1));
    } else {
      need = fuse_add_direntry(req, buf.data() + used, buf.size() - used, name, &st,
                               static_cast<off_t>(i + 1));
    }
    if (need > buf.size() - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void ServeViewReadLink(fuse_req_t req, Ino ino) {
  auto target = View(req)->ReadLink(ino);
  if (!target.ok()) return ReplyError(req, target.status());
  fuse_reply_readlink(req, target->c_str());
}

void ServeViewGetXattr(fuse_req_t req, Ino ino, const char* name, size_t size) {
  auto value = View(req)->GetXattr(ino, name);
  if (!value.ok()) return ReplyError(req, value.status());
  ReplyXattrValue(req, size, *value);
}

void ServeViewListXattr(fuse_req_t req, Ino ino, size_t size) {
  auto names = View(req)->ListXattr(ino);
  if (!names.ok()) return ReplyError(req, names.status());
  ReplyXattrNames(req, size, *names);
}

void ServeViewForget(fuse_req_t req, Ino ino, uint64_t count) {
  if (View(req) != nullptr && ino != kSnapshotsDirIno) View(req)->Forget(ino, count);
}

bool RefuseViewChange(fuse_req_t req, std::initializer_list<Ino> inos, Ino parent,
                      std::string_view name) {
  bool in_view = IsSnapshotsName(req, parent, name);
  for (Ino ino : inos) in_view = in_view || IsVirtual(ino);
  if (!in_view) return false;
  ReplyError(req, PosixError("snapshots are read-only", EROFS));
  return true;
}

// --- The table's entries: the view first, the live tree otherwise ---

void ViewLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  bool served = false;
  Serve(req, [&] { served = ServeViewLookup(req, parent, name); });
  if (!served) Lookup(req, parent, name);
}

void ViewForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  if (!IsVirtual(ino)) return Forget(req, ino, nlookup);
  ServeViewForget(req, ino, nlookup);
  fuse_reply_none(req);
}

void ViewForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  std::vector<fuse_forget_data> live;
  live.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (IsVirtual(forgets[i].ino)) {
      ServeViewForget(req, forgets[i].ino, forgets[i].nlookup);
    } else {
      live.push_back(forgets[i]);
    }
  }
  if (live.empty()) return fuse_reply_none(req);
  ForgetMulti(req, live.size(), live.data());
}

void ViewGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return GetAttr(req, ino, fi);
  Serve(req, [&] { ServeViewGetAttr(req, ino); });
}

void ViewSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                 fuse_file_info* fi) {
  if (!RefuseViewChange(req, {ino})) SetAttr(req, ino, attr, to_set, fi);
}

void ViewReadLink(fuse_req_t req, fuse_ino_t ino) {
  if (!IsVirtual(ino)) return ReadLink(req, ino);
  Serve(req, [&] { ServeViewReadLink(req, ino); });
}

void ViewMakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  if (!RefuseViewChange(req, {parent}, parent, name)) MakeNode(req, parent, name, mode, rdev);
}

void ViewMakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (!RefuseViewChange(req, {parent}, parent, name)) MakeDir(req, parent, name, mode);
}

void ViewUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (!RefuseViewChange(req, {parent}, parent, name)) Unlink(req, parent, name);
}

void ViewRemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (!RefuseViewChange(req, {parent}, parent, name)) RemoveDir(req, parent, name);
}

void ViewSymlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  if (!RefuseViewChange(req, {parent}, parent, name)) Symlink(req, target, parent, name);
}

void ViewRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
                const char* new_name, unsigned int flags) {
  if (RefuseViewChange(req, {parent, new_parent}, parent, name)) return;
  if (RefuseViewChange(req, {}, new_parent, new_name)) return;
  Rename(req, parent, name, new_parent, new_name, flags);
}

void ViewLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  if (!RefuseViewChange(req, {ino, new_parent}, new_parent, new_name)) {
    Link(req, ino, new_parent, new_name);
  }
}

void ViewCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                fuse_file_info* fi) {
  if (!RefuseViewChange(req, {parent}, parent, name)) Create(req, parent, name, mode, fi);
}

void ViewOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return Open(req, ino, fi);
  Serve(req, [&] { ServeViewOpen(req, ino, fi, /*directory=*/false); });
}

void ViewOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return OpenDir(req, ino, fi);
  Serve(req, [&] { ServeViewOpen(req, ino, fi, /*directory=*/true); });
}

void ViewRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return Read(req, ino, size, off, fi);
  Serve(req, [&] { ServeViewRead(req, ino, size, off); });
}

void ViewLseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return Lseek(req, ino, off, whence, fi);
  Serve(req, [&] { ServeViewLseek(req, ino, off, whence); });
}

void ViewWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
               fuse_file_info* fi) {
  if (!RefuseViewChange(req, {ino})) Write(req, ino, buf, size, off, fi);
}

void ViewRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return Release(req, ino, fi);
  fuse_reply_err(req, 0);
}

void ViewReleaseDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return ReleaseDir(req, ino, fi);
  fuse_reply_err(req, 0);
}

void ViewFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return Flush(req, ino, fi);
  fuse_reply_err(req, 0);
}

void ViewFsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return Fsync(req, ino, datasync, fi);
  fuse_reply_err(req, 0);
}

void ViewFsyncDir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return FsyncDir(req, ino, datasync, fi);
  fuse_reply_err(req, 0);
}

void ViewReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return ReadDir(req, ino, size, off, fi);
  Serve(req, [&] { ServeViewReadDir(req, ino, size, off, /*plus=*/false); });
}

void ViewReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  if (!IsVirtual(ino)) return ReadDirPlus(req, ino, size, off, fi);
  Serve(req, [&] { ServeViewReadDir(req, ino, size, off, /*plus=*/true); });
}

void ViewFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                   fuse_file_info* fi) {
  if (!RefuseViewChange(req, {ino})) Fallocate(req, ino, mode, offset, length, fi);
}

void ViewCopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                       fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                       int flags) {
  // Reading from a snapshot into a live file is a copy the kernel can do itself (EXDEV).
  if (IsVirtual(ino_in) && !IsVirtual(ino_out)) {
    fuse_reply_err(req, EXDEV);
    return;
  }
  if (!RefuseViewChange(req, {ino_out})) {
    CopyFileRange(req, ino_in, off_in, fi_in, ino_out, off_out, fi_out, len, flags);
  }
}

void ViewSetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                  size_t size, int flags) {
  if (!RefuseViewChange(req, {ino})) SetXattr(req, ino, name, value, size, flags);
}

void ViewGetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  if (!IsVirtual(ino)) return GetXattr(req, ino, name, size);
  Serve(req, [&] { ServeViewGetXattr(req, ino, name, size); });
}

void ViewListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  if (!IsVirtual(ino)) return ListXattr(req, ino, size);
  Serve(req, [&] { ServeViewListXattr(req, ino, size); });
}

void ViewRemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  if (!RefuseViewChange(req, {ino})) RemoveXattr(req, ino, name);
}

}  // namespace berth::fs::ops
