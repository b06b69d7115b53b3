#include "cmd/container_commands.h"

#include <unistd.h>

#include <iomanip>
#include <memory>
#include <sstream>

#include "cmd/control_client.h"
#include "cmd/daemon_call.h"
#include "cmd/progress.h"
#include "cmd/size_parse.h"

namespace berth::cmd {

namespace {

using nlohmann::json;

struct ContainerFlags {
  std::string socket;
  std::string project;
  std::vector<std::string> command;
  std::string image;
  bool busybox = false;
  bool network = false, no_network = false;
  double timeout_s = 10;
  std::string memory, swap, cpu, cpu_weight, pids, blkio_weight;
};

std::string DescribeLimits(const json& l) {
  auto size = [&](const char* key) {
    const uint64_t v = l.value(key, uint64_t{0});
    return v == 0 ? std::string("-") : HumanBytes(v);
  };
  auto count = [&](const char* key) {
    const uint64_t v = l.value(key, uint64_t{0});
    return v == 0 ? std::string("-") : std::to_string(v);
  };
  std::ostringstream out;
  const double cpu = l.value("cpu_cores", 0.0);
  out << "memory " << size("memory_bytes") << ", swap " << size("swap_bytes") << ", cpu "
      << (cpu == 0 ? std::string("-") : (std::ostringstream() << cpu).str()) << " cores (weight "
      << count("cpu_weight") << "), pids " << count("pids") << ", block I/O weight "
      << count("blkio_weight");
  return out.str();
}

std::string DashIfEmpty(const std::string& s) { return s.empty() ? "-" : s; }

std::string ProcessTable(const json& list) {
  std::ostringstream out;
  out << std::left << std::setw(20) << "PROJECT" << std::setw(38) << "ID" << std::setw(10)
      << "STATE" << std::right << std::setw(12) << "MEMORY" << std::setw(10) << "CPU s"
      << std::setw(7) << "PIDS" << "  ADDRESS\n";
  for (const auto& c : list) {
    out << std::left << std::setw(20) << c.value("name", "") << std::setw(38) << c.value("id", "")
        << std::setw(10) << c.value("state", "") << std::right << std::setw(12)
        << HumanBytes(c.value("memory_bytes", uint64_t{0})) << std::setw(10) << std::fixed
        << std::setprecision(1) << c.value("cpu_seconds", 0.0) << std::setw(7)
        << c.value("pids", uint64_t{0}) << "  " << DashIfEmpty(c.value("address", "")) << "\n";
  }
  return out.str();
}

// Adds the limit flags that were given to `request`; sizes take suffixes (2G), counts not.
Status AddLimits(json& request, const ContainerFlags& f) {
  for (const auto& [key, text] : {std::pair{"memory_bytes", f.memory}, {"swap_bytes", f.swap},
                                  {"cpu_weight", f.cpu_weight}, {"pids", f.pids},
                                  {"blkio_weight", f.blkio_weight}}) {
    if (text.empty()) continue;
    ASSIGN_OR_RETURN(uint64_t value, ParseSize(text));
    request[key] = value;
  }
  if (!f.cpu.empty()) {
    try {
      size_t used = 0;
      const double cores = std::stod(f.cpu, &used);
      if (used != f.cpu.size()) throw std::invalid_argument("trailing");
      request["cpu_cores"] = cores;
    } catch (const std::exception&) {
      return InvalidArgumentError("--cpu wants a number of cores, e.g. 1.5, not '" + f.cpu + "'");
    }
  }
  return Status::Ok();
}

// Runs a command in the project's container with this process's stdin, stdout and stderr, and
// returns its exit code as ours.
int RunExec(const GlobalFlags& g, const ContainerFlags& f) {
  std::vector<std::string> argv = f.command;
  // `berth exec demo -- sh -c ...`: CLI11 hands the separator on with the command.
  if (!argv.empty() && argv.front() == "--") argv.erase(argv.begin());
  if (argv.empty()) return ReportFailure(g, InvalidArgumentError("exec needs a command"));
  const int stdio[] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  auto result = CallDaemon(ResolveSocket(f.socket),
                           {{"op", "container.exec"}, {"project", f.project}, {"argv", argv}},
                           nullptr, stdio);
  if (!result.ok()) return ReportFailure(g, result.status());
  return result->value("exit_code", kExitFailure);
}

}  // namespace

void AddContainerCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto f = std::make_shared<ContainerFlags>();
  auto run = [f, exit_code](CLI::App* cmd, std::function<int()> body) {
    cmd->add_option("--socket", f->socket, "the daemon's control socket (or $BERTH_SOCKET)");
    cmd->callback([body, exit_code] { *exit_code = body(); });
  };

