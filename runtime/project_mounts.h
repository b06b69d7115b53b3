#ifndef BERTH_RUNTIME_PROJECT_MOUNTS_H_
#define BERTH_RUNTIME_PROJECT_MOUNTS_H_

#include <string>

#include "base/status.h"

namespace berth::runtime {

// Host-side mounts that put a project inside its container and keep it there across a daemon
// restart. The node owns one "project parent" directory P per project, e.g.
// <data_dir>/homes/<project id>:
//
//   P        a bind mount of itself, made shared; the container gets P at /home (rbind,rslave)
//   P/user   where the node binds the project's FUSE mount; the container's /home/user
//
// Because the container's copy of P is a slave of the host's shared P, a mount made at P/user on
// the host after the container started (the FUSE mount of a restarted daemon) propagates into
// the container, and an unmount there propagates too. A container sees only its own P: no other
// project, not the mount root, not the daemon's socket.
//
// These functions need CAP_SYS_ADMIN in the host's mount namespace (root). Paths are canonicalized
// first, so a symlinked data dir works. Thread-compatible: the node calls them for one project at
// a time.

// Creates P and P/user (0755) if missing, bind-mounts P onto itself unless it is already a mount
// point, and marks it shared. Idempotent.
Status PrepareProjectParent(const std::string& dir);

// Binds `mountpoint` (the project's FUSE mount) at parent_dir/user, replacing whatever is mounted
// there (a dead FUSE mount of a killed daemon is detached first). REQUIRES:
// PrepareProjectParent(parent_dir).
Status BindProject(const std::string& mountpoint, const std::string& parent_dir);

// Detaches whatever is mounted at parent_dir/user (lazily, MNT_DETACH: a process inside the
// container with a file open there keeps it until it closes it). OK when nothing is mounted or
// parent_dir does not exist.
Status UnbindProject(const std::string& parent_dir);

// Undoes PrepareProjectParent: UnbindProject, detaches the self-bind, and removes P/user and P
// when they are empty (a non-empty P is left in place; that is not an error). OK when P does not
// exist. Running containers keep their own copy of the mount until they stop.
Status ReleaseProjectParent(const std::string& dir);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_PROJECT_MOUNTS_H_
