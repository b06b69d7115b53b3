#include "fs/ops/ops.h"

namespace berth::fs::ops {

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Serve(req, [&] {
    Result<Inode> found = Ctx(req).tree->Lookup(parent, name);
    if (!found.ok()) return ReplyError(req, found.status());
    ReplyEntry(req, *found);
  });
}

}  // namespace berth::fs::ops
