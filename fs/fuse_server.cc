#include "fs/fuse_server.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "fs/fuse_wire.h"
#include "fs/ops/ops.h"

namespace berth::fs {

namespace {

// default_permissions: the kernel checks every access against the modes, owners and groups we
// report, so the tree needs no permission logic of its own.
// allow_other: the users inside containers are not the daemon's user.
constexpr char kMountOptions[] = "default_permissions,allow_other,fsname=berth,subtype=berth";

// The INIT flags added to what libfuse negotiates (fuse_wire.h), when the kernel offers them.
constexpr uint64_t kExtraInitFlags = kInitHandleKillprivV2 | kInitParallelDirops;

// libfuse's I/O on /dev/fuse, through fuse_session_custom_io: plain read(2) and writev(2), but
// the INIT reply gets the flags libfuse 3.14 cannot ask for. `userdata` is the session's
// (ops::Context). Called from serving threads and from notifying ones.
ssize_t ReadRequest(int fd, void* buf, size_t len, void* /*userdata*/) {
  return ::read(fd, buf, len);
}

ssize_t WriteReply(int fd, struct iovec* iov, int count, void* userdata) {
  auto* ctx = static_cast<ops::Context*>(userdata);
  uint8_t scratch[kInitOutScratchSize];
  const uint64_t init = ctx->init_unique.load(std::memory_order_acquire);
  if (init != 0 && PatchInitReply(iov, count, init, ctx->init_offered.load(),
                                  ctx->extra_init_flags, scratch)) {
    ctx->init_added.store(ctx->extra_init_flags & ctx->init_offered.load());
    ctx->init_unique.store(0, std::memory_order_release);
  }
  return ::writev(fd, iov, count);
}

constexpr fuse_custom_io kCustomIo = {WriteReply, ReadRequest, nullptr, nullptr};

// "major:minor" of the filesystem mounted at `mountpoint` (the last one stacked there), from
// /proc/self/mountinfo, which names it without asking the filesystem (a stat(2) would).
Result<std::string> DeviceOf(const std::string& mountpoint) {
  ASSIGN_OR_RETURN(std::string table, ReadFileToString("/proc/self/mountinfo"));
  // Field 5 is the mount point with space, tab, newline and backslash escaped as \ooo.
  std::string escaped;
  for (char c : mountpoint) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      char octal[5];
      std::snprintf(octal, sizeof(octal), "\\%03o", static_cast<unsigned char>(c));
      escaped += octal;
    } else {
      escaped += c;
    }
  }
  std::string device;
  size_t line_start = 0;
  while (line_start < table.size()) {
    size_t line_end = table.find('\n', line_start);
    if (line_end == std::string::npos) line_end = table.size();
    std::vector<std::string_view> fields;
    std::string_view line(table.data() + line_start, line_end - line_start);
    for (size_t at = 0; at <= line.size() && fields.size() < 5;) {
      size_t space = line.find(' ', at);
      if (space == std::string_view::npos) space = line.size();
      fields.push_back(line.substr(at, space - at));
      at = space + 1;
    }
    if (fields.size() == 5 && fields[4] == escaped) device = std::string(fields[2]);
    line_start = line_end + 1;
  }
  if (device.empty()) return NotFoundError(mountpoint + " is not in /proc/self/mountinfo");
  return device;
}

