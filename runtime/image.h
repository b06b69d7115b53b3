#ifndef BERTH_RUNTIME_IMAGE_H_
#define BERTH_RUNTIME_IMAGE_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/id_map.h"

namespace berth::runtime {

// Base images. An image is a root filesystem at <images_dir>/<name>/rootfs, owned by the
// containers' mapped ids (container uid N = host uid id_map.host_base + N). Every container
// started from it gets it as the read-only lower layer of its overlay, so an image must not be
// changed while a container uses it. doc/runtime.md tells an operator how to build a Debian
// image with debootstrap.

struct BusyboxImageOptions {
  // A statically linked busybox (Debian's busybox-static package installs it here).
  // Default: /bin/busybox.
  std::string busybox_path = "/bin/busybox";
  // Ownership of the files: the containers' id map. Default: IdMap{}.
  IdMap id_map;
};

// Builds a minimal image from busybox: /bin/busybox and a symlink for every applet it lists,
// /sbin/init (busybox init with an empty /etc/inittab), /etc/passwd and /etc/group with root and
// `user` (uid/gid 1000, home /home/user), /tmp (1777), and the empty mount points /dev /proc
// /sys /home /projects /root /run /mnt /var/tmp. Built in a temporary directory under
// images_dir and renamed into place, so a crash leaves no half image under the name.
// AlreadyExists if the image exists (delete <images_dir>/<name> first, while no container uses
// it); FailedPrecondition if busybox_path is missing or not statically linked.
Status BuildBusyboxImage(const std::string& images_dir, const std::string& name,
                         const BusyboxImageOptions& options = {});

// <images_dir>/<name>/rootfs.
std::string ImageRootfs(const std::string& images_dir, const std::string& name);

// Names of the images in images_dir (directories with a rootfs), sorted. Empty if images_dir
// does not exist.
Result<std::vector<std::string>> ListImages(const std::string& images_dir);

// InvalidArgument unless `name` is 1..64 bytes of [A-Za-z0-9_.-] not starting with '.' or '-'.
// Used for image and container names, which become path components and liblxc names.
Status ValidateName(const std::string& what, const std::string& name);

// FailedPrecondition unless the ELF file at `path` is statically linked (has no PT_INTERP
// program header). Bounds-checked; InvalidArgument for a file that is not 64-bit ELF.
Status CheckStaticElf(const std::string& path);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_IMAGE_H_
