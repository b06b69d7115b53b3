#include "fs/ops/ops.h"

namespace berth::fs::ops {

void Init(void* userdata, fuse_conn_info* conn) {
  auto* ctx = static_cast<Context*>(userdata);
  // One READDIRPLUS round trip instead of a LOOKUP per entry for `ls -l` and friends.
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  // The kernel applies the umask (and knows about default ACLs, which we do not); we take the
  // mode as given.
  conn->want &= ~FUSE_CAP_DONT_MASK;
  // O_TRUNC then arrives as a SETATTR of size 0 rather than a flag on OPEN, so truncation has a
  // single path (SetAttr) for the data path to hook.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  ctx->kernel_applies_umask = (conn->want & FUSE_CAP_DONT_MASK) == 0;
  if (ctx->want_writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
    conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  }
}

void Destroy(void* /*userdata*/) {}

}  // namespace berth::fs::ops
