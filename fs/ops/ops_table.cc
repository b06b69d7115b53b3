#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

fuse_lowlevel_ops MakeTable() {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.destroy = Destroy;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = GetAttr;
  ops.setattr = SetAttr;
  ops.readlink = ReadLink;
  ops.symlink = Symlink;
  ops.mknod = MakeNode;
  ops.mkdir = MakeDir;
  ops.unlink = Unlink;
  ops.rmdir = RemoveDir;
  ops.rename = Rename;
  ops.link = Link;
  ops.create = Create;
  ops.open = Open;
  ops.release = Release;
  ops.read = Read;
  ops.write = Write;
  ops.flush = Flush;
  ops.fsync = Fsync;
  ops.opendir = OpenDir;
  ops.releasedir = ReleaseDir;
  ops.readdir = ReadDir;
  ops.readdirplus = ReadDirPlus;
  ops.fsyncdir = FsyncDir;
  ops.statfs = StatFs;
  ops.fallocate = Fallocate;
  ops.copy_file_range = CopyFileRange;
  ops.setxattr = SetXattr;
  ops.getxattr = GetXattr;
  ops.listxattr = ListXattr;
  ops.removexattr = RemoveXattr;
  // access is left out: with default_permissions the kernel answers access(2) itself.
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& OpsTable() {
  static const fuse_lowlevel_ops table = MakeTable();
  return table;
}

}  // namespace berth::fs::ops
