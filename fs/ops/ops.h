#ifndef BERTH_FS_OPS_OPS_H_
#define BERTH_FS_OPS_OPS_H_

// The FUSE low-level operations of a mounted live tree, one file per operation or tight group
// (fs/ops/<op>.cc), wired by the one table OpsTable() returns. Only fs/fuse_server.cc uses this.
//
// Every operation answers its request exactly once, as its last step, and turns a Status into an
// errno only here, at the FUSE edge (ReplyError). No exception leaves an operation: Serve()
// answers EIO instead.

// FUSE_USE_VERSION (the libfuse API level we are written against) is set for the whole fs target
// in fs/CMakeLists.txt, so every file sees the fuse headers the same way.
#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <atomic>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "fs/file_data.h"
#include "fs/fuse_wire.h"
#include "fs/inode.h"
#include "fs/io_limiter.h"
#include "fs/inode_refs.h"
#include "fs/live_tree.h"
#include "fs/snapshot_view.h"

namespace berth::fs::ops {

// What every operation works on: the session's userdata. Owned by the FuseServer, which keeps
// it alive until the session is destroyed.
struct Context {
  LiveTree* tree = nullptr;  // borrowed; outlives the session
  FileData* data = nullptr;  // borrowed; outlives the session: file contents
  IoLimiter* limiter = nullptr;  // borrowed, may be null: the project's I/O limits
  SnapshotView* snapshots = nullptr;  // borrowed, may be null: the `.snapshots/` view
  InodeRefs refs;
  double entry_timeout_s = 1.0;
  double attr_timeout_s = 1.0;
  double negative_timeout_s = 0;  // 0: a missing name is answered ENOENT, not cached
  // Whether the kernel masks the caller's umask off create modes itself (FUSE_CAP_DONT_MASK not
  // negotiated). Set by Init.
  bool kernel_applies_umask = true;
  // Whether to ask for FUSE_CAP_WRITEBACK_CACHE in Init.
  bool want_writeback_cache = false;

