#ifndef BERTH_FS_FUSE_SERVER_H_
#define BERTH_FS_FUSE_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "fs/file_data.h"
#include "fs/io_limiter.h"
#include "fs/snapshot_view.h"
#include "fs/live_tree.h"

struct fuse_session;

namespace berth::fs {

namespace ops {
struct Context;
}

// How long the kernel may trust what it was told without asking again. Every change to a tree
// goes through its mount, except those berth makes itself (an import into a mounted project, a
// restore), which invalidate what they change (InvalidateEntry / InvalidateInode). So the kernel
// may keep names, attributes and missing names for a day, as libfuse's passthrough_hp does with
// cache=always: a hot stat then costs no round trip, and a compiler's probe of a missing header
// costs one. Measured (bench/RESULTS.md section 6): with 1 s, the second stat pass over 15,000
// files asked the daemon again whenever the first pass had taken longer than 1 s.
inline constexpr double kDefaultEntryTimeoutSeconds = 86400;
inline constexpr double kDefaultAttrTimeoutSeconds = 86400;
inline constexpr double kDefaultNegativeTimeoutSeconds = 86400;
inline constexpr int kDefaultServingThreads = 2;
inline constexpr uint32_t kDefaultReadaheadKib = 1024;

struct MountOptions {
  // Seconds the kernel caches a name -> inode mapping. Default: kDefaultEntryTimeoutSeconds.
  double entry_timeout_s = kDefaultEntryTimeoutSeconds;
  // Seconds the kernel caches an inode's attributes. Default: kDefaultAttrTimeoutSeconds.
  double attr_timeout_s = kDefaultAttrTimeoutSeconds;
  // Seconds the kernel remembers that a name does not exist; 0: not at all.
  // Default: kDefaultNegativeTimeoutSeconds.
  double negative_timeout_s = kDefaultNegativeTimeoutSeconds;
  // The kernel's writeback cache: small writes are gathered in the page cache and sent in large
  // pieces, and the kernel keeps size and mtime. Off by default: with it, a write past the quota
  // succeeds into the page cache and EDQUOT only reaches the writer at close or fsync, and
  // dirty pages must be flushed (syncfs) before a snapshot sees them. Default: false.
  bool writeback_cache = false;
  // Threads reading and serving requests. Default: kDefaultServingThreads.
  int threads = kDefaultServingThreads;
  // The kernel's readahead window for the mount, in KiB (the largest READ it sends is also
  // bounded by max_pages, 1 MiB); 0: the kernel's default (128 KiB). Needs root (sysfs).
  // Default: kDefaultReadaheadKib.
  uint32_t readahead_kib = kDefaultReadaheadKib;
  // libfuse's request tracing on stderr. Default: false.
  bool debug = false;
  // Bandwidth and IOPS limits for this project's reads and writes; null: none. Borrowed, must
  // outlive the server. Default: null.
  IoLimiter* limiter = nullptr;
  // The read-only `.snapshots/` at the root; null: none. Borrowed, must outlive the server.
  // Default: null.
  SnapshotView* snapshots = nullptr;
};

// Serves one project's live tree through FUSE at a mount point: mounted with
// default_permissions (the kernel checks access against the modes and owners we report) and
// allow_other (containers' users are not the daemon's), fsname and subtype "berth", nosuid and
// nodev (libfuse's defaults). Requests are served by `MountOptions::threads` threads of its own.
//
// Beyond what libfuse 3.14 negotiates, the INIT reply takes FUSE_HANDLE_KILLPRIV_V2 (the kernel
// stops asking for security.capability before every write, and leaves clearing set-user-ID on
// write, truncate and chown to us) and FUSE_PARALLEL_DIROPS (lookups and readdirs of one
// directory may run at the same time); see fuse_wire.h.
//
// Thread-compatible: Mount, Unmount and the destructor must not race, and must not be called
// from inside a FUSE request (Unmount waits for the serving threads). The Invalidate* calls are
// thread-safe but must not race with Unmount, and must not be made from a serving thread nor
// while holding a lock a request may need: the kernel may wait for requests in flight on the
// same directory before it answers them.
class FuseServer {
 public:
  // Mounts `tree` (its files' contents in `data`) at `mountpoint` (an existing directory) and
  // starts serving. Both are borrowed and must outlive the server (or its Unmount). Needs root
  // or fusermount3.
  static Result<std::unique_ptr<FuseServer>> Mount(LiveTree* tree, FileData* data,
                                                   const std::string& mountpoint,
                                                   const MountOptions& options);
  ~FuseServer();  // Unmounts, logging an error.
  FuseServer(const FuseServer&) = delete;
  FuseServer& operator=(const FuseServer&) = delete;

  // Unmounts and stops serving. Never waits for processes using the mount: if a plain unmount
  // finds it busy, the mount is detached (umount -l) and the connection aborted, so what those
  // processes still do there fails with ENOTCONN. Then frees orphans nothing can reach any more.
  // Idempotent.
  Status Unmount();

  // Tell the kernel that berth changed the tree behind its back (an import or a restore into a
  // mounted project), so that it drops what it cached. Errors are returned, but "the kernel
  // holds nothing for it" (ENOENT) is success. A no-op once unmounted.
  //
  // Drops the cached name `name` in directory `parent` (positive or negative), so the next
  // lookup asks us.
  Status InvalidateEntry(Ino parent, std::string_view name);
  // Drops the cached attributes of `ino` and its cached pages in [offset, offset + length)
  // (length 0: to the end; offset < 0: attributes only).
  Status InvalidateInode(Ino ino, int64_t offset = 0, int64_t length = 0);

  // Pushes the kernel's dirty pages of this mount (only the writeback cache holds any) to the
  // daemon, and waits until they are written: syncfs(2) on the mount point. A snapshot or a
  // move calls it before it commits, or it misses recent writes. The serving threads take the
  // resulting WRITEs, so this must run on another thread, holding no lock a request needs.
  // Returns what syncfs reports (a write error of the daemon, e.g. EDQUOT, surfaces here).
  // A no-op once unmounted.
  Status FlushKernelCache();

  const std::string& mountpoint() const { return mountpoint_; }

 private:
  struct SessionDeleter {
    void operator()(fuse_session* se) const;
  };

  FuseServer(LiveTree* tree, std::string mountpoint);
  // One serving thread's request loop; returns when the kernel ends the connection or stop_ is
  // signalled.
  void Serve();

  LiveTree* const tree_;
  const std::string mountpoint_;
  // Destroyed after session_ (declared before it): the session's userdata.
  std::unique_ptr<ops::Context> context_;
  std::unique_ptr<fuse_session, SessionDeleter> session_;
  UniqueFd stop_;  // eventfd: written by Unmount to wake the loops
  std::vector<std::thread> workers_;
  bool mounted_ = false;
};

}  // namespace berth::fs

#endif  // BERTH_FS_FUSE_SERVER_H_
