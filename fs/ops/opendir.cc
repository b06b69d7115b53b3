#include "fs/ops/ops.h"

namespace berth::fs::ops {

// A directory handle carries no state: readdir offsets are the tree's cookies. It is counted,
// so a directory removed while open stays readable (fstat) until it is closed.
void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    Result<Inode> inode = ctx.tree->GetAttr(ino);
    if (!inode.ok()) return ReplyError(req, inode.status());
    if (!inode->is_dir()) return ReplyError(req, PosixError("opendir", ENOTDIR));
    fi->fh = ctx.refs.Open(ino, OpenMovesAtime(ctx, *inode, fi->flags));
    if (fuse_reply_open(req, fi) != 0) {
      auto released = ctx.refs.Release(fi->fh);
      if (released && released->unreferenced) ReleaseIfOrphan(ctx, ino);
    }
  });
}

void ReleaseDir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    auto released = ctx.refs.Release(fi->fh);
    if (released && released->unreferenced) ReleaseIfOrphan(ctx, released->ino);
    fuse_reply_err(req, 0);
  });
}

}  // namespace berth::fs::ops
