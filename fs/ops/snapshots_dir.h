#ifndef BERTH_FS_OPS_SNAPSHOTS_DIR_H_
#define BERTH_FS_OPS_SNAPSHOTS_DIR_H_

#include <initializer_list>
#include <string_view>

#include "fs/ops/ops.h"
#include "fs/snapshot_view.h"

namespace berth::fs::ops {

// Whether `name` in `parent` is the `.snapshots` directory of a mount that has one.
bool IsSnapshotsName(fuse_req_t req, Ino parent, std::string_view name);
// Answers a lookup in the view, or of `.snapshots` itself; false (and no answer) otherwise.
bool ServeViewLookup(fuse_req_t req, Ino parent, const char* name);
// For node ids with kVirtualBit (the caller checks IsVirtual). Each answers the request.
void ServeViewGetAttr(fuse_req_t req, Ino ino);
void ServeViewOpen(fuse_req_t req, Ino ino, fuse_file_info* fi, bool directory);
void ServeViewRead(fuse_req_t req, Ino ino, size_t size, off_t off);
// A snapshot's file is all data (its holes are not worth a lookup): SEEK_DATA stays, SEEK_HOLE
// is the end.
void ServeViewLseek(fuse_req_t req, Ino ino, off_t off, int whence);
void ServeViewReadDir(fuse_req_t req, Ino ino, size_t size, off_t off, bool plus);
void ServeViewReadLink(fuse_req_t req, Ino ino);
void ServeViewGetXattr(fuse_req_t req, Ino ino, const char* name, size_t size);
void ServeViewListXattr(fuse_req_t req, Ino ino, size_t size);
// Does not answer (FORGET has no reply).
void ServeViewForget(fuse_req_t req, Ino ino, uint64_t count);
// A change that touches the view (any of `inos` virtual, or `name` in `parent` is
// `.snapshots`): answers EROFS and returns true. Otherwise false and no answer.
bool RefuseViewChange(fuse_req_t req, std::initializer_list<Ino> inos, Ino parent = 0,
                      std::string_view name = {});

// The table's entries (ops_table.cc): each serves `.snapshots/` and refuses changes to it, and
// hands everything else to the live operation of the same name.
void ViewLookup(fuse_req_t req, fuse_ino_t parent, const char* name);
void ViewForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void ViewForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets);
void ViewGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ViewSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi);
void ViewReadLink(fuse_req_t req, fuse_ino_t ino);
void ViewMakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
void ViewMakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
void ViewUnlink(fuse_req_t req, fuse_ino_t parent, const char* name);
void ViewRemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name);
void ViewSymlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name);
void ViewRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
                const char* new_name, unsigned int flags);
void ViewLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name);
void ViewCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                fuse_file_info* fi);
void ViewOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ViewOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ViewRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
void ViewWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
               fuse_file_info* fi);
void ViewLseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi);
void ViewRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ViewReleaseDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ViewFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ViewFsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
void ViewFsyncDir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
void ViewReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
void ViewReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
void ViewFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                   fuse_file_info* fi);
void ViewCopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                       fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                       int flags);
void ViewSetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                  size_t size, int flags);
void ViewGetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
void ViewListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void ViewRemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name);

}  // namespace berth::fs::ops

#endif  // BERTH_FS_OPS_SNAPSHOTS_DIR_H_
