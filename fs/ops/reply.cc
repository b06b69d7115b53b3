#include <spdlog/spdlog.h>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// st_blksize: the unit the kernel and programs like cp size their I/O in.
constexpr blksize_t kBlockSize = 4096;

timespec ToTimespec(int64_t ns) {
  // Floor division, so times before 1970 keep tv_nsec in [0, 1e9).
  int64_t sec = ns / kNanosPerSecond;
  int64_t nsec = ns % kNanosPerSecond;
  if (nsec < 0) {
    nsec += kNanosPerSecond;
    --sec;
  }
  return timespec{static_cast<time_t>(sec), static_cast<long>(nsec)};
}

}  // namespace

Context& Ctx(fuse_req_t req) { return *static_cast<Context*>(fuse_req_userdata(req)); }

void ReplyError(fuse_req_t req, const Status& status) {
  const int err = status.ToErrno();
  // Internal failures (storage errors, corruption) are worth a line in the log; errors that are
  // answers (ENOENT, EEXIST, ...) are not.
  if (err == EIO || err == EAGAIN) spdlog::warn("fuse request failed: {}", status.ToString());
  fuse_reply_err(req, err != 0 ? err : EIO);
}

struct stat ToStat(const Inode& inode) {
  struct stat st {};
  st.st_ino = inode.ino;
  st.st_mode = inode.mode;
  st.st_nlink = inode.nlink;
  st.st_uid = inode.uid;
  st.st_gid = inode.gid;
  st.st_rdev = inode.rdev;
  st.st_size = static_cast<off_t>(inode.size);
  st.st_blksize = kBlockSize;
  // A regular file's blocks are its bytes in extents (holes, zero chunks included, cost none:
  // du, and tar and cp deciding whether to look for holes, rely on it); a symlink's, its target.
  const uint64_t stored = inode.is_regular() ? inode.allocated : inode.size;
  st.st_blocks = static_cast<blkcnt_t>((stored + 511) / 512);
  st.st_atim = ToTimespec(inode.atime_ns);
  st.st_mtim = ToTimespec(inode.mtime_ns);
  st.st_ctim = ToTimespec(inode.ctime_ns);
  return st;
}

fuse_entry_param EntryParam(const Context& ctx, const Inode& inode) {
  fuse_entry_param e{};
  // All names of an inode share its number as node id, so the kernel keeps one inode (and one
  // cached nlink) for them. Inode numbers are never reused, so the generation can stay 0.
  e.ino = inode.ino;
  e.generation = 0;
  Inode seen = inode;
  if (ctx.data) ctx.data->Overlay(&seen);
  e.attr = ToStat(seen);
  e.attr_timeout = ctx.attr_timeout_s;
  e.entry_timeout = ctx.entry_timeout_s;
  return e;
}

void ReplyEntry(fuse_req_t req, const Inode& inode) {
  Context& ctx = Ctx(req);
  const fuse_entry_param e = EntryParam(ctx, inode);
  ctx.refs.AddLookups(inode.ino, 1);
  if (fuse_reply_entry(req, &e) != 0 && ctx.refs.Forget(inode.ino, 1)) {
    ReleaseIfOrphan(ctx, inode.ino);
  }
}

void ReplyAttr(fuse_req_t req, const Inode& inode) {
  Inode seen = inode;
  if (Ctx(req).data) Ctx(req).data->Overlay(&seen);
  const struct stat st = ToStat(seen);
  fuse_reply_attr(req, &st, Ctx(req).attr_timeout_s);
}

Caller CallerOf(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  return Caller{static_cast<uint32_t>(c->uid), static_cast<uint32_t>(c->gid)};
}

uint32_t CreateMode(fuse_req_t req, uint32_t mode) {
  if (Ctx(req).kernel_applies_umask) return mode;
  return mode & ~static_cast<uint32_t>(fuse_req_ctx(req)->umask);
}

void ReleaseIfOrphan(Context& ctx, Ino ino) noexcept {
  try {
    Status released = ctx.tree->ReleaseOrphan(ino);
    // Uncommitted state of a freed file goes too (the lookup is skipped when there is none).
    if (released.ok() && ctx.data && ctx.data->HasUncommitted(ino) &&
        !ctx.tree->GetAttr(ino).ok()) {
      ctx.data->Forget(ino);
    }
    if (!released.ok()) {
      spdlog::warn("releasing inode {}: {} (freed at the next open instead)", ino,
                   released.ToString());
    }
  } catch (const std::exception& e) {
    LogEscapedException(e.what());
  }
}

void LogEscapedException(const char* what) {
  try {
    spdlog::error("exception at the FUSE edge, answering EIO: {}", what);
  } catch (...) {
  }
}

}  // namespace berth::fs::ops
