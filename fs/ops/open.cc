#include <spdlog/spdlog.h>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

// Access was checked by the kernel; O_TRUNC arrives as a SETATTR (no FUSE_CAP_ATOMIC_O_TRUNC).
void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    Result<Inode> inode = ctx.tree->GetAttr(ino);
    if (!inode.ok()) return ReplyError(req, inode.status());
    if (inode->is_dir()) return ReplyError(req, PosixError("open", EISDIR));
    const bool atime_due = OpenMovesAtime(ctx, *inode, fi->flags);
    fi->fh = ctx.refs.Open(ino, atime_due);
    // Every change to the tree goes through this mount (berth's own changes, like a restore,
    // invalidate through the notify API), so cached pages stay valid across opens. Except when
    // the next read is to move the atime: a read served from the page cache never reaches us, so
    // the cache is dropped then (at most once per change of the file, or once a day).
    fi->keep_cache = atime_due ? 0 : 1;
    // A descriptor opened for reading has nothing to commit when it is closed, so its close(2)
    // need not wait for a FLUSH round trip (berth takes no POSIX locks, which FLUSH would drop).
    if ((fi->flags & O_ACCMODE) == O_RDONLY) fi->noflush = 1;
    if (fuse_reply_open(req, fi) != 0) {
      // Interrupted: no RELEASE will come for this handle.
      auto released = ctx.refs.Release(fi->fh);
      if (released && released->unreferenced) ReleaseIfOrphan(ctx, ino);
    }
  });
}

// The last close of an open file; an unlinked file goes once the kernel forgets it too.
void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    // Flush committed already unless the descriptor was never flushed (e.g. the process died);
    // a failure here has nobody to answer to, so it is logged and left to the commit interval.
    Status committed = ctx.data->Commit(ino);
    if (!committed.ok()) spdlog::warn("commit on release of inode {}: {}", ino, committed.ToString());
    auto released = ctx.refs.Release(fi->fh);
    if (released && released->unreferenced) ReleaseIfOrphan(ctx, released->ino);
    fuse_reply_err(req, 0);
  });
}

}  // namespace berth::fs::ops
