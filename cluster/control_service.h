#ifndef BERTH_CLUSTER_CONTROL_SERVICE_H_
#define BERTH_CLUSTER_CONTROL_SERVICE_H_

#include "cluster/control_server.h"
#include "cluster/node.h"

namespace berth::cluster {

// Answers control requests (doc/control_protocol.md) with `node`, which must outlive the handler.
ControlHandler MakeNodeHandler(Node* node);

nlohmann::json ProjectStatusToJson(const ProjectStatus& status);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_CONTROL_SERVICE_H_
