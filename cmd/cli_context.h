#ifndef BERTH_CMD_CLI_CONTEXT_H_
#define BERTH_CMD_CLI_CONTEXT_H_

#include <nlohmann/json.hpp>

#include <string>

#include "base/status.h"

namespace berth::cmd {

// Exit codes of every berth command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Flags every subcommand shares, filled in by CLI11 before a subcommand runs.
struct GlobalFlags {
  bool json = false;
  std::string log_level = "warn";
};

// Prints `value` as JSON on stdout (--json), or `text` when it is not empty.
void PrintResult(const GlobalFlags& flags, const nlohmann::json& value, const std::string& text);
// Prints an error on stderr ("berth: ..."), as JSON when --json; returns kExitFailure.
int ReportFailure(const GlobalFlags& flags, const Status& status);

}  // namespace berth::cmd

#endif  // BERTH_CMD_CLI_CONTEXT_H_
