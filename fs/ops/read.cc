#include <vector>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Serve(req, [&] {
    if (Ctx(req).limiter) Ctx(req).limiter->AcquireRead(size);
    std::vector<uint8_t> buffer(size);
    Result<size_t> n = Ctx(req).data->Read(ino, static_cast<uint64_t>(off), buffer);
    if (!n.ok()) return ReplyError(req, n.status());
    MoveAtimeIfDue(Ctx(req), ino, fi);
    fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.data()), *n);
  });
}

}  // namespace berth::fs::ops
