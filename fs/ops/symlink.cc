#include "fs/ops/ops.h"

namespace berth::fs::ops {

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  Serve(req, [&] {
    Result<Inode> made = Ctx(req).tree->Symlink(parent, name, target, CallerOf(req));
    if (!made.ok()) return ReplyError(req, made.status());
    ReplyEntry(req, *made);
  });
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  Serve(req, [&] {
    Result<std::string> target = Ctx(req).tree->ReadLink(ino);
    if (!target.ok()) return ReplyError(req, target.status());
    fuse_reply_readlink(req, target->c_str());
  });
}

}  // namespace berth::fs::ops
