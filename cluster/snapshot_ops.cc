#include "cluster/snapshot_ops.h"

#include "cluster/internal/request_fields.h"

namespace berth::cluster {

namespace {

using internal::Field;
using internal::OptionalField;
using nlohmann::json;

json EntryToJson(const snapshot::TreeEntry& e) {
  json out = {{"name", e.name},
              {"type", snapshot::EntryTypeName(e.type)},
              {"mode", e.mode()},
              {"uid", e.uid},
              {"gid", e.gid},
              {"mtime_ns", e.mtime_ns},
              {"size", e.is_dir() ? e.subtree_totals.bytes : e.size}};
  if (e.type == snapshot::EntryType::kSymlink) out["target"] = e.target;
  if (e.is_dir()) out["files"] = e.subtree_totals.files;
  return out;
}

json StatsToJson(const RestoreReport& r) {
  return {{"files", r.stats.files},     {"directories", r.stats.directories},
          {"links", r.stats.links},     {"others", r.stats.others},
          {"bytes", r.stats.bytes},     {"skipped", r.stats.skipped},
          {"where", r.where}};
}

}  // namespace

json SnapshotRecordToJson(const snapshot::SnapshotRecord& r) {
  return {{"id", r.id.ToString()},
          {"label", r.label},
          {"kind", snapshot::SnapshotKindName(r.kind)},
          {"host", r.host},
          {"root", r.root.ToHex()},
          {"parent", r.parent.valid() ? json(r.parent.ToString()) : json()},
          {"files", r.files},
          {"directories", r.directories},
          {"bytes", r.bytes},
          {"new_bytes", r.new_bytes},
          {"created_ns", r.created_ns}};
}

Result<json> DispatchSnapshotOp(SnapshotService* snapshots, const std::string& op,
                                const json& request, ControlCall& call) {
  if (op == "gc") {
    ASSIGN_OR_RETURN(GcReport report, snapshots->Gc());
    return json{{"marked", report.marked},
                {"examined", report.swept.examined},
                {"erased", report.swept.erased},
                {"erased_bytes", report.swept.erased_bytes}};
  }
  if (op == "fsck") {
    ASSIGN_OR_RETURN(auto deep, OptionalField<bool>(request, "deep"));
    ASSIGN_OR_RETURN(FsckReport report, snapshots->Fsck(deep.value_or(false)));
    if (!report.errors.empty()) {
      std::string message = std::to_string(report.errors.size()) + " problem(s):";
      for (size_t i = 0; i < report.errors.size() && i < 50; ++i) message += "\n  " + report.errors[i];
      return DataLossError(message);
    }
    return json{{"projects", report.projects},
                {"snapshots", report.snapshots},
                {"objects", report.objects}};
  }
  if (op == "snapshot.create" || op == "snapshot.list" || op == "snapshot.versions") {
    ASSIGN_OR_RETURN(std::string project, Field<std::string>(request, "project"));
    if (op == "snapshot.create") {
      ASSIGN_OR_RETURN(auto label, OptionalField<std::string>(request, "label"));
      ASSIGN_OR_RETURN(snapshot::WriteResult written,
                       snapshots->Take(project, label.value_or(""),
                                       snapshot::SnapshotKind::kManual, /*force=*/true));
      json out = SnapshotRecordToJson(*written.record);
      out["elapsed_us"] = written.elapsed_us;
      out["objects_written"] = written.objects_written;
      return out;
    }
    if (op == "snapshot.list") {
      ASSIGN_OR_RETURN(auto records, snapshots->List(project));
      json out = json::array();
      for (const auto& r : records) out.push_back(SnapshotRecordToJson(r));
      return out;
    }
    ASSIGN_OR_RETURN(std::string path, Field<std::string>(request, "path"));
    ASSIGN_OR_RETURN(auto versions, snapshots->Versions(project, path));
    json out = json::array();
    for (const auto& v : versions) {
      out.push_back({{"snapshot", v.first.ToString()},
                     {"last", v.last.ToString()},
                     {"snapshots", v.snapshots},
                     {"size", v.entry.size},
                     {"mtime_ns", v.entry.mtime_ns}});
    }
    return out;
  }
  if (op == "snapshot.diff") {
    ASSIGN_OR_RETURN(std::string a, Field<std::string>(request, "a"));
    ASSIGN_OR_RETURN(std::string b, Field<std::string>(request, "b"));
    ASSIGN_OR_RETURN(ResolvedRef before, snapshots->Resolve(a));
    ASSIGN_OR_RETURN(ResolvedRef after, snapshots->Resolve(b));
    ASSIGN_OR_RETURN(snapshot::DiffResult diff, snapshots->Diff(before, after));
    json out = {{"added", json::array()}, {"removed", json::array()}, {"modified", json::array()}};
    for (const auto& change : diff.changes) {
      out[snapshot::ChangeKindName(change.kind)].push_back(change.path);
    }
    out["trees_read"] = diff.trees_read;
    return out;
  }
  ASSIGN_OR_RETURN(std::string text, Field<std::string>(request, "ref"));
  ASSIGN_OR_RETURN(ResolvedRef ref, snapshots->Resolve(text));
  if (op == "snapshot.ls") {
    ASSIGN_OR_RETURN(snapshot::TreeEntry self, snapshots->Stat(ref));
    ASSIGN_OR_RETURN(auto entries, snapshots->List(ref));
    // `self`: the listed path's own attributes (for the root, those its tree object recorded).
    json out = {{"snapshot", ref.snapshot.id.ToString()}, {"path", "/" + ref.path_text},
                {"self", EntryToJson(self)}, {"entries", json::array()}};
    for (const auto& e : entries) out["entries"].push_back(EntryToJson(e));
    return out;
  }
  if (op == "snapshot.cat") {
    if (call.fds.size() != 1) return InvalidArgumentError("cat needs the caller's stdout passed along");
    RETURN_IF_ERROR(snapshots->Cat(ref, call.fds[0].get()));
    return json{{"snapshot", ref.snapshot.id.ToString()}};
  }
  if (op == "snapshot.restore" || op == "snapshot.export") {
    ASSIGN_OR_RETURN(auto to, OptionalField<std::string>(request, "to"));
    if (op == "snapshot.export" && to.value_or("").empty()) {
      return InvalidArgumentError("export needs a target directory");
    }
    if (to && !to->empty() && to->front() != '/') {
      return InvalidArgumentError("the target directory must be an absolute path");
    }
    ASSIGN_OR_RETURN(RestoreReport report, snapshots->Restore(ref, to.value_or("")));
    return StatsToJson(report);
  }
  return InvalidArgumentError("unknown op \"" + op + "\"");
}

}  // namespace berth::cluster
