#include "cmd/serve_command.h"

#include <signal.h>
#include <sys/resource.h>

#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "cluster/container_service.h"
#include "runtime/network.h"
#include "cluster/control_service.h"
#include "cluster/node.h"
#include "cluster/snapshot_service.h"
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
Status LoadConfig(const std::string& path, cluster::NodeOptions* options,
                  cluster::ContainerServiceOptions* containers,
                  cluster::SnapshotServiceOptions* snapshots) {
  auto seconds = [](const toml::node& value) {
    return std::chrono::milliseconds(static_cast<int64_t>(*value.value<double>() * 1000));
  };
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
    } else if (k == "negative_timeout_s" && (value.is_floating_point() || value.is_integer())) {
      options->negative_timeout_s = *value.value<double>();
    } else if (k == "fuse_threads" && value.is_integer()) {
      options->fuse_threads = static_cast<int>(*value.value<int64_t>());
    } else if (k == "readahead_kib" && value.is_integer() && *value.value<int64_t>() >= 0 &&
               *value.value<int64_t>() <= (1 << 20)) {
      options->readahead_kib = static_cast<uint32_t>(*value.value<int64_t>());
    } else if (k == "writeback_cache" && value.is_boolean()) {
      options->writeback_cache = *value.value<bool>();
    } else if (k == "snapshot_interval_s" && value.is_number()) {
      snapshots->interval_ms = seconds(value).count();
    } else if (k == "gc_interval_s" && value.is_number()) {
      snapshots->gc_interval_ms = seconds(value).count();
    } else if (k == "retention" && value.is_string()) {
      ASSIGN_OR_RETURN(snapshots->retention,
                       snapshot::RetentionPolicy::Parse(*value.value<std::string>()));
    } else if (k == "container_image" && value.is_string()) {
      containers->image = *value.value<std::string>();
    } else if (k == "container_stop_timeout_s" && value.is_number()) {
      containers->stop_timeout = seconds(value);
    } else if (k == "container_idle_timeout_s" && value.is_number()) {
      containers->idle.idle_timeout = seconds(value);
    } else if (k == "container_network_bridge" && value.is_string()) {
      containers->network_bridge = *value.value<std::string>();
      RETURN_IF_ERROR(runtime::ValidateInterfaceName(containers->network_bridge)
                          .WithContext("config " + path + ": " + k));
    } else if (k == "container_network_subnet" && value.is_string()) {
      containers->network_subnet = *value.value<std::string>();
      ASSIGN_OR_RETURN(runtime::Ipv4Net subnet, runtime::Ipv4Net::Parse(containers->network_subnet));
      RETURN_IF_ERROR(runtime::SubnetGateway(subnet).status().WithContext("config " + path));
    } else {
      return InvalidArgumentError("config " + path + ": unknown key or wrong type: " + k);
    }
  }
  return Status::Ok();
}

int RunServe(const GlobalFlags& g, const ServeFlags& f) {
  cluster::NodeOptions options;
  cluster::ContainerServiceOptions container_options;
  cluster::SnapshotServiceOptions snapshot_options;
  if (!f.config.empty()) {
    Status loaded = LoadConfig(f.config, &options, &container_options, &snapshot_options);
    if (!loaded.ok()) return ReportFailure(g, loaded);
  }
  if (!f.data_dir.empty()) options.data_dir = f.data_dir;
  if (!f.mount_root.empty()) options.mount_root = f.mount_root;
  if (!f.encryption_key_file.empty()) options.encryption_key_file = f.encryption_key_file;
  if (f.commit_interval_ms > 0) options.commit_interval_ms = f.commit_interval_ms;
  if (options.commit_interval_ms <= 0) {
    return ReportFailure(g, InvalidArgumentError("commit_interval_ms must be positive"));
  }
  if (options.fuse_threads < 1 || options.fuse_threads > 64) {
    return ReportFailure(g, InvalidArgumentError("fuse_threads must be between 1 and 64"));
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
  container_options.data_dir = options.data_dir;
  std::unique_ptr<cluster::ContainerService> containers =
      cluster::ContainerService::Open(node->get(), container_options);
  std::unique_ptr<cluster::SnapshotService> snapshots =
      cluster::SnapshotService::Start(node->get(), snapshot_options);
  auto server = cluster::ControlServer::Start(
      socket, cluster::MakeNodeHandler({node->get(), containers.get(), snapshots.get()}));
  if (!server.ok()) return ReportFailure(g, server.status());
  std::cout << "berth serving: data dir " << options.data_dir << ", mount root "
            << options.mount_root << ", socket " << socket << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("signal {}: committing and unmounting", signal);
  (*server)->Stop();
  // Containers go first: they use the mounts. The catalog still wants them running, so the next
  // start starts them again.
  containers->StopAll();
  containers.reset();
  snapshots.reset();
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
                    "commit_interval_ms, entry_timeout_s, attr_timeout_s, negative_timeout_s, "
                    "writeback_cache, fuse_threads, snapshot_interval_s, gc_interval_s, retention, "
                    "container_image, container_stop_timeout_s, container_idle_timeout_s, "
                    "container_network_bridge, container_network_subnet)");
  serve->add_option("--data-dir", f->data_dir, "data directory (default /var/lib/berth)");
  serve->add_option("--mount-root", f->mount_root, "where projects are mounted (default /projects)");
  serve->add_option("--encryption-key-file", f->encryption_key_file,
                    "at-rest encryption key file for the chunk store");
  serve->add_option("--commit-interval-ms", f->commit_interval_ms,
                    "commit plain writes at least this often (default 5000)");
  serve->callback([&flags, f, exit_code] { *exit_code = RunServe(flags, *f); });
}

}  // namespace berth::cmd
