#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

// The kernel looked the name up before removing it, so it normally still holds the inode and a
// later FORGET frees it; if it somehow does not, the orphan is freed right away.
void ReplyRemoved(fuse_req_t req, const Result<Inode>& removed) {
  if (!removed.ok()) return ReplyError(req, removed.status());
  Context& ctx = Ctx(req);
  if (removed->nlink == 0 && ctx.refs.IsUnreferenced(removed->ino)) {
    ReleaseIfOrphan(ctx, removed->ino);
  }
  fuse_reply_err(req, 0);
}

}  // namespace

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Serve(req, [&] { ReplyRemoved(req, Ctx(req).tree->Unlink(parent, name)); });
}

void RemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Serve(req, [&] { ReplyRemoved(req, Ctx(req).tree->RemoveDir(parent, name)); });
}

}  // namespace berth::fs::ops
