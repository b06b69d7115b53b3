// The berth binary: parses the command line and hands over to the subcommand.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <iostream>

#include "base/logging.h"
#include "cmd/cli_context.h"
#include "cmd/container_commands.h"
#include "cmd/project_commands.h"
#include "cmd/serve_command.h"
#include "cmd/snapshot_commands.h"
#include "cmd/store_commands.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace berth::cmd;
  CLI::App app{
      "berth: stores, snapshots, replicates and runs user projects.\n"
      "Projects live in a deduplicating, compressed chunk store."};
  app.set_version_flag("--version", std::string("berth ") + BERTH_VERSION);
  app.require_subcommand(1);
  GlobalFlags flags;
  app.add_flag("--json", flags.json, "machine-readable output");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();

  int exit_code = kExitOk;
  AddServeCommand(app, flags, &exit_code);
  AddProjectCommands(app, flags, &exit_code);
  AddSnapshotCommands(app, flags, &exit_code);
  AddContainerCommands(app, flags, &exit_code);
  AddStoreCommands(app, flags, &exit_code);

  // Logging must be up before any subcommand callback runs.
  app.parse_complete_callback([&] {
    berth::Status s = berth::InitLogging(flags.log_level);
    if (!s.ok()) throw CLI::ValidationError("--log-level", s.message());
  });
  if (sodium_init() < 0) {
    std::cerr << "berth: libsodium failed to initialise\n";
    return kExitFailure;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "berth: " << e.what() << "\n";
    return kExitFailure;
  }
  return exit_code;
}
