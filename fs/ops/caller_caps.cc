#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

constexpr int kCapSysAdmin = 21;  // linux/capability.h

// The user namespace of process `pid` (the device and inode of /proc/PID/ns/user); false if the
// process is gone.
bool UserNamespaceOf(const std::string& pid, struct stat* ns) {
  return stat(("/proc/" + pid + "/ns/user").c_str(), ns) == 0;
}

}  // namespace

bool CallerHasSysAdmin(fuse_req_t req) {
  const std::string pid = std::to_string(fuse_req_ctx(req)->pid);
  // The kernel asks capable(CAP_SYS_ADMIN): in the initial user namespace, which is the
  // daemon's. Root inside a container holds the capability only in its own namespace.
  struct stat theirs {}, ours {};
  if (!UserNamespaceOf(pid, &theirs) || !UserNamespaceOf("self", &ours)) return false;
  if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) return false;
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    unsigned long long effective = 0;
    if (std::sscanf(line.c_str(), "CapEff: %llx", &effective) == 1) {
      return (effective >> kCapSysAdmin) & 1;
    }
  }
  return false;  // gone meanwhile, or no such line: treat as unprivileged
}

}  // namespace berth::fs::ops
