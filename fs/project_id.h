#ifndef BERTH_FS_PROJECT_ID_H_
#define BERTH_FS_PROJECT_ID_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace berth::fs {

// A project's identity: a random (version 4) UUID. Every key of a project's live tree starts
// with its 16 bytes, so one project can be listed, copied or dropped with a range.
class ProjectId {
 public:
  static constexpr size_t kSize = 16;
  ProjectId() { bytes_.fill(0); }
  static ProjectId Generate();
  // "0f8e…-…" (36 characters, lower or upper case).
  static Result<ProjectId> Parse(std::string_view text);
  static ProjectId FromBytes(ByteView bytes);  // REQUIRES: bytes.size() == kSize

  std::string ToString() const;  // canonical lower-case UUID form
  std::string_view key() const { return std::string_view(reinterpret_cast<const char*>(bytes_.data()), kSize); }

  friend bool operator==(const ProjectId& a, const ProjectId& b) { return a.bytes_ == b.bytes_; }
  friend auto operator<=>(const ProjectId& a, const ProjectId& b) { return a.bytes_ <=> b.bytes_; }

 private:
  std::array<uint8_t, kSize> bytes_;
};

}  // namespace berth::fs

#endif  // BERTH_FS_PROJECT_ID_H_
