#include "fs/ops/ops.h"

namespace berth::fs::ops {

// The kernel asks only for SEEK_DATA and SEEK_HOLE (it moves the offset for the other whences
// itself). Answering ENOSYS would turn lseek off for the whole mount, so every other whence is
// EINVAL. cp, tar --sparse and rsync --sparse use these to skip a sparse file's holes.
void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* /*fi*/) {
  Serve(req, [&] {
    if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0) {
      return ReplyError(req, PosixError("lseek", EINVAL));
    }
    Result<uint64_t> found =
        Ctx(req).data->Seek(ino, static_cast<uint64_t>(off), whence == SEEK_HOLE);
    if (!found.ok()) return ReplyError(req, found.status());
    fuse_reply_lseek(req, static_cast<off_t>(*found));
  });
}

}  // namespace berth::fs::ops
