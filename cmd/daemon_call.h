#ifndef BERTH_CMD_DAEMON_CALL_H_
#define BERTH_CMD_DAEMON_CALL_H_

#include <nlohmann/json.hpp>

#include <functional>
#include <span>
#include <string>

#include "cmd/cli_context.h"

namespace berth::cmd {

// Sends `request` to the daemon at `socket_flag` (resolved as ResolveSocket does) and prints the
// result: `describe(result)` as text, or the JSON with --json. Returns the exit code.
int CallAndPrint(const GlobalFlags& flags, const std::string& socket_flag,
                 const nlohmann::json& request,
                 const std::function<std::string(const nlohmann::json&)>& describe,
                 const std::function<void(const nlohmann::json&)>& on_progress = nullptr,
                 std::span<const int> fds = {});

// Makes `path` absolute against the current directory (the daemon has another one); it need
// not exist.
std::string AbsolutePath(const std::string& path);

}  // namespace berth::cmd

#endif  // BERTH_CMD_DAEMON_CALL_H_
