#include "fs/ops/ops.h"

namespace berth::fs::ops {

// A missing name is answered with a negative entry (node id 0) when negative caching is on, so
// the kernel remembers the absence (compilers and interpreters probe many missing paths); it
// holds no reference for it, and forgets it when the name is created through the mount. Names
// berth creates itself are invalidated through FuseServer::InvalidateEntry.
void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    Result<Inode> found = ctx.tree->Lookup(parent, name);
    if (!found.ok()) {
      if (ctx.negative_timeout_s > 0 && found.status().ToErrno() == ENOENT) {
        fuse_entry_param negative{};
        negative.ino = 0;
        negative.entry_timeout = ctx.negative_timeout_s;
        fuse_reply_entry(req, &negative);
        return;
      }
      return ReplyError(req, found.status());
    }
    ReplyEntry(req, *found);
  });
}

}  // namespace berth::fs::ops
