#include "snapshot/snapshot_record.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "snapshot/internal/wire.h"

namespace berth::snapshot {

using internal::PutId;
using internal::PutRaw;
using internal::PutU16;
using internal::PutU8;
using internal::WireReader;

namespace {

// version, project, id, root, parent, kind, files, directories, bytes, new bytes, created, host
// length, label length.
constexpr size_t kFixedSize = 1 + 16 + 8 + 32 + 8 + 1 + 8 * 4 + 8 + 2 + 2;

bool KnownKind(uint8_t kind) { return kind >= 1 && kind <= 3; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status CheckFields(const SnapshotRecord& r) {
  if (!r.id.valid()) return InvalidArgumentError("snapshot id out of range");
  if (r.parent.millis() != 0 && (!r.parent.valid() || r.parent >= r.id)) {
    return InvalidArgumentError("parent snapshot not before the snapshot");
  }
  if (!KnownKind(static_cast<uint8_t>(r.kind))) return InvalidArgumentError("unknown kind");
  if (r.host.size() > kMaxHostName) return InvalidArgumentError("host name longer than 255 bytes");
  if (!r.label.empty()) RETURN_IF_ERROR(ValidateLabel(r.label));
  return Status::Ok();
}

}  // namespace

ProjectKey::ProjectKey(std::string_view bytes) {
  bytes_.fill(0);
  std::memcpy(bytes_.data(), bytes.data(), std::min(bytes.size(), kSize));
}

std::string ProjectKey::ToHex() const { return berth::ToHex(AsBytes(bytes())); }

std::string SnapshotId::ToString() const {
  time_t seconds = static_cast<time_t>(millis_ / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char buf[96];  // roomy: the compiler cannot see that every field fits its width
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis_ % 1000));
  return buf;
}

Result<SnapshotId> SnapshotId::Parse(std::string_view text) {
  // YYYY-MM-DDThh:mm:ss.mmmZ
  static constexpr char kPattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  auto invalid = [&] {
    return InvalidArgumentError("'" + std::string(text) +
                                "' is not a snapshot id (like 2026-11-25T14:05:03.123Z)");
  };
  if (text.size() != sizeof(kPattern) - 1) return invalid();
  for (size_t i = 0; i < text.size(); ++i) {
    if (kPattern[i] == 'd' ? !IsDigit(text[i]) : text[i] != kPattern[i]) return invalid();
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; ++i) v = v * 10 + (text[at + i] - '0');
    return v;
  };
  struct tm tm = {};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  time_t seconds = timegm(&tm);
  SnapshotId id(static_cast<int64_t>(seconds) * 1000 + num(20, 3));
  // timegm normalises (Feb 30 becomes Mar 2): only a date that prints back the same is real.
  if (!id.valid() || id.ToString() != text) return invalid();
  return id;
}

const char* SnapshotKindName(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kAuto:
      return "auto";
    case SnapshotKind::kManual:
      return "manual";
    case SnapshotKind::kBeforeMove:
      return "before-move";
  }
  return "unknown";
}

Status ValidateLabel(std::string_view label) {
  const std::string quoted = "label '" + std::string(label) + "'";
  if (label.empty() || label.size() > kMaxLabel) {
    return InvalidArgumentError(quoted + " must be 1..128 characters");
  }
  char first = label[0];
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
    return InvalidArgumentError(quoted + " must start with a letter");
  }
  for (char c : label) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return InvalidArgumentError(quoted + " may hold only letters, digits, '.', '_', '-'");
  }
  if (label == "latest") return InvalidArgumentError("'latest' is reserved, not a label");
  return Status::Ok();
}

Result<Bytes> EncodeSnapshotRecord(const SnapshotRecord& r) {
  RETURN_IF_ERROR(CheckFields(r));
  Bytes out;
  out.reserve(kFixedSize + r.host.size() + r.label.size());
  PutU8(&out, kSnapshotRecordVersion);
  PutRaw(&out, r.project.bytes());
  PutFixed64(&out, static_cast<uint64_t>(r.id.millis()));
  PutId(&out, r.root);
  PutFixed64(&out, static_cast<uint64_t>(r.parent.millis()));
  PutU8(&out, static_cast<uint8_t>(r.kind));
  PutFixed64(&out, r.files);
  PutFixed64(&out, r.directories);
  PutFixed64(&out, r.bytes);
  PutFixed64(&out, r.new_bytes);
  PutFixed64(&out, static_cast<uint64_t>(r.created_ns));
  PutU16(&out, static_cast<uint16_t>(r.host.size()));
  PutRaw(&out, r.host);
  PutU16(&out, static_cast<uint16_t>(r.label.size()));
  PutRaw(&out, r.label);
  return out;
}

Result<SnapshotRecord> DecodeSnapshotRecord(ByteView bytes) {
  WireReader in(bytes, "snapshot record");
  SnapshotRecord r;
  uint8_t version, kind;
  std::string project;
  int64_t id, parent;
  uint16_t host_size, label_size;
  if (!in.U8(&version)) return in.Truncated("version");
  if (version != kSnapshotRecordVersion) {
    return in.Fail("unknown snapshot record version " + std::to_string(version));
  }
  if (!in.Raw(ProjectKey::kSize, &project) || !in.I64(&id) || !in.Id(&r.root) || !in.I64(&parent) ||
      !in.U8(&kind) || !in.U64(&r.files) || !in.U64(&r.directories) || !in.U64(&r.bytes) ||
      !in.U64(&r.new_bytes) || !in.I64(&r.created_ns) || !in.U16(&host_size) ||
      !in.Raw(host_size, &r.host) || !in.U16(&label_size) || !in.Raw(label_size, &r.label)) {
    return in.Truncated("field");
  }
  if (in.remaining() != 0) return in.Fail("trailing bytes");
  r.project = ProjectKey(project);
  r.id = SnapshotId(id);
  r.parent = SnapshotId(parent);
  r.kind = static_cast<SnapshotKind>(kind);
  Status fields = CheckFields(r);
  if (!fields.ok()) return in.Fail(fields.message());
  return r;
}

}  // namespace berth::snapshot
