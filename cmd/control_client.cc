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

Result<nlohmann::json> CallDaemon(const std::string& socket, const nlohmann::json& request,
                                  const std::function<void(const nlohmann::json&)>& on_progress) {
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
  std::string line = request.dump() + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    return UnavailableError("sending to the daemon failed: " + std::string(std::strerror(errno)));
  }
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
