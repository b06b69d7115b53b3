#include "fs/fuse_server.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <vector>

#include "fs/ops/ops.h"

namespace berth::fs {

namespace {

// default_permissions: the kernel checks every access against the modes, owners and groups we
// report, so the tree needs no permission logic of its own.
// allow_other: the users inside containers are not the daemon's user.
constexpr char kMountOptions[] = "default_permissions,allow_other,fsname=berth,subtype=berth";

}  // namespace

void FuseServer::SessionDeleter::operator()(fuse_session* se) const { fuse_session_destroy(se); }

FuseServer::FuseServer(LiveTree* tree, std::string mountpoint)
    : tree_(tree), mountpoint_(std::move(mountpoint)) {}

Result<std::unique_ptr<FuseServer>> FuseServer::Mount(LiveTree* tree, FileData* data,
                                                      const std::string& mountpoint,
                                                      const MountOptions& options) {
  std::unique_ptr<FuseServer> server(new FuseServer(tree, mountpoint));
  server->context_ = std::make_unique<ops::Context>();
  server->context_->tree = tree;
  server->context_->data = data;
  server->context_->limiter = options.limiter;
  server->context_->want_writeback_cache = options.writeback_cache;
  server->context_->entry_timeout_s = options.entry_timeout_s;
  server->context_->attr_timeout_s = options.attr_timeout_s;

  std::vector<std::string> argv = {"berth", "-o", kMountOptions};
  if (options.debug) argv.push_back("-d");
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(args.size()), args.data());
  fuse_session* se =
      fuse_session_new(&fargs, &ops::OpsTable(), sizeof(fuse_lowlevel_ops), server->context_.get());
  fuse_opt_free_args(&fargs);
  if (se == nullptr) return InternalError("fuse_session_new failed (libfuse logged why)");
  server->session_.reset(se);

  server->stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
  if (!server->stop_.valid()) return PosixError("eventfd", errno);

  if (fuse_session_mount(se, mountpoint.c_str()) != 0) {
    return UnavailableError("mounting " + mountpoint + " failed (libfuse logged why)");
  }
  server->mounted_ = true;
  server->loop_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

FuseServer::~FuseServer() {
  Status unmounted = Unmount();
  if (!unmounted.ok()) spdlog::error("unmounting {}: {}", mountpoint_, unmounted.ToString());
}

void FuseServer::Serve() {
  try {
    fuse_session* se = session_.get();
    fuse_buf buf{};
    // Our own loop instead of fuse_session_loop, so that Unmount can always wake it: a thread
    // blocked in read(2) on /dev/fuse only returns when the connection ends, which a busy mount
    // may postpone indefinitely.
    while (!fuse_session_exited(se)) {
      pollfd fds[2] = {{fuse_session_fd(se), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("fuse loop of {}: poll: {}", mountpoint_, strerror(errno));
        break;
      }
      if (fds[1].revents != 0) break;
      if (fds[0].revents == 0) continue;
      // 0 when the kernel ended the connection (ENODEV: unmounted or aborted).
      const int received = fuse_session_receive_buf(se, &buf);
      if (received == -EINTR || received == -EAGAIN) continue;
      if (received <= 0) {
        if (received < 0) spdlog::error("fuse loop of {}: {}", mountpoint_, strerror(-received));
        break;
      }
      fuse_session_process_buf(se, &buf);
    }
    free(buf.mem);
  } catch (const std::exception& e) {
    spdlog::error("fuse loop of {} ended by an exception: {}", mountpoint_, e.what());
  }
}

Status FuseServer::Unmount() {
  if (!session_) return Status::Ok();
  fuse_session* se = session_.get();
  Status result;
  if (mounted_ && geteuid() == 0 && umount2(mountpoint_.c_str(), UMOUNT_NOFOLLOW) != 0 &&
      errno != EBUSY && errno != EINVAL) {
    // EBUSY (a process still uses the mount) is handled below by detaching; EINVAL means it is
    // no longer mounted (detached from outside), and the connection ends below either way.
    result = PosixError("umount " + mountpoint_, errno);
  }
  // Wake the loop whether or not the unmount above ended the connection. Writing to an eventfd
  // fails only when its counter would overflow, which one write per Unmount cannot reach.
  fuse_session_exit(se);
  const uint64_t one = 1;
  if (write(stop_.get(), &one, sizeof(one)) != sizeof(one)) {
    spdlog::error("waking the fuse loop of {}: {}", mountpoint_, strerror(errno));
  }
  if (loop_.joinable()) loop_.join();
  if (mounted_) {
    // Closes /dev/fuse, the connection's last device reference, so the kernel aborts it, and
    // detaches the mount (lazily) if it is still attached.
    fuse_session_unmount(se);
    mounted_ = false;
  }
  session_.reset();
  // The kernel holds no references any more: inodes unlinked while it did can go now.
  for (Ino ino : context_->refs.Clear()) {
    Status released = tree_->ReleaseOrphan(ino);
    if (!released.ok() && result.ok()) result = released.WithContext("releasing orphans");
  }
  return result;
}

}  // namespace berth::fs
