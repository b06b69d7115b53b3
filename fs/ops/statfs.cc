#include <sys/statvfs.h>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

constexpr unsigned long kStatfsBlockSize = 4096;
// Without a quota the free space and inodes shown are these placeholders: large enough that
// nothing refuses to write, small enough not to overflow programs that multiply them out.
// With a quota, df shows the quota as the size and what is left of it as free, so `df` inside
// a container shows the project's own limits. Used counts are always the project's real usage.
constexpr fsblkcnt_t kUnlimitedFreeBlocks = (1ull << 40) / kStatfsBlockSize;  // 1 TiB
constexpr fsfilcnt_t kUnlimitedFreeInodes = 1ull << 32;

}  // namespace

void StatFs(fuse_req_t req, fuse_ino_t /*ino*/) {
  Serve(req, [&] {
    const Usage usage = Ctx(req).tree->usage();
    const Limits limits = Ctx(req).tree->limits();
    struct statvfs st {};
    st.f_bsize = kStatfsBlockSize;
    st.f_frsize = kStatfsBlockSize;
    const fsblkcnt_t used = (usage.bytes + kStatfsBlockSize - 1) / kStatfsBlockSize;
    const fsblkcnt_t free_blocks =
        limits.max_bytes == 0
            ? kUnlimitedFreeBlocks
            : (limits.max_bytes > usage.bytes ? (limits.max_bytes - usage.bytes) / kStatfsBlockSize
                                              : 0);
    const fsfilcnt_t free_inodes =
        limits.max_inodes == 0
            ? kUnlimitedFreeInodes
            : (limits.max_inodes > usage.inodes ? limits.max_inodes - usage.inodes : 0);
    st.f_blocks = used + free_blocks;
    st.f_bfree = free_blocks;
    st.f_bavail = free_blocks;
    st.f_files = usage.inodes + free_inodes;
    st.f_ffree = free_inodes;
    st.f_favail = free_inodes;
    st.f_namemax = kMaxNameLength;
    fuse_reply_statfs(req, &st);
  });
}

}  // namespace berth::fs::ops
