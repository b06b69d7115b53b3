#include "cluster/control_service.h"

#include "cluster/project_json.h"

namespace berth::cluster {

namespace {

using nlohmann::json;

// Reads a field a request must have, of the right type.
template <typename T>
Result<T> Field(const json& request, const char* name) {
  if (!request.contains(name)) return InvalidArgumentError(std::string("missing field \"") + name + "\"");
  try {
    return request.at(name).get<T>();
  } catch (const json::exception&) {
    return InvalidArgumentError(std::string("field \"") + name + "\" has the wrong type");
  }
}

template <typename T>
Result<std::optional<T>> OptionalField(const json& request, const char* name) {
  if (!request.contains(name) || request.at(name).is_null()) return std::optional<T>();
  ASSIGN_OR_RETURN(T value, Field<T>(request, name));
  return std::optional<T>(value);
}

json ImportToJson(const ImportReport& r) {
  return {{"files", r.files},       {"directories", r.directories}, {"symlinks", r.symlinks},
          {"hard_links", r.hard_links}, {"bytes", r.bytes}};
}

Result<json> Dispatch(Node* node, const json& request, const ProgressFn& progress) {
  ASSIGN_OR_RETURN(std::string op, Field<std::string>(request, "op"));
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

ControlHandler MakeNodeHandler(Node* node) {
  return [node](const json& request, ControlCall& call) {
    return Dispatch(node, request, call.progress);
  };
}

}  // namespace berth::cluster
