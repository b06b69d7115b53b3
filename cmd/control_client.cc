#include "cmd/control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/file.h"

namespace berth::cmd {

namespace {
StatusCode CodeFromName(const std::string& name) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kDataLoss); ++c) {
    if (StatusCodeName(static_cast<StatusCode>(c)) == name) return static_cast<StatusCode>(c);
  }
  return StatusCode::kUnknown;
}
}  // namespace

std::string SocketIn(const std::string& data_dir) { return data_dir + "/berth.sock"; }

std::string ResolveSocket(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("BERTH_SOCKET"); env && *env) return env;
  return SocketIn(kDefaultDataDir);
}

namespace {

// Sends all of `data`, the descriptors with its first byte.
Status SendRequest(int fd, const std::string& data, std::span<const int> fds) {
  if (fds.size() > 4) return InvalidArgumentError("at most 4 descriptors go with a request");
  size_t done = 0;
  while (done < data.size()) {
    iovec iov{const_cast<char*>(data.data() + done), data.size() - done};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    if (done == 0 && !fds.empty()) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return UnavailableError("sending to the daemon failed: " + std::string(std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<nlohmann::json> CallDaemon(const std::string& socket, const nlohmann::json& request,
                                  const std::function<void(const nlohmann::json&)>& on_progress,
                                  std::span<const int> fds) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof(addr.sun_path)) return InvalidArgumentError("socket path too long");
  std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return UnavailableError("no berth daemon answers at " + socket + " (" + std::strerror(errno) +
                            "); start one with `berth serve`, or name its socket with --socket "
                            "or BERTH_SOCKET");
  }
  RETURN_IF_ERROR(SendRequest(fd.get(), request.dump() + "\n", fds));
  std::string buffer;
  char chunk[65536];
  for (;;) {
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      nlohmann::json message = nlohmann::json::parse(buffer.substr(0, newline), nullptr, false);
      buffer.erase(0, newline + 1);
      if (message.is_discarded() || !message.is_object()) {
        return InternalError("the daemon sent a malformed answer");
      }
      if (message.contains("progress")) {
        if (on_progress) on_progress(message["progress"]);
        continue;
      }
      if (message.value("ok", false)) return message.value("result", nlohmann::json());
      return Status(CodeFromName(message.value("code", "UNKNOWN")),
                    message.value("error", "the daemon gave no reason"));
    }
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError("the daemon closed the connection without an answer");
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace berth::cmd
