#include "fs/ops/ops.h"
#include "fs/ops/snapshots_dir.h"

namespace berth::fs::ops {

namespace {

// Every operation goes through its View* wrapper (snapshots_dir.h): `.snapshots/` first, the live
// tree otherwise.
fuse_lowlevel_ops MakeTable() {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.destroy = Destroy;
  ops.lookup = ViewLookup;
  ops.forget = ViewForget;
  ops.forget_multi = ViewForgetMulti;
  ops.getattr = ViewGetAttr;
  ops.setattr = ViewSetAttr;
  ops.readlink = ViewReadLink;
  ops.symlink = ViewSymlink;
  ops.mknod = ViewMakeNode;
  ops.mkdir = ViewMakeDir;
  ops.unlink = ViewUnlink;
  ops.rmdir = ViewRemoveDir;
  ops.rename = ViewRename;
  ops.link = ViewLink;
  ops.create = ViewCreate;
  ops.open = ViewOpen;
  ops.release = ViewRelease;
  ops.read = ViewRead;
  ops.write = ViewWrite;
  ops.flush = ViewFlush;
  ops.fsync = ViewFsync;
  ops.opendir = ViewOpenDir;
  ops.releasedir = ViewReleaseDir;
  ops.readdir = ViewReadDir;
  ops.readdirplus = ViewReadDirPlus;
  ops.fsyncdir = ViewFsyncDir;
  ops.statfs = StatFs;
  ops.lseek = ViewLseek;
  ops.fallocate = ViewFallocate;
  ops.copy_file_range = ViewCopyFileRange;
  ops.setxattr = ViewSetXattr;
  ops.getxattr = ViewGetXattr;
  ops.listxattr = ViewListXattr;
  ops.removexattr = ViewRemoveXattr;
  // access is left out: with default_permissions the kernel answers access(2) itself.
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& OpsTable() {
  static const fuse_lowlevel_ops table = MakeTable();
  return table;
}

}  // namespace berth::fs::ops
