#include "cmd/serve_command.h"

#include <signal.h>
#include <sys/resource.h>

#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "cluster/control_service.h"
#include "cluster/node.h"
#include "cmd/control_client.h"

namespace berth::cmd {

namespace {

struct ServeFlags {
  std::string config;
  std::string data_dir;
  std::string mount_root;
  std::string encryption_key_file;
  int64_t commit_interval_ms = 0;
};

// Fills `options` from the config file; flags given on the command line win afterwards.
Status LoadConfig(const std::string& path, cluster::NodeOptions* options) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError("config " + path + ": " + std::string(e.description()));
  }
  for (const auto& [key, value] : table) {
    const std::string k(key.str());
    if (k == "data_dir" && value.is_string()) {
      options->data_dir = *value.value<std::string>();
    } else if (k == "mount_root" && value.is_string()) {
      options->mount_root = *value.value<std::string>();
    } else if (k == "encryption_key_file" && value.is_string()) {
      options->encryption_key_file = *value.value<std::string>();
    } else if (k == "commit_interval_ms" && value.is_integer()) {
      options->commit_interval_ms = *value.value<int64_t>();
    } else if (k == "entry_timeout_s" && (value.is_floating_point() || value.is_integer())) {
      options->entry_timeout_s = *value.value<double>();
    } else if (k == "attr_timeout_s" && (value.is_floating_point() || value.is_integer())) {
      options->attr_timeout_s = *value.value<double>();
    } else if (k == "writeback_cache" && value.is_boolean()) {
      options->writeback_cache = *value.value<bool>();
    } else {
      return InvalidArgumentError("config " + path + ": unknown key or wrong type: " + k);
    }
  }
  return Status::Ok();
}

int RunServe(const GlobalFlags& g, const ServeFlags& f) {
  cluster::NodeOptions options;
  if (!f.config.empty()) {
    Status loaded = LoadConfig(f.config, &options);
    if (!loaded.ok()) return ReportFailure(g, loaded);
  }
  if (!f.data_dir.empty()) options.data_dir = f.data_dir;
  if (!f.mount_root.empty()) options.mount_root = f.mount_root;
  if (!f.encryption_key_file.empty()) options.encryption_key_file = f.encryption_key_file;
  if (f.commit_interval_ms > 0) options.commit_interval_ms = f.commit_interval_ms;
  if (options.commit_interval_ms <= 0) {
    return ReportFailure(g, InvalidArgumentError("commit_interval_ms must be positive"));
  }

  // Live trees are RocksDB keys, not open descriptors, but dirty buffers and RocksDB's files
  // still want room.
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // Signals are taken by sigwait below, on this thread only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto node = cluster::Node::Start(options);
  if (!node.ok()) return ReportFailure(g, node.status());
  const std::string socket = SocketIn(options.data_dir);
  auto server = cluster::ControlServer::Start(socket, cluster::MakeNodeHandler(node->get()));
  if (!server.ok()) return ReportFailure(g, server.status());
  std::cout << "berth serving: data dir " << options.data_dir << ", mount root "
            << options.mount_root << ", socket " << socket << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("signal {}: committing and unmounting", signal);
  (*server)->Stop();
  Status stopped = (*node)->Shutdown();
  if (!stopped.ok()) return ReportFailure(g, stopped);
  std::cout << "berth stopped cleanly" << std::endl;
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand(
      "serve", "Run the node daemon: serve projects at <mount-root>/<id> until SIGTERM");
  serve->add_option("--config", f->config,
                    "TOML config file (keys: data_dir, mount_root, encryption_key_file, "
                    "commit_interval_ms, entry_timeout_s, attr_timeout_s, writeback_cache)");
  serve->add_option("--data-dir", f->data_dir, "data directory (default /var/lib/berth)");
  serve->add_option("--mount-root", f->mount_root, "where projects are mounted (default /projects)");
  serve->add_option("--encryption-key-file", f->encryption_key_file,
                    "at-rest encryption key file for the chunk store");
  serve->add_option("--commit-interval-ms", f->commit_interval_ms,
                    "commit plain writes at least this often (default 5000)");
  serve->callback([&flags, f, exit_code] { *exit_code = RunServe(flags, *f); });
}

}  // namespace berth::cmd
