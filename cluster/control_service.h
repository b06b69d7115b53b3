#ifndef BERTH_CLUSTER_CONTROL_SERVICE_H_
#define BERTH_CLUSTER_CONTROL_SERVICE_H_

#include "cluster/control_server.h"
#include "cluster/node.h"

namespace berth::cluster {

class ContainerService;
class SnapshotService;

// What answers control requests; all borrowed, and must outlive the handler. A service left
// null answers its requests with FailedPrecondition.
struct NodeServices {
  NodeServices(Node* node, ContainerService* containers = nullptr,
               SnapshotService* snapshots = nullptr)
      : node(node), containers(containers), snapshots(snapshots) {}
  Node* node;
  ContainerService* containers;
  SnapshotService* snapshots;
};

// Answers control requests (doc/control_protocol.md).
ControlHandler MakeNodeHandler(const NodeServices& services);

nlohmann::json ProjectStatusToJson(const ProjectStatus& status);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_CONTROL_SERVICE_H_
