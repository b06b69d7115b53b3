#include <linux/falloc.h>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

// FALLOCATE and COPY_FILE_RANGE carry no kill mark: under FUSE_HANDLE_KILLPRIV_V2 the kernel's
// file_modified() leaves clearing set-user-ID to the server without marking the request. The
// caller's capabilities are unknown here, so a caller other than root counts as lacking
// CAP_FSETID (as a plain user does).
Status KillSuidSgidForNonRoot(fuse_req_t req, Ino ino) {
  if (fuse_req_ctx(req)->uid == 0) return Status::Ok();
  RequestHints hints = CurrentRequest();
  hints.kill_suidgid = true;
  SetCurrentRequest(hints);
  return KillSuidSgidIfAsked(req, ino);
}

}  // namespace

// The default mode (posix_fallocate): the size grows to cover the range; FALLOC_FL_KEEP_SIZE:
// nothing changes but the times. berth allocates on write, so neither reserves space (a later
// write can still meet the quota). Either moves mtime and ctime, as on ext4. Punching holes and
// zeroing ranges are not supported (EOPNOTSUPP, which callers fall back from).
void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
               fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    if (mode != 0 && mode != FALLOC_FL_KEEP_SIZE) {
      return ReplyError(req, PosixError("fallocate mode", EOPNOTSUPP));
    }
    if (offset < 0 || length <= 0) return ReplyError(req, PosixError("fallocate range", EINVAL));
    if (Status killed = KillSuidSgidForNonRoot(req, ino); !killed.ok()) {
      return ReplyError(req, killed);
    }
    Context& ctx = Ctx(req);
    if (mode == 0) {
      Status s = ctx.data->Allocate(ino, static_cast<uint64_t>(offset),
                                    static_cast<uint64_t>(length));
      if (!s.ok()) return ReplyError(req, s);
    }
    Result<Inode> touched = ctx.tree->SetAttr(ino, AttrChange{.mtime_now = true});
    if (!touched.ok()) return ReplyError(req, touched.status());
    ctx.data->SetMtime(ino, touched->mtime_ns);
    fuse_reply_err(req, 0);
  });
}

// Between files of one project; a whole-file copy shares chunks instead of copying bytes.
void CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* /*fi_in*/,
                   fuse_ino_t ino_out, off_t off_out, fuse_file_info* /*fi_out*/, size_t len,
                   int flags) {
  Serve(req, [&] {
    if (flags != 0) return ReplyError(req, PosixError("copy_file_range flags", EINVAL));
    if (Status killed = KillSuidSgidForNonRoot(req, ino_out); !killed.ok()) {
      return ReplyError(req, killed);
    }
    Result<uint64_t> copied =
        Ctx(req).data->CopyRange(ino_in, static_cast<uint64_t>(off_in), ino_out,
                                 static_cast<uint64_t>(off_out), len);
    if (!copied.ok()) return ReplyError(req, copied.status());
    fuse_reply_write(req, static_cast<size_t>(*copied));
  });
}

}  // namespace berth::fs::ops
