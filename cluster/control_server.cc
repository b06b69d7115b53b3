#include "cluster/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace berth::cluster {

namespace {

bool WriteLine(int fd, const nlohmann::json& message) {
  std::string line = message.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

Result<sockaddr_un> SocketAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return InvalidArgumentError("socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

ControlServer::ControlServer(std::string path, ControlHandler handler, UniqueFd listener,
                             UniqueFd wake_read, UniqueFd wake_write)
    : path_(std::move(path)),
      handler_(std::move(handler)),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)) {}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& path,
                                                            ControlHandler handler) {
  ASSIGN_OR_RETURN(sockaddr_un addr, SocketAddress(path));
  // A socket file nobody answers on is left over from a crash: replace it.
  {
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      return FailedPreconditionError("another berth daemon answers on " + path);
    }
    ::unlink(path.c_str());
  }
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return PosixError("socket", errno);
  mode_t old_umask = ::umask(0077);  // the socket is born 0600: root-only
  int bound = ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0) return PosixError("bind " + path, bind_errno);
  if (::chmod(path.c_str(), 0600) != 0) return PosixError("chmod " + path, errno);
  if (::listen(listener.get(), 64) != 0) return PosixError("listen " + path, errno);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return PosixError("pipe", errno);
  std::unique_ptr<ControlServer> server(new ControlServer(
      path, std::move(handler), std::move(listener), UniqueFd(pipe_fds[0]), UniqueFd(pipe_fds[1])));
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::Stop() {
  if (stopping_.exchange(true)) return;
  char byte = 0;
  (void)!::write(wake_write_.get(), &byte, 1);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<Connection> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running.swap(connections_);
  }
  for (auto& c : running) c.thread.join();
  ::unlink(path_.c_str());
}

void ControlServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0 || stopping_) return;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(connections_, [](Connection& c) {
      if (!c.done->load()) return false;
      c.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([this, fd, done] {
                              Serve(fd);
                              done->store(true);
                            }),
                            done});
  }
}

namespace {

// Reads from a client, taking any descriptors that ride along into `fds`. Returns what recvmsg
// returns; descriptors beyond kMaxRequestFds are closed.
ssize_t ReceiveWithFds(int fd, char* buf, size_t size, std::vector<UniqueFd>* fds) {
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxRequestFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      UniqueFd owned(received);
      if (fds->size() < kMaxRequestFds) fds->push_back(std::move(owned));
    }
  }
  return n;
}

}  // namespace

void ControlServer::Serve(int raw_fd) {
  UniqueFd fd(raw_fd);
  std::string line;
  char buf[4096];
  ControlCall call;
  while (line.find('\n') == std::string::npos) {
    ssize_t n = ReceiveWithFds(fd.get(), buf, sizeof(buf), &call.fds);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line.append(buf, static_cast<size_t>(n));
    if (line.size() > kMaxRequestBytes) {
      WriteLine(fd.get(), {{"ok", false}, {"error", "request over 1 MiB"}, {"code", "INVALID_ARGUMENT"}});
      return;
    }
  }
  line.resize(line.find('\n'));
  nlohmann::json request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object() || !request.contains("op")) {
    WriteLine(fd.get(), {{"ok", false},
                         {"error", "malformed request: want one JSON object with \"op\""},
                         {"code", "INVALID_ARGUMENT"}});
    return;
  }
  bool peer_gone = false;
  call.progress = [&](const nlohmann::json& p) {
    if (!peer_gone) peer_gone = !WriteLine(fd.get(), {{"progress", p}});
  };
  Result<nlohmann::json> result = InternalError("handler threw");
  try {
    result = handler_(request, call);
  } catch (const std::exception& e) {
    result = InternalError(std::string("handler threw: ") + e.what());
  }
  if (result.ok()) {
    WriteLine(fd.get(), {{"ok", true}, {"result", *result}});
  } else {
    WriteLine(fd.get(), {{"ok", false},
                         {"error", result.status().message()},
                         {"code", std::string(StatusCodeName(result.status().code()))}});
  }
}

}  // namespace berth::cluster
