#ifndef BERTH_CLUSTER_SNAPSHOT_OPS_H_
#define BERTH_CLUSTER_SNAPSHOT_OPS_H_

#include <nlohmann/json.hpp>

#include <string>

#include "cluster/control_server.h"
#include "cluster/snapshot_service.h"

namespace berth::cluster {

// Answers the `snapshot.*`, `gc` and `fsck` requests of doc/control_protocol.md.
Result<nlohmann::json> DispatchSnapshotOp(SnapshotService* snapshots, const std::string& op,
                                          const nlohmann::json& request, ControlCall& call);

nlohmann::json SnapshotRecordToJson(const snapshot::SnapshotRecord& r);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_SNAPSHOT_OPS_H_
