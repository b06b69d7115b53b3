#ifndef BERTH_CMD_PROJECT_COMMANDS_H_
#define BERTH_CMD_PROJECT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cmd/cli_context.h"

namespace berth::cmd {

// The client subcommands that talk to the daemon: `project create|list|set|delete`, `mount`,
// `umount`, `import`. Each finds the daemon through --socket, $BERTH_SOCKET or the default
// data dir's socket.
void AddProjectCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code);

}  // namespace berth::cmd

#endif  // BERTH_CMD_PROJECT_COMMANDS_H_
