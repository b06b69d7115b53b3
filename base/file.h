#ifndef BERTH_BASE_FILE_H_
#define BERTH_BASE_FILE_H_

#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"

namespace berth {

// Owns a file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  // Closes now and reports the error close(2) gives, if any.
  Status Close();

 private:
  int fd_ = -1;
};

Result<std::string> ReadFileToString(const std::string& path);
// Writes `data` to `path` through a temporary file, fsync and rename, so readers see the old
// content or the new, never a torn one. The file gets permission bits `mode`.
Status WriteFileAtomically(const std::string& path, ByteView data, int mode = 0644);
// mkdir -p with `mode` for the directories it creates.
Status MakeDirs(const std::string& path, int mode = 0755);
bool PathExists(const std::string& path);

}  // namespace berth

#endif  // BERTH_BASE_FILE_H_
