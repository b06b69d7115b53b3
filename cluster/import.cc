// Node::Import: a native tree copied into a project (the pipeline is cluster/tree_import.cc).
#include "cluster/node.h"

namespace berth::cluster {

Result<ImportReport> Node::Import(const std::string& id_or_name, const std::string& source,
                                  const std::function<void(const ImportReport&)>& progress) {
  // The project lock keeps the project from being unmounted or deleted meanwhile. FUSE requests
  // do not take it, so invalidating the mount's caches from here cannot deadlock (FuseServer's
  // notify calls must not come from a thread a request waits for).
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord record, catalog_->GetProject(id_or_name));
  const bool was_open = open_.count(record.id) > 0;
  ASSIGN_OR_RETURN(OpenProject * project, OpenLocked(record));
  TreeImportOptions import_options;
  import_options.progress = progress;
  import_options.mounted = project->server.get();
  Result<ImportReport> report = ImportTree(*project->tree, data_dir_->chunks(), chunker_, source,
                                           fs::kRootIno, import_options);
  if (!was_open) open_.erase(record.id);
  return report;
}

}  // namespace berth::cluster
