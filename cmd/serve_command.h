#ifndef BERTH_CMD_SERVE_COMMAND_H_
#define BERTH_CMD_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cmd/cli_context.h"

namespace berth::cmd {

// `berth serve`: runs the node daemon in the foreground until SIGTERM or SIGINT.
void AddServeCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code);

}  // namespace berth::cmd

#endif  // BERTH_CMD_SERVE_COMMAND_H_
