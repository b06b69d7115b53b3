#include "fs/ops/ops.h"

namespace berth::fs::ops {

void MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Serve(req, [&] {
    Result<Inode> made =
        Ctx(req).tree->MakeDir(parent, name, CreateMode(req, mode) & 07777, CallerOf(req));
    if (!made.ok()) return ReplyError(req, made.status());
    ReplyEntry(req, *made);
  });
}

}  // namespace berth::fs::ops
