#include "fs/ops/ops.h"

namespace berth::fs::ops {

// The new name gets the inode's own node id, so the kernel sees one inode with nlink + 1.
void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  Serve(req, [&] {
    Result<Inode> linked = Ctx(req).tree->Link(ino, new_parent, new_name);
    if (!linked.ok()) return ReplyError(req, linked.status());
    ReplyEntry(req, *linked);
  });
}

}  // namespace berth::fs::ops