  CLI::App* start = app.add_subcommand("start", "Start a project's container (mounting it if needed)");
  start->add_option("PROJECT", f->project, "id or name")->required();
  CLI::Option* with_network = start->add_flag(
      "--network", f->network, "give it a network: a veth on the node's bridge, with an address "
      "of its own (kept for later starts)");
  start->add_flag("--no-network", f->no_network, "take its network away (loopback only)")
      ->excludes(with_network);
  run(start, [&flags, f] {
    json request = {{"op", "container.start"}, {"project", f->project}};
    if (f->network || f->no_network) request["network"] = f->network;
    return CallAndPrint(flags, f->socket, request, [f](const json& r) {
      const std::string address = r.value("address", "");
      return "started " + f->project + " (" + r.value("container", "") +
             (address.empty() ? "" : ", address " + address) +
             "); get a shell with: berth exec " + f->project + " -- sh";
    });
  });

  CLI::App* stop = app.add_subcommand("stop", "Stop a project's container");
  stop->add_option("PROJECT", f->project, "id or name")->required();
  stop->add_option("--timeout", f->timeout_s, "seconds of grace before the processes are killed")
      ->capture_default_str();
  run(stop, [&flags, f] {
    return CallAndPrint(
        flags, f->socket,
        {{"op", "container.stop"}, {"project", f->project}, {"timeout_s", f->timeout_s}},
        [f](const json&) { return "stopped " + f->project; });
  });

  CLI::App* exec = app.add_subcommand("exec", "Run a command in a project's container, as its user");
  exec->add_option("PROJECT", f->project, "id or name")->required();
  exec->add_option("COMMAND", f->command, "the command and its arguments (after --)")->required();
  exec->positionals_at_end();
  exec->add_option("--socket", f->socket, "the daemon's control socket (or $BERTH_SOCKET)");
  exec->callback([&flags, f, exit_code] { *exit_code = RunExec(flags, *f); });

  CLI::App* ps = app.add_subcommand("ps", "Running containers with their memory and CPU use");
  run(ps, [&flags, f] {
    return CallAndPrint(flags, f->socket, {{"op", "container.list"}}, ProcessTable);
  });

  CLI::App* limits = app.add_subcommand(
      "limits", "Show or change a project's container limits (live when it runs)");
  limits->add_option("PROJECT", f->project, "id or name")->required();
  limits->add_option("--memory", f->memory, "memory limit, e.g. 2G (0: none)");
  limits->add_option("--swap", f->swap, "swap on top of memory, e.g. 1G");
  limits->add_option("--cpu", f->cpu, "CPU quota in cores, e.g. 1.5 (0: none)");
  limits->add_option("--cpu-weight", f->cpu_weight, "relative CPU share, 1..10000");
  limits->add_option("--pids", f->pids, "processes and threads (0: none)");
  limits->add_option("--io-weight", f->blkio_weight, "relative block I/O share, 10..1000");
  run(limits, [&flags, f] {
    json request = {{"op", "container.limits"}, {"project", f->project}};
    if (Status s = AddLimits(request, *f); !s.ok()) return ReportFailure(flags, s);
    return CallAndPrint(flags, f->socket, request,
                        [f](const json& r) { return f->project + ": " + DescribeLimits(r); });
  });

  CLI::App* image = app.add_subcommand("image", "Base images for containers");
  image->require_subcommand(1);
  CLI::App* build = image->add_subcommand("build", "Build a base image");
  build->add_option("NAME", f->image, "image name")->required();
  build->add_flag("--busybox", f->busybox, "a minimal base from Debian's busybox-static")
      ->required();
  run(build, [&flags, f] {
    return CallAndPrint(flags, f->socket,
                        {{"op", "image.build"}, {"name", f->image}, {"busybox", f->busybox}},
                        [f](const json& r) {
                          return "built image " + f->image + " at " + r.value("path", "");
                        });
  });
}

}  // namespace berth::cmd
