#ifndef BERTH_CMD_STORE_COMMANDS_H_
#define BERTH_CMD_STORE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cmd/cli_context.h"

namespace berth::cmd {

// `berth store stats|verify|ingest` and `berth key generate`: operator tools that work on a
// data directory directly. Each sets *exit_code when it runs. `flags` and `exit_code` must
// outlive app.parse().
void AddStoreCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code);

}  // namespace berth::cmd

#endif  // BERTH_CMD_STORE_COMMANDS_H_
