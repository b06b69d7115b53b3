#include "fs/ops/ops.h"

namespace berth::fs::ops {

// Into the file's dirty buffer; committed on fsync, close or the commit interval.
void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
           fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    if (Ctx(req).limiter) Ctx(req).limiter->AcquireWrite(size);
    Status written = Ctx(req).data->Write(
        ino, static_cast<uint64_t>(off), ByteView(reinterpret_cast<const uint8_t*>(buf), size));
    if (!written.ok()) return ReplyError(req, written);
    fuse_reply_write(req, size);
  });
}

}  // namespace berth::fs::ops
