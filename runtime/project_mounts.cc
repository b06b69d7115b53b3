#include "runtime/project_mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "runtime/internal/mount_table.h"

namespace berth::runtime {

namespace {

constexpr int kMaxStackedMounts = 16;

// Detaches every mount stacked at `path` (canonical). OK when there is none.
Status DetachAll(const std::string& path) {
  for (int i = 0; i < kMaxStackedMounts; ++i) {
    ASSIGN_OR_RETURN(bool mounted, internal::IsMountPoint(path));
    if (!mounted) return Status::Ok();
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return PosixError("umount " + path, errno);
    }
  }
  return FailedPreconditionError("more than " + std::to_string(kMaxStackedMounts) +
                                 " mounts stacked at " + path);
}

}  // namespace

Status PrepareProjectParent(const std::string& dir) {
  RETURN_IF_ERROR(MakeDirs(dir, 0755));
  ASSIGN_OR_RETURN(std::string p, internal::CanonicalPath(dir));
  ASSIGN_OR_RETURN(bool mounted, internal::IsMountPoint(p));
  if (!mounted) {
    // MS_REC keeps a project already mounted at P/user visible through the new bind.
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      return PosixError("bind " + p + " onto itself", errno);
    }
  }
  if (::mount(nullptr, p.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
    return PosixError("make " + p + " a shared mount", errno);
  }
  // P/user is made after the bind: a mount already at P/user must not be statted (it may be a
  // dead FUSE mount), and mkdir on an existing mount point is harmless (EEXIST).
  ASSIGN_OR_RETURN(bool user_mounted, internal::IsMountPoint(p + "/user"));
  if (!user_mounted && ::mkdir((p + "/user").c_str(), 0755) != 0 && errno != EEXIST) {
    return PosixError("mkdir " + p + "/user", errno);
  }
  return Status::Ok();
}

Status BindProject(const std::string& mountpoint, const std::string& parent_dir) {
  ASSIGN_OR_RETURN(std::string p, internal::CanonicalPath(parent_dir));
  ASSIGN_OR_RETURN(bool shared_parent, internal::IsMountPoint(p));
  if (!shared_parent) {
    return FailedPreconditionError(p + " is not a mount point: PrepareProjectParent it first");
  }
  const std::string target = p + "/user";
  RETURN_IF_ERROR(DetachAll(target));
  if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) {
    return PosixError("mkdir " + target, errno);
  }
  if (::mount(mountpoint.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return PosixError("bind " + mountpoint + " at " + target, errno);
  }
  return Status::Ok();
}

Status UnbindProject(const std::string& parent_dir) {
  Result<std::string> p = internal::CanonicalPath(parent_dir);
  if (!p.ok()) {
    if (p.status().posix_errno() == ENOENT) return Status::Ok();
    return p.status();
  }
  return DetachAll(*p + "/user");
}

Status ReleaseProjectParent(const std::string& dir) {
  Result<std::string> p = internal::CanonicalPath(dir);
  if (!p.ok()) {
    if (p.status().posix_errno() == ENOENT) return Status::Ok();
    return p.status();
  }
  RETURN_IF_ERROR(DetachAll(*p + "/user"));
  RETURN_IF_ERROR(DetachAll(*p));
  for (const std::string& d : {*p + "/user", *p}) {
    if (::rmdir(d.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
      return PosixError("rmdir " + d, errno);
    }
  }
  return Status::Ok();
}

}  // namespace berth::runtime
