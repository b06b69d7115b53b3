#include "fs/ops/ops.h"

namespace berth::fs::ops {

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    Result<Inode> inode = Ctx(req).tree->GetAttr(ino);
    if (!inode.ok()) return ReplyError(req, inode.status());
    ReplyAttr(req, *inode);
  });
}

}  // namespace berth::fs::ops
