#ifndef BERTH_CMD_SNAPSHOT_COMMANDS_H_
#define BERTH_CMD_SNAPSHOT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cmd/cli_context.h"

namespace berth::cmd {

// The snapshot browser and its upkeep, all through the daemon: `snapshot`, `snapshots`, `ls`,
// `cat`, `diff`, `versions`, `restore`, `export`, `gc`, `fsck`. Snapshots are named as
// PROJECT@SNAPSHOT[:PATH] (snapshot/snapshot_ref.h).
void AddSnapshotCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code);

}  // namespace berth::cmd

#endif  // BERTH_CMD_SNAPSHOT_COMMANDS_H_
