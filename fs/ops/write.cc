#include "fs/ops/ops.h"

namespace berth::fs::ops {

// Into the file's dirty buffer; committed on fsync, close or the commit interval.
void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
           fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    if (Ctx(req).limiter) Ctx(req).limiter->AcquireWrite(size);
    // A writer without CAP_FSETID takes set-user-ID (and group-executable set-group-ID) away.
    if (Status killed = KillSuidSgidIfAsked(req, ino); !killed.ok()) {
      return ReplyError(req, killed);
    }
    Status written = Ctx(req).data->Write(
        ino, static_cast<uint64_t>(off), ByteView(reinterpret_cast<const uint8_t*>(buf), size));
    if (!written.ok()) return ReplyError(req, written);
    fuse_reply_write(req, size);
  });
}

}  // namespace berth::fs::ops
