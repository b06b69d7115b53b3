#include "runtime/image.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"

namespace berth::runtime {

namespace {

namespace fs = std::filesystem;

// Removes a half-built image directory unless disarmed.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  ~RemoveOnExit() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  void Disarm() { path_.clear(); }

 private:
  std::string path_;
};

Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return PosixError("create " + path, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("write " + path, errno);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), mode) != 0) return PosixError("chmod " + path, errno);
  return fd.Close();
}

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return PosixError("mkdir " + path, errno);
  // mkdir's mode passes through the umask; the image's modes (1777 /tmp) must be exact.
  if (::chmod(path.c_str(), mode) != 0) return PosixError("chmod " + path, errno);
  return Status::Ok();
}

// An applet path from `busybox --list-full` ("usr/bin/awk"): relative, no "..", no empty parts.
bool SafeRelativePath(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.size() > 255) return false;
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t end = p.find('/', pos);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") return false;
    pos = end + 1;
  }
  return true;
}

Status CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  std::error_code ec;
  if (!fs::copy_file(from, to, fs::copy_options::none, ec)) {
    return Status(StatusCode::kInternal, "copy " + from + " to " + to + ": " + ec.message(),
                  ec.value());
  }
  if (::chmod(to.c_str(), mode) != 0) return PosixError("chmod " + to, errno);
  return Status::Ok();
}

// lchown of everything under `root`, including root: the image's files all belong to the
// container's root, which is host uid/gid `host_id`.
Status ChownTree(const std::string& root, uint32_t host_id) {
  if (::lchown(root.c_str(), host_id, host_id) != 0) return PosixError("chown " + root, errno);
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return Status(StatusCode::kInternal, "walk " + root + ": " + ec.message(), ec.value());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string p = it->path().string();
    if (::lchown(p.c_str(), host_id, host_id) != 0) return PosixError("chown " + p, errno);
  }
  if (ec) return Status(StatusCode::kInternal, "walk " + root + ": " + ec.message(), ec.value());
  return Status::Ok();
}

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "user:x:1000:1000:user:/home/user:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
constexpr std::string_view kGroup =
    "root:x:0:\n"
    "user:x:1000:\n"
    "nogroup:x:65534:\n";
// busybox init reads this; without the file it would spawn shells on ttys the container lacks.
constexpr std::string_view kInittab =
    "# berth busybox image: init only reaps orphans and halts on SIGPWR/SIGUSR2.\n"
    "::sysinit:/bin/true\n";
constexpr std::string_view kProfile =
    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
    "export PS1='\\u@\\h:\\w\\$ '\n";
constexpr std::string_view kHosts = "127.0.0.1 localhost\n::1 localhost\n";

}  // namespace

std::string ImageRootfs(const std::string& images_dir, const std::string& name) {
  return images_dir + "/" + name + "/rootfs";
}

Status ValidateName(const std::string& what, const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' && name[0] != '-';
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      ok = false;
    }
  }
  if (!ok) {
    return InvalidArgumentError(what + " name \"" + name.substr(0, 80) +
                                "\": use 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-'");
  }
  return Status::Ok();
}