// Sets the kernel's readahead for the mount's backing device: FUSE takes the smaller of its
// default (128 KiB) and what INIT negotiates, so a larger window can only be set afterwards.
Status SetReadahead(const std::string& mountpoint, uint32_t kib) {
  ASSIGN_OR_RETURN(std::string device, DeviceOf(mountpoint));
  const std::string path = "/sys/class/bdi/" + device + "/read_ahead_kb";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return PosixError("open " + path, errno);
  const std::string value = std::to_string(kib);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return PosixError("write " + path, errno);
  }
  return Status::Ok();
}

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
  server->context_->snapshots = options.snapshots;
  server->context_->want_writeback_cache = options.writeback_cache;
  server->context_->entry_timeout_s = options.entry_timeout_s;
  server->context_->attr_timeout_s = options.attr_timeout_s;
  server->context_->negative_timeout_s = options.negative_timeout_s;
  server->context_->extra_init_flags = kExtraInitFlags;
  if (options.threads < 1) return InvalidArgumentError("mount: threads must be at least 1");

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
  // Non-blocking, so that a serving thread that poll(2) woke for a request another thread took
  // goes back to poll (where Unmount can wake it) instead of blocking in read(2).
  const int fd = fuse_session_fd(se);
  const int fd_flags = fcntl(fd, F_GETFL);
  if (fd_flags < 0 || fcntl(fd, F_SETFL, fd_flags | O_NONBLOCK) != 0) {
    return PosixError("making /dev/fuse non-blocking", errno);
  }
  // Same descriptor, our read/writev (the session closes it, once, as before).
  if (const int err = fuse_session_custom_io(se, &kCustomIo, fd); err != 0) {
    return PosixError("fuse_session_custom_io", -err);
  }
  for (int i = 0; i < options.threads; ++i) {
    server->workers_.emplace_back([s = server.get()] { s->Serve(); });
  }
  if (options.readahead_kib != 0) {
    // Only a tuning: without it (no sysfs, not root) the mount works with the default window.
    Status set = SetReadahead(mountpoint, options.readahead_kib);
    if (!set.ok()) spdlog::warn("readahead of {}: {}", mountpoint, set.ToString());
  }
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
    // Our own loop instead of fuse_session_loop(_mt), so that Unmount can always wake it (a
    // thread blocked in read(2) on /dev/fuse only returns when the connection ends, which a busy
    // mount may postpone indefinitely), and so that it sees each raw request before libfuse.
    // Several threads may run it: libfuse's receive and process calls take a buffer of the
    // caller's and keep shared state under the session's lock, as in fuse_session_loop_mt.
    //
    // Each thread waits in an epoll set of its own holding /dev/fuse with EPOLLEXCLUSIVE, so
    // that a request wakes one idle thread rather than all of them (plain poll(2) would wake
    // every thread, and all but one would find nothing to read), and the stop eventfd, which
    // wakes them all.
    UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll.valid()) {
      spdlog::error("fuse loop of {}: epoll_create1: {}", mountpoint_, strerror(errno));
      return;
    }
    epoll_event fuse_event{};
    fuse_event.events = EPOLLIN | EPOLLEXCLUSIVE;
    fuse_event.data.u32 = 0;
    epoll_event stop_event{};
    stop_event.events = EPOLLIN;
    stop_event.data.u32 = 1;
    if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fuse_session_fd(se), &fuse_event) != 0 ||
        epoll_ctl(epoll.get(), EPOLL_CTL_ADD, stop_.get(), &stop_event) != 0) {
      spdlog::error("fuse loop of {}: epoll_ctl: {}", mountpoint_, strerror(errno));
      return;
    }
    while (!fuse_session_exited(se)) {
      epoll_event ready[2];
      const int n = epoll_wait(epoll.get(), ready, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::error("fuse loop of {}: epoll_wait: {}", mountpoint_, strerror(errno));
        break;
      }
      bool stop = false;
      for (int i = 0; i < n; ++i) stop |= ready[i].data.u32 == 1;
      if (stop) break;
      // 0 when the kernel ended the connection (ENODEV: unmounted or aborted).
      const int received = fuse_session_receive_buf(se, &buf);
      if (received == -EINTR || received == -EAGAIN) continue;
      if (received <= 0) {
        if (received < 0) spdlog::error("fuse loop of {}: {}", mountpoint_, strerror(-received));
        break;
      }
      RequestHints hints;
      if ((buf.flags & FUSE_BUF_IS_FD) == 0) {
        hints = PeekRequest(ByteView(static_cast<const uint8_t*>(buf.mem),
                                     static_cast<size_t>(received)));
      }
      if (hints.is_init) {
        context_->init_offered.store(hints.init_offered);
        context_->init_unique.store(hints.unique, std::memory_order_release);
      }
      ops::SetCurrentRequest(hints);
      fuse_session_process_buf(se, &buf);
      ops::SetCurrentRequest(RequestHints{});
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
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
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

Status FuseServer::FlushKernelCache() {
  if (!mounted_ || !session_) return Status::Ok();
  UniqueFd root(::open(mountpoint_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return PosixError("open " + mountpoint_, errno);
  if (::syncfs(root.get()) != 0) return PosixError("syncfs " + mountpoint_, errno);
  return Status::Ok();
}

Status FuseServer::InvalidateEntry(Ino parent, std::string_view name) {
  if (!mounted_ || !session_) return Status::Ok();
  const int err =
      fuse_lowlevel_notify_inval_entry(session_.get(), parent, name.data(), name.size());
  if (err == 0 || err == -ENOENT) return Status::Ok();
  return PosixError("invalidating entry " + std::string(name) + " of inode " +
                        std::to_string(parent),
                    -err);
}

Status FuseServer::InvalidateInode(Ino ino, int64_t offset, int64_t length) {
  if (!mounted_ || !session_) return Status::Ok();
  const int err = fuse_lowlevel_notify_inval_inode(session_.get(), ino, offset, length);
  if (err == 0 || err == -ENOENT) return Status::Ok();
  return PosixError("invalidating inode " + std::to_string(ino), -err);
}

}  // namespace berth::fs
