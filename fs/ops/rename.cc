#include "fs/ops/ops.h"

namespace berth::fs::ops {

// flags (RENAME_NOREPLACE, RENAME_EXCHANGE) pass through; the tree refuses others with EINVAL.
// An inode the rename replaces keeps living as an orphan until the kernel forgets it.
void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
            const char* new_name, unsigned int flags) {
  Serve(req, [&] {
    Status renamed = Ctx(req).tree->Rename(parent, name, new_parent, new_name, flags);
    if (!renamed.ok()) return ReplyError(req, renamed);
    fuse_reply_err(req, 0);
  });
}

}  // namespace berth::fs::ops
