#ifndef BERTH_CMD_CONTROL_CLIENT_H_
#define BERTH_CMD_CONTROL_CLIENT_H_

#include <nlohmann/json.hpp>

#include <functional>
#include <span>
#include <string>

#include "base/status.h"

namespace berth::cmd {

inline constexpr char kDefaultDataDir[] = "/var/lib/berth";

// The daemon's control socket: `flag` if set, else $BERTH_SOCKET, else the default data dir's.
std::string ResolveSocket(const std::string& flag);
// The socket a daemon with this data dir listens on.
std::string SocketIn(const std::string& data_dir);

// Sends one request and waits for the answer; progress lines go to `on_progress` (may be empty).
// `fds` ride along with the request (SCM_RIGHTS; at most 4): the daemon reads or writes them,
// e.g. this process's stdin/stdout/stderr for `exec`. Unavailable when no daemon answers;
// otherwise the daemon's own error, with its code.
Result<nlohmann::json> CallDaemon(const std::string& socket, const nlohmann::json& request,
                                  const std::function<void(const nlohmann::json&)>& on_progress,
                                  std::span<const int> fds = {});

}  // namespace berth::cmd

#endif  // BERTH_CMD_CONTROL_CLIENT_H_
