#ifndef BERTH_RUNTIME_INTERNAL_CGROUP_DIRS_H_
#define BERTH_RUNTIME_INTERNAL_CGROUP_DIRS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace berth::runtime::internal {

// The cgroup directories (one per mounted hierarchy, v1 and v2) process `pid` belongs to, as
// absolute host paths. Empty when the process is gone.
std::vector<std::string> ProcessCgroupDirs(pid_t pid);

// liblxc names a container's cgroups lxc.payload.<name> and its monitor's lxc.monitor.<name>
// (lxc.monitor.<name>-<n> when a stale one is in the way), under init's cgroup in every
// hierarchy. A start that fails, or a monitor that is killed, can leave them behind; this
// removes the ones that hold no process (children first). A cgroup with processes is left alone
// and reported as FailedPrecondition.
Status RemoveContainerCgroups(const std::string& name);

// The directories RemoveContainerCgroups would look at: what exists now for `name`.
std::vector<std::string> FindContainerCgroups(const std::string& name);

}  // namespace berth::runtime::internal

#endif  // BERTH_RUNTIME_INTERNAL_CGROUP_DIRS_H_
