#include <fcntl.h>

#include <spdlog/spdlog.h>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

bool OpenMovesAtime(Context& ctx, Inode inode, int open_flags) {
  // O_NOATIME reaches us in the open flags; the kernel checked that the caller may ask it.
  if ((open_flags & O_ACCMODE) == O_WRONLY || (open_flags & O_NOATIME)) return false;
  if (inode.is_regular()) ctx.data->Overlay(&inode);  // uncommitted writes moved mtime
  return AtimeDue(inode, ctx.tree->clock()->NowNanos());
}

void MoveAtimeIfDue(Context& ctx, Ino ino, const fuse_file_info* fi) {
  if (fi == nullptr || !ctx.refs.TakeAtimeDue(fi->fh)) return;
  // The read itself succeeds whatever happens to its atime.
  Status touched = ctx.tree->TouchAtime(ino);
  if (!touched.ok()) spdlog::warn("atime of inode {}: {}", ino, touched.ToString());
}

}  // namespace berth::fs::ops
