#include "cluster/control_service.h"

#include "cluster/container_ops.h"
#include "cluster/internal/request_fields.h"
#include "cluster/project_json.h"
#include "cluster/snapshot_ops.h"

namespace berth::cluster {

namespace {

using nlohmann::json;

using internal::Field;
using internal::OptionalField;

json ImportToJson(const ImportReport& r) {
  return {{"files", r.files},       {"directories", r.directories}, {"symlinks", r.symlinks},
          {"hard_links", r.hard_links}, {"bytes", r.bytes}};
}

Result<json> Dispatch(const NodeServices& services, const json& request, ControlCall& call) {
  Node* const node = services.node;
  const ProgressFn& progress = call.progress;
  ASSIGN_OR_RETURN(std::string op, Field<std::string>(request, "op"));
  if (op.starts_with("container.") || op.starts_with("image.")) {
    if (services.containers == nullptr) return FailedPreconditionError("this node runs no containers");
    return DispatchContainerOp(services.containers, op, request, call);
  }
  if (op.starts_with("snapshot.") || op == "gc" || op == "fsck") {
    if (services.snapshots == nullptr) return FailedPreconditionError("this node keeps no snapshots");
    return DispatchSnapshotOp(services.snapshots, op, request, call);
  }
  if (op == "ping") return json{{"pong", true}};
  if (op == "project.create") {
    ASSIGN_OR_RETURN(std::string name, Field<std::string>(request, "name"));
    ASSIGN_OR_RETURN(auto bytes, OptionalField<uint64_t>(request, "quota_bytes"));
    ASSIGN_OR_RETURN(auto inodes, OptionalField<uint64_t>(request, "quota_inodes"));
    ASSIGN_OR_RETURN(ProjectRecord record,
                     node->CreateProject(name, bytes.value_or(0), inodes.value_or(0)));
    return ProjectToJson(record);
  }
  if (op == "project.list") {
    ASSIGN_OR_RETURN(auto projects, node->ListProjects());
    json out = json::array();
    for (const auto& p : projects) out.push_back(ProjectStatusToJson(p));
    return out;
  }
  ASSIGN_OR_RETURN(std::string project, Field<std::string>(request, "project"));
  if (op == "project.get") {
    ASSIGN_OR_RETURN(ProjectStatus status, node->GetProject(project));
    return ProjectStatusToJson(status);
  }
  if (op == "project.set") {
    ProjectChange change;
    ASSIGN_OR_RETURN(change.name, OptionalField<std::string>(request, "name"));
    ASSIGN_OR_RETURN(change.quota_bytes, OptionalField<uint64_t>(request, "quota_bytes"));
    ASSIGN_OR_RETURN(change.quota_inodes, OptionalField<uint64_t>(request, "quota_inodes"));
    ASSIGN_OR_RETURN(change.read_bytes_per_second,
                     OptionalField<uint64_t>(request, "read_bytes_per_second"));
    ASSIGN_OR_RETURN(change.write_bytes_per_second,
                     OptionalField<uint64_t>(request, "write_bytes_per_second"));
    ASSIGN_OR_RETURN(change.iops, OptionalField<uint64_t>(request, "iops"));
    ASSIGN_OR_RETURN(ProjectRecord record, node->SetProject(project, change));
    return ProjectToJson(record);
  }
  if (op == "project.delete") {
    RETURN_IF_ERROR(node->DeleteProject(project));
    return json{{"deleted", project}};
  }
  if (op == "mount") {
    ASSIGN_OR_RETURN(ProjectStatus status, node->Mount(project));
    return ProjectStatusToJson(status);
  }
  if (op == "umount") {
    if (services.containers != nullptr) {
      ASSIGN_OR_RETURN(ProjectStatus status, node->GetProject(project));
      if (services.containers->IsRunning(status.record.id)) {
        return FailedPreconditionError("the container of " + status.record.name +
                                       " is running; stop it first (berth stop " +
                                       status.record.name + ")");
      }
    }
    RETURN_IF_ERROR(node->Unmount(project));
    return json{{"unmounted", project}};
  }
  if (op == "import") {
    ASSIGN_OR_RETURN(std::string source, Field<std::string>(request, "source"));
    ASSIGN_OR_RETURN(ImportReport report,
                     node->Import(project, source, [&](const ImportReport& r) {
                       progress(ImportToJson(r));
                     }));
    return ImportToJson(report);
  }
  return InvalidArgumentError("unknown op \"" + op + "\"");
}

}  // namespace

json ProjectStatusToJson(const ProjectStatus& s) {
  json out = ProjectToJson(s.record);
  out["usage"] = {{"bytes", s.usage.bytes}, {"inodes", s.usage.inodes}};
  out["mounted"] = s.mounted;
  out["mountpoint"] = s.mountpoint;
  return out;
}

ControlHandler MakeNodeHandler(const NodeServices& services) {
  return [services](const json& request, ControlCall& call) {
    return Dispatch(services, request, call);
  };
}

}  // namespace berth::cluster
