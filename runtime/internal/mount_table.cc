#include "runtime/internal/mount_table.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>

#include "base/file.h"

namespace berth::runtime::internal {

namespace {

// Decodes the \ooo escapes the kernel uses for space, tab, newline and backslash.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos >= line.size()) break;
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return fields;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

}  // namespace

std::vector<MountEntry> ParseMountInfo(std::string_view text) {
  std::vector<MountEntry> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string_view> f = SplitFields(line);
    // id parent major:minor root mount_point options [optional...] - fs_type source super_options
    size_t sep = 0;
    for (size_t i = 6; i < f.size(); ++i) {
      if (f[i] == "-") {
        sep = i;
        break;
      }
    }
    if (sep == 0 || f.size() < sep + 3) continue;
    MountEntry e;
    e.id = std::atoi(std::string(f[0]).c_str());
    e.parent_id = std::atoi(std::string(f[1]).c_str());
    e.root = Unescape(f[3]);
    e.mount_point = Unescape(f[4]);
    e.options = std::string(f[5]);
    for (size_t i = 6; i < sep; ++i) {
      if (!e.optional.empty()) e.optional += ' ';
      e.optional += std::string(f[i]);
    }
    e.fs_type = std::string(f[sep + 1]);
    e.source = Unescape(f[sep + 2]);
    if (sep + 3 < f.size()) e.super_options = std::string(f[sep + 3]);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<MountEntry>> ReadMountTable() {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString("/proc/self/mountinfo"));
  return ParseMountInfo(text);
}

Result<bool> IsMountPoint(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<MountEntry> mounts, ReadMountTable());
  for (const MountEntry& m : mounts) {
    if (m.mount_point == path) return true;
  }
  return false;
}

Result<std::vector<std::string>> MountsUnder(const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<MountEntry> mounts, ReadMountTable());
  std::vector<std::string> out;
  // mountinfo lists mounts in the order they were made; unmounting in reverse order takes
  // children before their parents.
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    if (IsUnder(it->mount_point, dir)) out.push_back(it->mount_point);
  }
  return out;
}

Result<std::string> CanonicalPath(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return PosixError("realpath " + path, errno);
  std::string out(resolved);
  std::free(resolved);
  return out;
}

}  // namespace berth::runtime::internal
