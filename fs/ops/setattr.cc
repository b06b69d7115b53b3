#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

// Nanoseconds since the epoch, or nullopt when the time does not fit in 64 bits (about 292
// years either side of 1970).
std::optional<int64_t> ToNanos(const timespec& ts) {
  int64_t ns = 0;
  if (__builtin_mul_overflow(static_cast<int64_t>(ts.tv_sec), int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, static_cast<int64_t>(ts.tv_nsec), &ns)) {
    return std::nullopt;
  }
  return ns;
}

}  // namespace

// chmod, chown, utimensat and truncate. Permission to do each was checked by the kernel
// (default_permissions). With FUSE_HANDLE_KILLPRIV_V2 the kernel leaves the set-user-ID and
// set-group-ID clearing of chown and of a truncate to us (the kill mark, KilledMode).
void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
             fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    AttrChange change;
    if (to_set & FUSE_SET_ATTR_MODE) change.mode = attr->st_mode & 07777;
    if (to_set & FUSE_SET_ATTR_UID) change.uid = attr->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) change.gid = attr->st_gid;
    // chown(path, -1, -1) arrives with nothing to set: with FUSE_HANDLE_KILLPRIV_V2 the kernel
    // marks only a chown that names an owner or group, yet clears set-user-ID (and a
    // group-executable set-group-ID) on every chown of a non-directory, as ext4 does.
    if (to_set == 0) {
      Result<Inode> inode = Ctx(req).tree->GetAttr(ino);
      if (!inode.ok()) return ReplyError(req, inode.status());
      if (!inode->is_dir()) change.mode = ChownKeptMode(inode->mode & 07777);
    }
    if (CurrentRequest().kill_suidgid) {
      Result<Inode> inode = Ctx(req).tree->GetAttr(ino);
      if (!inode.ok()) return ReplyError(req, inode.status());
      if (!inode->is_dir()) {
        const bool chown = (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) != 0;
        const std::optional<uint32_t> kept =
            KilledMode(req, change.mode.value_or(inode->mode & 07777), inode->gid, chown);
        if (kept) change.mode = *kept;
      }
    }
    // Truncation goes through the data path, which cuts or extends the contents and sets size and
    // mtime in one commit; the other attributes follow.
    if (to_set & FUSE_SET_ATTR_SIZE) {
      Status truncated = Ctx(req).data->Truncate(ino, static_cast<uint64_t>(attr->st_size));
      if (!truncated.ok()) return ReplyError(req, truncated);
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
      change.atime_now = true;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
      change.atime_ns = ToNanos(attr->st_atim);
      if (!change.atime_ns) return ReplyError(req, PosixError("atime", EOVERFLOW));
    }
    // The kernel sends a truncate or ftruncate without the mtime it implies; the file's times
    // move even when the size stays (as on ext4, and as open(O_TRUNC) of an empty file needs).
    if ((to_set & FUSE_SET_ATTR_SIZE) && !(to_set & FUSE_SET_ATTR_MTIME)) {
      to_set |= FUSE_SET_ATTR_MTIME_NOW;
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
      change.mtime_now = true;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
      change.mtime_ns = ToNanos(attr->st_mtim);
      if (!change.mtime_ns) return ReplyError(req, PosixError("mtime", EOVERFLOW));
    }
    Result<Inode> changed = Ctx(req).tree->SetAttr(ino, change);
    if (!changed.ok()) return ReplyError(req, changed.status());
    // Uncommitted writes must not win over a time set after them (tar and cp -p set times
    // before they close the file).
    if (change.mtime_ns || change.mtime_now) Ctx(req).data->SetMtime(ino, changed->mtime_ns);
    ReplyAttr(req, *changed);
  });
}

}  // namespace berth::fs::ops
