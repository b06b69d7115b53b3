#ifndef BERTH_RUNTIME_INTERNAL_CONTAINER_DIR_H_
#define BERTH_RUNTIME_INTERNAL_CONTAINER_DIR_H_

#include <string>

#include "base/status.h"
#include "runtime/id_map.h"

namespace berth::runtime::internal {

// The files of one container under <lxc_path>/<name>/ (0755: liblxc, acting as the container's
// mapped root for part of the start, must be able to traverse it).
struct ContainerPaths {
  std::string dir;      // <lxc_path>/<name>
  std::string config;   // liblxc's config
  std::string spec;     // berth.spec: the ContainerSpec, for a restarted daemon
  std::string rootfs;   // the overlay's mount point: the container's /
  std::string delta;    // the overlay's upper layer: everything the container changed
  std::string work;     // the overlay's work directory
  std::string log;      // liblxc's log
  std::string seccomp;  // the seccomp policy

  static ContainerPaths For(const std::string& lxc_path, const std::string& name);
};

// Makes the container directory and mounts its root: an overlay of the image's rootfs (read-only
// lower layer) and a fresh, empty delta. The overlay is mounted here, on the host, by real root,
// and liblxc only binds it (lxc.rootfs.path = dir:...). liblxc's own overlay driver
// (lxc.rootfs.path = overlay:lower:upper) mounts it inside the container's user namespace, where
// the kernel refuses the trusted.overlay.* xattrs an overlay needs for an opaque directory, and
// liblxc 5.0 does not ask for userxattr: removing or renaming any directory that comes from the
// image then fails with EIO (rm -rf /var, mv /usr/local; checked on this machine's 6.18 kernel).
// The delta's root takes the image root's owner and mode, so the container's / belongs to its
// root. When project_id is not empty, /projects/<project_id> is made a symlink to /home/user in
// the delta before the mount.
// REQUIRES: the directory does not exist (TearDownContainerDir removes leftovers first).
Status SetUpContainerDir(const ContainerPaths& paths, const std::string& image_rootfs,
                         const std::string& project_id, const IdMap& id_map);

// Unmounts everything under the directory (deepest first) and removes it with the delta.
// OK when it does not exist. FailedPrecondition, leaving the files, if a mount under it cannot be
// removed: deleting through a live mount could reach files that are not the container's.
Status TearDownContainerDir(const ContainerPaths& paths);

}  // namespace berth::runtime::internal

#endif  // BERTH_RUNTIME_INTERNAL_CONTAINER_DIR_H_
