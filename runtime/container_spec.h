#ifndef BERTH_RUNTIME_CONTAINER_SPEC_H_
#define BERTH_RUNTIME_CONTAINER_SPEC_H_

#include <csignal>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/network.h"
#include "runtime/resource_limits.h"

namespace berth::runtime {

// What to start. The runtime keeps a copy next to the container (berth.spec), so a restarted
// daemon knows which project each surviving container belongs to.
struct ContainerSpec {
  // The container's name: "berth-<project id>" by convention. 1..64 of [A-Za-z0-9_.-].
  std::string name;
  // The project's id, for the /projects/<id> symlink to /home/user inside the container. Empty:
  // no symlink. Same character set as `name`.
  std::string project_id;
  // The base image (a directory under RuntimeOptions::images_dir).
  std::string image;
  // The per-project parent directory P (see project_mounts.h), bound at /home with rbind,rslave.
  // Required; must exist and be a mount point (PrepareProjectParent). No whitespace, ',' or ':'.
  std::string project_parent_dir;
  // Limits applied before init runs.
  ResourceLimits limits;
  // The container's network. Default (bridge empty): none, a network namespace with loopback
  // only. Otherwise a veth pair: eth0 inside with `address` and a default route via `gateway`, its
  // host end on `bridge` (created with the gateway's address if missing; network.h).
  struct Network {
    std::string bridge;   // host bridge, e.g. "berth0"
    std::string address;  // the container's address and prefix, e.g. "100.80.0.2/16"
    std::string gateway;  // the bridge's address, inside address's subnet, e.g. "100.80.0.1"
    bool enabled() const { return !bridge.empty(); }
    bool operator==(const Network&) const = default;
  };
  Network network;
  // The container's init and its arguments. Default: busybox init (also sysvinit's path).
  std::vector<std::string> init_argv = {"/sbin/init"};
  // What Stop sends init first. SIGPWR halts busybox init and sysvinit; a systemd image wants
  // SIGRTMIN+3. Default: SIGPWR.
  int halt_signal = SIGPWR;
  // The container's hostname. Default (empty): the container's name.
  std::string hostname;

  // InvalidArgument naming the bad field (limits are checked separately, against the host).
  Status Validate() const;
};

// The berth.spec text format: a version line, then one "key=value" per line (init= repeats).
std::string EncodeContainerSpec(const ContainerSpec& spec);
// InvalidArgument/DataLoss for text that is not a spec of a known version. Unknown keys are
// skipped so a newer daemon's file still reads.
Result<ContainerSpec> DecodeContainerSpec(std::string_view text);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_CONTAINER_SPEC_H_
