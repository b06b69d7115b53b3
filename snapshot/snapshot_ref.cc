#include "snapshot/snapshot_ref.h"

#include <cctype>

#include "snapshot/snapshot_reader.h"

namespace berth::snapshot {

namespace {

bool Digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return false;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The length of the longest prefix of `s` of the form YYYY-MM-DD[THH:MM[:SS[.fff]]][Z], or 0.
size_t TimePrefixLength(std::string_view s) {
  if (!(Digits(s, 0, 4) && s.size() >= 10 && s[4] == '-' && Digits(s, 5, 2) && s[7] == '-' &&
        Digits(s, 8, 2))) {
    return 0;
  }
  size_t n = 10;
  if (n < s.size() && s[n] == 'T' && Digits(s, n + 1, 2)) {
    n += 3;
    if (n < s.size() && s[n] == ':' && Digits(s, n + 1, 2)) {
      n += 3;
      if (n < s.size() && s[n] == ':' && Digits(s, n + 1, 2)) {
        n += 3;
        if (n < s.size() && s[n] == '.' && Digits(s, n + 1, 1)) {
          ++n;
          while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
        }
      }
    }
  }
  if (n < s.size() && s[n] == 'Z') ++n;
  return n;
}

}  // namespace

std::string JoinProjectPath(const std::vector<std::string>& components) {
  if (components.empty()) return "/";
  std::string out;
  for (const std::string& c : components) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

Result<SnapshotRef> ParseSnapshotRef(std::string_view text) {
  const size_t at = text.find('@');
  if (at == std::string_view::npos) {
    return InvalidArgumentError("'" + std::string(text) +
                                "' names no snapshot: write PROJECT@SNAPSHOT[:PATH], e.g. "
                                "demo@latest:notes.tex");
  }
  SnapshotRef ref;
  ref.project = std::string(text.substr(0, at));
  if (ref.project.empty()) return InvalidArgumentError("no project before '@' in '" + std::string(text) + "'");
  std::string_view rest = text.substr(at + 1);
  size_t name_end = TimePrefixLength(rest);
  if (name_end == 0 || (name_end < rest.size() && rest[name_end] != ':')) {
    name_end = rest.find(':');
    if (name_end == std::string_view::npos) name_end = rest.size();
  }
  ref.snapshot = std::string(rest.substr(0, name_end));
  if (ref.snapshot.empty()) {
    return InvalidArgumentError("no snapshot after '@' in '" + std::string(text) +
                                "' (try @latest)");
  }
  if (name_end < rest.size()) {
    ASSIGN_OR_RETURN(ref.path, SplitSnapshotPath(rest.substr(name_end + 1)));
  }
  return ref;
}

}  // namespace berth::snapshot
