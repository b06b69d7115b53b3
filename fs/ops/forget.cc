#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

void ForgetOne(Context& ctx, Ino ino, uint64_t nlookup) {
  if (ctx.refs.Forget(ino, nlookup)) ReleaseIfOrphan(ctx, ino);
}

}  // namespace

// FORGET has no reply but fuse_reply_none, which frees the request; it is answered even when
// the bookkeeping throws.
void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  try {
    ForgetOne(Ctx(req), ino, nlookup);
  } catch (const std::exception& e) {
    LogEscapedException(e.what());
  }
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  try {
    Context& ctx = Ctx(req);
    for (size_t i = 0; i < count; ++i) ForgetOne(ctx, forgets[i].ino, forgets[i].nlookup);
  } catch (const std::exception& e) {
    LogEscapedException(e.what());
  }
  fuse_reply_none(req);
}

}  // namespace berth::fs::ops
