#include "runtime/internal/container_dir.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/file.h"
#include "runtime/internal/mount_table.h"

namespace berth::runtime::internal {

namespace {

Status MakeOwnedDir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  if (::mkdir(path.c_str(), mode) != 0) return PosixError("mkdir " + path, errno);
  if (::chmod(path.c_str(), mode) != 0) return PosixError("chmod " + path, errno);
  if (::lchown(path.c_str(), uid, gid) != 0) return PosixError("chown " + path, errno);
  return Status::Ok();
}

}  // namespace

ContainerPaths ContainerPaths::For(const std::string& lxc_path, const std::string& name) {
  ContainerPaths p;
  p.dir = lxc_path + "/" + name;
  p.config = p.dir + "/config";
  p.spec = p.dir + "/berth.spec";
  p.rootfs = p.dir + "/rootfs";
  p.delta = p.dir + "/delta";
  p.work = p.dir + "/work";
  p.log = p.dir + "/lxc.log";
  p.seccomp = p.dir + "/seccomp";
  return p;
}

Status SetUpContainerDir(const ContainerPaths& paths, const std::string& image_rootfs,
                         const std::string& project_id, const IdMap& id_map) {
  struct stat image_root;
  if (::stat(image_rootfs.c_str(), &image_root) != 0) {
    return PosixError("stat " + image_rootfs, errno);
  }
  if (image_root.st_uid != id_map.ToHost(0)) {
    return FailedPreconditionError(
        "image rootfs " + image_rootfs + " belongs to uid " + std::to_string(image_root.st_uid) +
        ", not to the containers' root (host uid " + std::to_string(id_map.ToHost(0)) +
        "): was it built for another id map?");
  }
  RETURN_IF_ERROR(MakeOwnedDir(paths.dir, 0755, 0, 0));
  RETURN_IF_ERROR(MakeOwnedDir(paths.rootfs, 0755, 0, 0));
  RETURN_IF_ERROR(MakeOwnedDir(paths.work, 0700, 0, 0));
  RETURN_IF_ERROR(
      MakeOwnedDir(paths.delta, image_root.st_mode & 07777, image_root.st_uid, image_root.st_gid));
  if (!project_id.empty()) {
    // /projects/<id> -> /home/user. The delta's /projects merges with the image's (no opaque
    // xattr), so it must carry the same owner and mode.
    struct stat projects;
    mode_t mode = 0755;
    if (::stat((image_rootfs + "/projects").c_str(), &projects) == 0)
      mode = projects.st_mode & 07777;
    const uid_t root = id_map.ToHost(0);
    RETURN_IF_ERROR(MakeOwnedDir(paths.delta + "/projects", mode, root, root));
    const std::string link = paths.delta + "/projects/" + project_id;
    if (::symlink("/home/user", link.c_str()) != 0) return PosixError("symlink " + link, errno);
    if (::lchown(link.c_str(), root, root) != 0) return PosixError("chown " + link, errno);
  }
  const std::string options =
      "lowerdir=" + image_rootfs + ",upperdir=" + paths.delta + ",workdir=" + paths.work;
  if (::mount("overlay", paths.rootfs.c_str(), "overlay", MS_NODEV, options.c_str()) != 0) {
    return PosixError("mount overlay at " + paths.rootfs + " (" + options + ")", errno);
  }
  return Status::Ok();
}

Status TearDownContainerDir(const ContainerPaths& paths) {
  if (!PathExists(paths.dir)) return Status::Ok();
  ASSIGN_OR_RETURN(std::string dir, CanonicalPath(paths.dir));
  ASSIGN_OR_RETURN(std::vector<std::string> mounts, MountsUnder(dir));
  for (const std::string& m : mounts) {
    if (::umount2(m.c_str(), 0) != 0 && errno != EINVAL && errno != ENOENT) {
      // Busy: something still has it open (the container's last processes are going away).
      // A lazy detach takes it out of the tree now; the kernel frees it when they are gone.
      if (::umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        return PosixError("umount " + m, errno);
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> left, MountsUnder(dir));
  if (!left.empty()) {
    return FailedPreconditionError("cannot remove " + dir + ": " + left.front() +
                                   " is still mounted");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return Status(StatusCode::kInternal, "remove " + dir + ": " + ec.message(), ec.value());
  }
  return Status::Ok();
}

}  // namespace berth::runtime::internal
