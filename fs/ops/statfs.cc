#include <sys/statvfs.h>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

constexpr unsigned long kStatfsBlockSize = 4096;
// Without a quota (reporting it comes later) the free space and inodes shown are these
// placeholders: large enough that nothing refuses to write, small enough not to overflow
// programs that multiply them out. Used counts are the project's real usage.
constexpr fsblkcnt_t kUnlimitedFreeBlocks = (1ull << 40) / kStatfsBlockSize;  // 1 TiB
constexpr fsfilcnt_t kUnlimitedFreeInodes = 1ull << 32;

}  // namespace

void StatFs(fuse_req_t req, fuse_ino_t /*ino*/) {
  Serve(req, [&] {
    const Usage usage = Ctx(req).tree->usage();
    struct statvfs st {};
    st.f_bsize = kStatfsBlockSize;
    st.f_frsize = kStatfsBlockSize;
    const fsblkcnt_t used = (usage.bytes + kStatfsBlockSize - 1) / kStatfsBlockSize;
    st.f_blocks = used + kUnlimitedFreeBlocks;
    st.f_bfree = kUnlimitedFreeBlocks;
    st.f_bavail = kUnlimitedFreeBlocks;
    st.f_files = usage.inodes + kUnlimitedFreeInodes;
    st.f_ffree = kUnlimitedFreeInodes;
    st.f_favail = kUnlimitedFreeInodes;
    st.f_namemax = kMaxNameLength;
    fuse_reply_statfs(req, &st);
  });
}

}  // namespace berth::fs::ops
