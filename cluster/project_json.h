#ifndef BERTH_CLUSTER_PROJECT_JSON_H_
#define BERTH_CLUSTER_PROJECT_JSON_H_

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cluster/catalog.h"

namespace berth::cluster {

// The JSON form of a project record: how catalogs store it and how the control socket and
// `--json` show it. Version field "v": 1.
nlohmann::json ProjectToJson(const ProjectRecord& project);
// InvalidArgument (or DataLoss for a stored record) when fields are missing or of the wrong type.
Result<ProjectRecord> ProjectFromJson(const nlohmann::json& json);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_PROJECT_JSON_H_
