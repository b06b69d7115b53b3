#include "runtime/internal/cgroup_dirs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "base/file.h"
#include "runtime/internal/mount_table.h"

namespace berth::runtime::internal {

namespace {

namespace fs = std::filesystem;

struct Hierarchy {
  std::string mount_point;
  std::string mount_root;
  std::vector<std::string> controllers;  // v1: "memory", "name=systemd"; empty for v2
  bool v2 = false;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::vector<Hierarchy> Hierarchies() {
  std::vector<Hierarchy> out;
  Result<std::vector<MountEntry>> mounts = ReadMountTable();
  if (!mounts.ok()) return out;
  for (const MountEntry& m : *mounts) {
    if (m.fs_type == "cgroup2") {
      out.push_back({m.mount_point, m.root, {}, true});
    } else if (m.fs_type == "cgroup") {
      out.push_back({m.mount_point, m.root, SplitComma(m.super_options), false});
    }
  }
  return out;
}

// The hierarchy a /proc/<pid>/cgroup line's controller field names.
const Hierarchy* Find(const std::vector<Hierarchy>& hs, const std::string& controllers) {
  for (const Hierarchy& h : hs) {
    if (controllers.empty()) {
      if (h.v2) return &h;
      continue;
    }
    if (h.v2) continue;
    bool all = true;
    for (const std::string& c : SplitComma(controllers)) {
      if (std::find(h.controllers.begin(), h.controllers.end(), c) == h.controllers.end()) {
        all = false;
      }
    }
    if (all) return &h;
  }
  return nullptr;
}

// (hierarchy, path) of each line of /proc/<pid>/cgroup, as host directories.
std::vector<std::string> DirsOf(const std::string& proc_cgroup, const std::vector<Hierarchy>& hs) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < proc_cgroup.size()) {
    size_t end = proc_cgroup.find('\n', pos);
    if (end == std::string::npos) end = proc_cgroup.size();
    std::string line = proc_cgroup.substr(pos, end - pos);
    pos = end + 1;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    const Hierarchy* h = Find(hs, line.substr(c1 + 1, c2 - c1 - 1));
    if (h == nullptr) continue;
    std::string path = line.substr(c2 + 1);
    if (h->mount_root != "/" && path.compare(0, h->mount_root.size(), h->mount_root) == 0) {
      path = path.substr(h->mount_root.size());
    }
    if (path == "/") path.clear();
    out.push_back(h->mount_point + path);
  }
  return out;
}

bool IsContainerCgroup(const std::string& entry, const std::string& name) {
  if (entry == "lxc.payload." + name) return true;
  const std::string monitor = "lxc.monitor." + name;
  if (entry == monitor) return true;
  if (entry.size() > monitor.size() + 1 && entry.compare(0, monitor.size(), monitor) == 0 &&
      entry[monitor.size()] == '-') {
    return std::all_of(entry.begin() + monitor.size() + 1, entry.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  }
  return false;
}

// rmdir of a cgroup tree, children first. Cgroup directories hold only kernel files, which
// rmdir ignores; only sub-cgroups and member processes keep one alive.
Status RemoveCgroupTree(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) RETURN_IF_ERROR(RemoveCgroupTree(it->path()));
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    if (errno == EBUSY) {
      return FailedPreconditionError("cgroup " + dir.string() + " still has processes");
    }
    return PosixError("rmdir " + dir.string(), errno);
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> ProcessCgroupDirs(pid_t pid) {
  Result<std::string> text = ReadFileToString("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text.ok()) return {};
  return DirsOf(*text, Hierarchies());
}

std::vector<std::string> FindContainerCgroups(const std::string& name) {
  std::vector<Hierarchy> hs = Hierarchies();
  std::vector<std::string> bases;
  Result<std::string> init = ReadFileToString("/proc/1/cgroup");
  if (init.ok()) bases = DirsOf(*init, hs);
  for (const Hierarchy& h : hs) bases.push_back(h.mount_point);
  std::sort(bases.begin(), bases.end());
  bases.erase(std::unique(bases.begin(), bases.end()), bases.end());
  std::vector<std::string> out;
  for (const std::string& base : bases) {
    std::error_code ec;
    for (fs::directory_iterator it(base, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (IsContainerCgroup(it->path().filename().string(), name)) {
        out.push_back(it->path().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status RemoveContainerCgroups(const std::string& name) {
  Status first;
  for (const std::string& dir : FindContainerCgroups(name)) {
    Status s = RemoveCgroupTree(dir);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace berth::runtime::internal
