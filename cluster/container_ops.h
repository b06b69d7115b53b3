#ifndef BERTH_CLUSTER_CONTAINER_OPS_H_
#define BERTH_CLUSTER_CONTAINER_OPS_H_

#include <nlohmann/json.hpp>

#include <string>

#include "cluster/container_service.h"
#include "cluster/control_server.h"

namespace berth::cluster {

// Answers the `container.*` and `image.*` requests of doc/control_protocol.md.
Result<nlohmann::json> DispatchContainerOp(ContainerService* containers, const std::string& op,
                                           const nlohmann::json& request, ControlCall& call);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_CONTAINER_OPS_H_
