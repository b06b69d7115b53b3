#ifndef BERTH_FS_FUSE_SERVER_H_
#define BERTH_FS_FUSE_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "base/file.h"
#include "base/status.h"
#include "fs/file_data.h"
#include "fs/io_limiter.h"
#include "fs/live_tree.h"

struct fuse_session;

namespace berth::fs {

namespace ops {
struct Context;
}

// How long the kernel may trust what it was told without asking again. 1 s until the values are
// chosen by measurement (DESIGN.md); all changes go through this mount today, so longer would
// be safe, but a restore will have to invalidate through the notify API first.
inline constexpr double kDefaultEntryTimeoutSeconds = 1.0;
inline constexpr double kDefaultAttrTimeoutSeconds = 1.0;

struct MountOptions {
  // Seconds the kernel caches a name -> inode mapping. Default: kDefaultEntryTimeoutSeconds.
  double entry_timeout_s = kDefaultEntryTimeoutSeconds;
  // Seconds the kernel caches an inode's attributes. Default: kDefaultAttrTimeoutSeconds.
  double attr_timeout_s = kDefaultAttrTimeoutSeconds;
  // The kernel's writeback cache: small writes are gathered in the page cache and sent in large
  // pieces, and the kernel keeps size and mtime. Off by default: with it, a write past the quota
  // succeeds into the page cache and EDQUOT only reaches the writer at close or fsync, and
  // dirty pages must be flushed (syncfs) before a snapshot sees them. Default: false.
  bool writeback_cache = false;
  // libfuse's request tracing on stderr. Default: false.
  bool debug = false;
  // Bandwidth and IOPS limits for this project's reads and writes; null: none. Borrowed, must
  // outlive the server. Default: null.
  IoLimiter* limiter = nullptr;
};

// Serves one project's live tree through FUSE at a mount point: mounted with
// default_permissions (the kernel checks access against the modes and owners we report) and
// allow_other (containers' users are not the daemon's), fsname and subtype "berth". Requests are
// served one at a time on a thread of its own.
//
// Thread-compatible: Mount, Unmount and the destructor must not race, and must not be called
// from inside a FUSE request (Unmount waits for the serving thread).
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

  const std::string& mountpoint() const { return mountpoint_; }

 private:
  struct SessionDeleter {
    void operator()(fuse_session* se) const;
  };

  FuseServer(LiveTree* tree, std::string mountpoint);
  // The request loop; returns when the kernel ends the connection or stop_ is signalled.
  void Serve();

  LiveTree* const tree_;
  const std::string mountpoint_;
  // Destroyed after session_ (declared before it): the session's userdata.
  std::unique_ptr<ops::Context> context_;
  std::unique_ptr<fuse_session, SessionDeleter> session_;
  UniqueFd stop_;  // eventfd: written by Unmount to wake the loop
  std::thread loop_;
  bool mounted_ = false;
};

}  // namespace berth::fs

#endif  // BERTH_FS_FUSE_SERVER_H_
