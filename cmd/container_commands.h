#ifndef BERTH_CMD_CONTAINER_COMMANDS_H_
#define BERTH_CMD_CONTAINER_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cmd/cli_context.h"

namespace berth::cmd {

// The project containers, through the daemon: `start`, `stop`, `exec`, `ps`, `limits`, and
// `image build`.
void AddContainerCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code);

}  // namespace berth::cmd

#endif  // BERTH_CMD_CONTAINER_COMMANDS_H_
