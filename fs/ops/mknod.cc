#include "fs/ops/ops.h"

namespace berth::fs::ops {

// Regular files, fifos, sockets and device nodes (mknod(2) of a device needs CAP_MKNOD, which
// the kernel checks; the mount is nodev, so such nodes cannot be used to reach devices).
void MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Serve(req, [&] {
    Result<Inode> made =
        Ctx(req).tree->MakeNode(parent, name, CreateMode(req, mode), rdev, CallerOf(req));
    if (!made.ok()) return ReplyError(req, made.status());
    ReplyEntry(req, *made);
  });
}

}  // namespace berth::fs::ops
