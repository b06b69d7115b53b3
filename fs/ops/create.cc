#include "fs/ops/ops.h"

namespace berth::fs::ops {

// open(O_CREAT) of a missing name: make the file and open it in one round trip. The reply hands
// the kernel both an entry (a lookup) and an open handle.
void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    const uint32_t perms = CreateMode(req, mode) & 07777;
    Result<Inode> made = ctx.tree->MakeNode(parent, name, S_IFREG | perms, 0, CallerOf(req));
    if (!made.ok()) return ReplyError(req, made.status());
    const fuse_entry_param e = EntryParam(ctx, *made);
    ctx.refs.AddLookups(made->ino, 1);
    fi->fh = ctx.refs.Open(made->ino, OpenMovesAtime(ctx, *made, fi->flags));
    fi->keep_cache = 1;
    if (fuse_reply_create(req, &e, fi) != 0) {
      // Interrupted: the kernel never saw the entry nor the handle.
      ctx.refs.Release(fi->fh);
      if (ctx.refs.Forget(made->ino, 1)) ReleaseIfOrphan(ctx, made->ino);
    }
  });
}

}  // namespace berth::fs::ops
