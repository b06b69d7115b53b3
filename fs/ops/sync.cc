#include "fs/ops/ops.h"

namespace berth::fs::ops {

// close(2) of a descriptor: its writes are committed, so a closed file survives a daemon crash
// without waiting for the commit interval (not a power loss: that is what fsync is for).
void Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    Status s = Ctx(req).data->Commit(ino);
    if (!s.ok()) return ReplyError(req, s);
    fuse_reply_err(req, 0);
  });
}

// Commits the file and forces the database log to disk: what fsync acknowledges survives
// kill -9 and power loss.
void Fsync(fuse_req_t req, fuse_ino_t ino, int /*datasync*/, fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    Context& ctx = Ctx(req);
    Status s = ctx.data->Commit(ino);
    if (s.ok()) s = ctx.data->SyncLog();
    if (!s.ok()) return ReplyError(req, s);
    fuse_reply_err(req, 0);
  });
}

// Entries are written with each operation; forcing the log makes them durable.
void FsyncDir(fuse_req_t req, fuse_ino_t /*ino*/, int /*datasync*/, fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    Status s = Ctx(req).data->SyncLog();
    if (!s.ok()) return ReplyError(req, s);
    fuse_reply_err(req, 0);
  });
}

}  // namespace berth::fs::ops