  // The INIT exchange, for the reply hook of fuse_server.cc: the serving loop records the INIT
  // request's unique and what the kernel offered; the hook adds `extra_init_flags` (those the
  // kernel offered) to the reply libfuse built. 0: no INIT reply pending.
  std::atomic<uint64_t> init_unique{0};
  std::atomic<uint64_t> init_offered{0};
  uint64_t extra_init_flags = 0;
  // The flags of extra_init_flags the kernel took (set by the hook when it patched the reply).
  std::atomic<uint64_t> init_added{0};
};

// What the serving loop read from the raw request this thread is serving (fuse_wire.h); set
// before libfuse dispatches it, cleared after. Defaults outside a request.
const RequestHints& CurrentRequest();
void SetCurrentRequest(const RequestHints& hints);

// Set-user-ID and set-group-ID under FUSE_HANDLE_KILLPRIV_V2: the kernel marks a write, a
// truncate or a chown after which they must go (fuse_wire.h), and the server applies the rule a
// local filesystem applies. Without the mark (the caller has CAP_FSETID, or the kernel did not
// take KILLPRIV_V2 and sends the mode change itself) nothing changes.
//
// The permission bits (07777) `perms` of a file of group `file_gid` after the kill the request
// being served asks for, or nullopt when it asks none or nothing changes. `chown`: the request
// changes the owner (the kernel marks those unconditionally).
std::optional<uint32_t> KilledMode(fuse_req_t req, uint32_t perms, uint32_t file_gid, bool chown);
// What any chown leaves of a non-directory's permission bits `perms` (the kernel's chown_common:
// set-user-ID goes, and set-group-ID if the file is group-executable). Also for the chown that
// arrives unmarked: chown(path, -1, -1) sets nothing, so the kernel marks nothing.
uint32_t ChownKeptMode(uint32_t perms);
// For WRITE: applies KilledMode to regular file `ino` (a mode change, ctime moves).
Status KillSuidSgidIfAsked(fuse_req_t req, Ino ino);

// Relatime through FUSE: the kernel leaves atimes to the filesystem (its FUSE inodes are
// S_NOATIME) and drops its cached atime after each read and readdir. Whether a new handle's first
// read is to move `inode`'s atime (AtimeDue), decided at open from the attributes open loads
// anyway; never for a write-only or O_NOATIME handle.
bool OpenMovesAtime(Context& ctx, Inode inode, int open_flags);
// Moves the atime if `fi` is a handle whose first read this is and OpenMovesAtime said so. Called
// before the read's reply, so a stat after the read sees the new atime.
void MoveAtimeIfDue(Context& ctx, Ino ino, const fuse_file_info* fi);

// getxattr's and listxattr's answer: size 0 asks how many bytes `value` needs; a smaller buffer
// is ERANGE.
void ReplyXattrValue(fuse_req_t req, size_t size, const std::string& value);
// listxattr's answer: the names, each followed by a NUL. The kernel passes a FUSE list through
// unfiltered; as on ext4, trusted.* names are listed only to a caller with CAP_SYS_ADMIN (the
// kernel already refuses others their values).
void ReplyXattrNames(fuse_req_t req, size_t size, const std::vector<std::string>& names);
// Whether the caller of `req` has CAP_SYS_ADMIN in the initial user namespace, as the kernel's
// capable() asks; false when it cannot tell (the caller is gone). Reads /proc: for rare requests.
bool CallerHasSysAdmin(fuse_req_t req);

const fuse_lowlevel_ops& OpsTable();

// --- Helpers shared by the operations (reply.cc) ---

Context& Ctx(fuse_req_t req);
// The one place a Status becomes an errno.
void ReplyError(fuse_req_t req, const Status& status);
struct stat ToStat(const Inode& inode);
fuse_entry_param EntryParam(const Context& ctx, const Inode& inode);
// Replies with an entry for `inode` and counts the lookup the kernel now holds (undone if the
// reply does not reach it, e.g. the request was interrupted).
void ReplyEntry(fuse_req_t req, const Inode& inode);
void ReplyAttr(fuse_req_t req, const Inode& inode);
// The uid/gid of the process behind the request: new inodes belong to it.
Caller CallerOf(fuse_req_t req);
// `mode` as asked for a new inode, with the caller's umask applied unless the kernel did.
uint32_t CreateMode(fuse_req_t req, uint32_t mode);
// Frees `ino` if it has no names left and the kernel holds no reference; errors are logged (an
// orphan that stays is freed when the tree is next opened). Never throws, so it may run after a
// reply: once answered, a request is freed, and a second answer from Serve would touch freed
// memory.
void ReleaseIfOrphan(Context& ctx, Ino ino) noexcept;
// Logs an exception that reached the FUSE edge.
void LogEscapedException(const char* what);

// Runs `body`, which answers `req` as its last step (what follows the answer, e.g. undoing counts
// when the answer did not reach the kernel, must not throw). If it throws, nothing was answered
// yet, so the request gets EIO.
template <typename Body>
void Serve(fuse_req_t req, Body&& body) noexcept {
  try {
    body();
  } catch (const std::exception& e) {
    LogEscapedException(e.what());
    fuse_reply_err(req, EIO);
  } catch (...) {
    LogEscapedException("unknown exception");
    fuse_reply_err(req, EIO);
  }
}

// --- Operations, as in struct fuse_lowlevel_ops ---

void Init(void* userdata, fuse_conn_info* conn);                   // init.cc
void Destroy(void* userdata);                                      // init.cc
void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name);  // lookup.cc
void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);     // forget.cc
void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets);
void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);  // getattr.cc
void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
             fuse_file_info* fi);               // setattr.cc
void ReadLink(fuse_req_t req, fuse_ino_t ino);  // symlink.cc
void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name);
void MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              dev_t rdev);                                                       // mknod.cc
void MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);  // mkdir.cc
void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name);                // unlink.cc
void RemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name);
void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
            const char* new_name, unsigned int flags);  // rename.cc
void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name);  // link.cc
void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
            fuse_file_info* fi);                                // create.cc
void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);  // open.cc
void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);  // read.cc
void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
           fuse_file_info* fi);                                  // write.cc
void Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);  // sync.cc
void Fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
void FsyncDir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);  // opendir.cc
void ReleaseDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
             fuse_file_info* fi);  // readdir.cc
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
void StatFs(fuse_req_t req, fuse_ino_t ino);  // statfs.cc
void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi);  // lseek.cc
void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
               fuse_file_info* fi);  // fallocate.cc
void CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                   fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                   int flags);
void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
              int flags);  // xattr.cc
void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name);

}  // namespace berth::fs::ops

#endif  // BERTH_FS_OPS_OPS_H_
