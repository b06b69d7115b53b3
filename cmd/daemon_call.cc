#include "cmd/daemon_call.h"

#include <filesystem>

#include "cmd/control_client.h"

namespace berth::cmd {

int CallAndPrint(const GlobalFlags& flags, const std::string& socket_flag,
                 const nlohmann::json& request,
                 const std::function<std::string(const nlohmann::json&)>& describe,
                 const std::function<void(const nlohmann::json&)>& on_progress,
                 std::span<const int> fds) {
  auto result = CallDaemon(ResolveSocket(socket_flag), request, on_progress, fds);
  if (!result.ok()) return ReportFailure(flags, result.status());
  PrintResult(flags, *result, describe(*result));
  return kExitOk;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

}  // namespace berth::cmd
