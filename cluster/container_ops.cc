#include "cluster/container_ops.h"

#include "cluster/internal/request_fields.h"
#include "cluster/project_json.h"

namespace berth::cluster {

namespace {

using internal::Field;
using internal::OptionalField;
using nlohmann::json;

json LimitsToJson(const ContainerLimits& l) {
  return {{"memory_bytes", l.memory_bytes}, {"swap_bytes", l.swap_bytes},
          {"cpu_cores", l.cpu_cores},       {"cpu_weight", l.cpu_weight},
          {"pids", l.pids},                 {"blkio_weight", l.blkio_weight}};
}

json StatusToJson(const ContainerStatus& c) {
  return {{"name", c.record.name},
          {"id", c.record.id.ToString()},
          {"container", c.stats.spec.name},
          {"state", c.stats.running ? "running" : "dead"},
          {"memory_bytes", c.stats.memory_bytes},
          {"cpu_seconds", static_cast<double>(c.stats.cpu_nanos) / 1e9},
          {"pids", c.stats.pids},
          {"oom_kills", c.stats.oom_kills},
          {"execs", c.stats.active_execs},
          {"address", c.record.network_address},
          {"limits", LimitsToJson(c.record.limits)}};
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace

Result<json> DispatchContainerOp(ContainerService* containers, const std::string& op,
                                 const json& request, ControlCall& call) {
  if (op == "container.list") {
    ASSIGN_OR_RETURN(auto list, containers->List());
    json out = json::array();
    for (const auto& c : list) out.push_back(StatusToJson(c));
    return out;
  }
  if (op == "image.build") {
    ASSIGN_OR_RETURN(std::string name, Field<std::string>(request, "name"));
    ASSIGN_OR_RETURN(auto busybox, OptionalField<bool>(request, "busybox"));
    if (!busybox.value_or(false)) {
      return InvalidArgumentError("only busybox images are built by berth (--busybox); see "
                                  "doc/runtime.md for a Debian base made with debootstrap");
    }
    ASSIGN_OR_RETURN(std::string path, containers->BuildBusyboxImage(name));
    return json{{"name", name}, {"path", path}};
  }
  ASSIGN_OR_RETURN(std::string project, Field<std::string>(request, "project"));
  if (op == "container.start") {
    ASSIGN_OR_RETURN(auto network, OptionalField<bool>(request, "network"));
    ASSIGN_OR_RETURN(auto started, containers->Start(project, network));
    return json{{"container", started.container},
                {"address", started.address},
                {"warnings", started.warnings}};
  }
  if (op == "container.stop") {
    ASSIGN_OR_RETURN(auto timeout, OptionalField<double>(request, "timeout_s"));
    if (timeout && (*timeout < 0 || *timeout > 3600)) {
      return InvalidArgumentError("timeout_s must be between 0 and 3600");
    }
    RETURN_IF_ERROR(containers->Stop(project, Millis(timeout.value_or(10))));
    return json{{"stopped", project}};
  }
  if (op == "container.exec") {
    ASSIGN_OR_RETURN(auto argv, Field<std::vector<std::string>>(request, "argv"));
    if (call.fds.size() != 3) {
      return InvalidArgumentError("exec needs the caller's stdin, stdout and stderr passed along");
    }
    ASSIGN_OR_RETURN(int code, containers->Exec(project, argv,
                                                {call.fds[0].get(), call.fds[1].get(),
                                                 call.fds[2].get()}));
    return json{{"exit_code", code}};
  }
  if (op == "container.limits") {
    ContainerService::LimitsChange change;
    ASSIGN_OR_RETURN(change.memory_bytes, OptionalField<uint64_t>(request, "memory_bytes"));
    ASSIGN_OR_RETURN(change.swap_bytes, OptionalField<uint64_t>(request, "swap_bytes"));
    ASSIGN_OR_RETURN(change.cpu_cores, OptionalField<double>(request, "cpu_cores"));
    ASSIGN_OR_RETURN(change.cpu_weight, OptionalField<uint64_t>(request, "cpu_weight"));
    ASSIGN_OR_RETURN(change.pids, OptionalField<uint64_t>(request, "pids"));
    ASSIGN_OR_RETURN(change.blkio_weight, OptionalField<uint64_t>(request, "blkio_weight"));
    ASSIGN_OR_RETURN(auto outcome, containers->SetLimits(project, change));
    json out = LimitsToJson(outcome.limits);
    out["warnings"] = outcome.warnings;
    return out;
  }
  return InvalidArgumentError("unknown op \"" + op + "\"");
}

}  // namespace berth::cluster
