#ifndef BERTH_CLUSTER_CONTROL_SERVER_H_
#define BERTH_CLUSTER_CONTROL_SERVER_H_

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/status.h"

namespace berth::cluster {

// The control protocol (doc/control_protocol.md): one JSON request line per connection on a
// Unix stream socket; the server answers zero or more {"progress": ...} lines and then one
// {"ok": true, "result": ...} or {"ok": false, "error": "...", "code": "NOT_FOUND"} line.
inline constexpr size_t kMaxRequestBytes = 1u << 20;

// At most this many descriptors may ride along with a request.
inline constexpr size_t kMaxRequestFds = 4;

using ProgressFn = std::function<void(const nlohmann::json& progress)>;

// What a handler gets besides the request itself.
struct ControlCall {
  // Sends one progress line to the client.
  ProgressFn progress;
  // Descriptors the client passed with the request (SCM_RIGHTS), in its order: e.g. its stdin,
  // stdout and stderr for `exec`, its stdout for `cat`. Owned by the call.
  std::vector<UniqueFd> fds;
};

// Answers one request. Called on the connection's thread; must be thread-safe.
using ControlHandler =
    std::function<Result<nlohmann::json>(const nlohmann::json& request, ControlCall& call)>;

// Serves the control socket: root-only permissions (0600), a thread per connection.
// Thread-safe; Stop() (also run by the destructor) waits for running requests.
class ControlServer {
 public:
  // Replaces a stale socket file at `path` (one no server answers on). FailedPrecondition if a
  // live server answers there.
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& path,
                                                      ControlHandler handler);
  ~ControlServer();
  void Stop();

 private:
  ControlServer(std::string path, ControlHandler handler, UniqueFd listener, UniqueFd wake_read,
                UniqueFd wake_write);
  void AcceptLoop();
  void Serve(int fd);

  const std::string path_;
  const ControlHandler handler_;
  UniqueFd listener_;
  UniqueFd wake_read_, wake_write_;  // a pipe that wakes the accept loop to stop
  std::thread acceptor_;
  std::mutex mu_;
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Connection> connections_;  // GUARDED_BY(mu_); finished ones are joined on accept
  std::atomic<bool> stopping_{false};
};

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_CONTROL_SERVER_H_