Status CheckStaticElf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return PosixError("open " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return PosixError("stat " + path, errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  unsigned char eh[64];
  if (::pread(fd.get(), eh, sizeof(eh), 0) != static_cast<ssize_t>(sizeof(eh)) ||
      std::memcmp(eh,
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      eh[4] != 2 /*ELFCLASS64*/ || eh[5] != 1 /*little endian*/) {
    return InvalidArgumentError(path + " is not a 64-bit little-endian ELF executable");
  }
  auto u16 = [](const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); };
  auto u64 = [](const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  };
  const uint64_t phoff = u64(eh + 0x20);
  const uint16_t phentsize = u16(eh + 0x36);
  const uint16_t phnum = u16(eh + 0x38);
  if (phentsize < 4 || phoff > size || uint64_t{phentsize} * phnum > size - phoff) {
    return InvalidArgumentError(path + ": program headers lie outside the file");
  }
  for (uint16_t i = 0; i < phnum; ++i) {
    unsigned char type[4];
    if (::pread(fd.get(), type, 4, static_cast<off_t>(phoff + uint64_t{i} * phentsize)) != 4) {
      return InvalidArgumentError(path + ": short read of a program header");
    }
    const uint32_t p_type = type[0] | (type[1] << 8) | (type[2] << 16) | (uint32_t{type[3]} << 24);
    if (p_type == 3 /*PT_INTERP*/) {
      return FailedPreconditionError(path +
                                     " is dynamically linked; the image needs a static busybox "
                                     "(apt-get install busybox-static)");
    }
  }
  return Status::Ok();
}

Status BuildBusyboxImage(const std::string& images_dir, const std::string& name,
                         const BusyboxImageOptions& options) {
  RETURN_IF_ERROR(ValidateName("image", name));
  RETURN_IF_ERROR(options.id_map.Validate());
  const std::string final_dir = images_dir + "/" + name;
  if (PathExists(final_dir)) {
    return AlreadyExistsError("image " + name + " exists at " + final_dir +
                              " (delete it first, while no container uses it)");
  }
  if (!PathExists(options.busybox_path)) {
    return FailedPreconditionError("no busybox at " + options.busybox_path +
                                   " (apt-get install busybox-static)");
  }
  RETURN_IF_ERROR(CheckStaticElf(options.busybox_path));
  RETURN_IF_ERROR(MakeDirs(images_dir, 0755));

  std::string tmp = images_dir + "/.build-" + name + "-XXXXXX";
  if (::mkdtemp(tmp.data()) == nullptr) return PosixError("mkdtemp " + tmp, errno);
  RemoveOnExit cleanup(tmp);
  if (::chmod(tmp.c_str(), 0755) != 0) return PosixError("chmod " + tmp, errno);
  const std::string root = tmp + "/rootfs";
  RETURN_IF_ERROR(MakeDir(root, 0755));
  for (const char* d :
       {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin", "etc", "dev",
        "proc", "sys", "home", "projects", "run", "mnt", "var", "var/log"}) {
    RETURN_IF_ERROR(MakeDir(root + "/" + d, 0755));
  }
  RETURN_IF_ERROR(MakeDir(root + "/root", 0700));
  RETURN_IF_ERROR(MakeDir(root + "/tmp", 01777));
  RETURN_IF_ERROR(MakeDir(root + "/var/tmp", 01777));
  RETURN_IF_ERROR(CopyFile(options.busybox_path, root + "/bin/busybox", 0755));

  ASSIGN_OR_RETURN(ProcessResult listed, RunProcess({options.busybox_path, "--list-full"}));
  if (!listed.Succeeded()) {
    return FailedPreconditionError(options.busybox_path + " --list-full failed (" +
                                   listed.Describe() + ")");
  }
  const std::string& applets = listed.output;
  size_t pos = 0;
  int linked = 0;
  while (pos < applets.size()) {
    size_t end = applets.find('\n', pos);
    if (end == std::string::npos) end = applets.size();
    std::string rel = applets.substr(pos, end - pos);
    pos = end + 1;
    if (!SafeRelativePath(rel) || rel == "bin/busybox") continue;
    const std::string path = root + "/" + rel;
    const std::string parent = path.substr(0, path.rfind('/'));
    RETURN_IF_ERROR(MakeDirs(parent, 0755));
    if (::symlink("/bin/busybox", path.c_str()) != 0 && errno != EEXIST) {
      return PosixError("symlink " + path, errno);
    }
    ++linked;
  }
  if (linked == 0 || !PathExists(root + "/sbin/init") || !PathExists(root + "/bin/sh")) {
    return FailedPreconditionError(options.busybox_path +
                                   " --list-full did not list init and sh; is it busybox?");
  }

  RETURN_IF_ERROR(WriteNewFile(root + "/etc/passwd", kPasswd, 0644));
  RETURN_IF_ERROR(WriteNewFile(root + "/etc/group", kGroup, 0644));
  RETURN_IF_ERROR(WriteNewFile(root + "/etc/inittab", kInittab, 0644));
  RETURN_IF_ERROR(WriteNewFile(root + "/etc/profile", kProfile, 0644));
  RETURN_IF_ERROR(WriteNewFile(root + "/etc/hosts", kHosts, 0644));
  RETURN_IF_ERROR(WriteNewFile(root + "/etc/shells", "/bin/sh\n/bin/ash\n", 0644));
  RETURN_IF_ERROR(ChownTree(root, options.id_map.ToHost(0)));
  {
    // The rename below publishes the image; its files must be on disk first.
    UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid() || ::syncfs(dir.get()) != 0) return PosixError("syncfs " + root, errno);
  }

  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return AlreadyExistsError("image " + name + " was created meanwhile at " + final_dir);
    }
    return PosixError("rename " + tmp + " to " + final_dir, errno);
  }
  cleanup.Disarm();
  return Status::Ok();
}

Result<std::vector<std::string>> ListImages(const std::string& images_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(images_dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return Status(StatusCode::kInternal, "list " + images_dir + ": " + ec.message(), ec.value());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string n = it->path().filename().string();
    if (n.empty() || n[0] == '.') continue;
    if (fs::is_directory(it->path() / "rootfs", ec)) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::runtime
