#ifndef BERTH_SNAPSHOT_SNAPSHOT_RECORD_H_
#define BERTH_SNAPSHOT_SNAPSHOT_RECORD_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/chunk_id.h"

namespace berth::snapshot {

// The version byte of snapshot records (doc/snapshot_format.md).
inline constexpr uint8_t kSnapshotRecordVersion = 1;
inline constexpr size_t kMaxHostName = 255;
inline constexpr size_t kMaxLabel = 128;

// A project's 16-byte id as snapshot/ sees it (fs::ProjectId::key() gives these bytes).
// A plain value type.
class ProjectKey {
 public:
  static constexpr size_t kSize = 16;
  ProjectKey() { bytes_.fill(0); }
  // REQUIRES: bytes.size() == kSize.
  explicit ProjectKey(std::string_view bytes);
  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), kSize);
  }
  std::string ToHex() const;
  friend bool operator==(const ProjectKey&, const ProjectKey&) = default;
  friend auto operator<=>(const ProjectKey&, const ProjectKey&) = default;

 private:
  std::array<uint8_t, kSize> bytes_;
};

// A snapshot's id: its time in ms since the Unix epoch, UTC. Unique within a project (the store
// hands out max(now, latest + 1 ms)), so it sorts by time and reads as a time:
// "2026-11-25T14:05:03.123Z" (always 24 characters, so the text sorts like the number).
// A plain value type; 0 means "none".
class SnapshotId {
 public:
  // The last millisecond with a four-digit year: 9999-12-31T23:59:59.999Z.
  static constexpr int64_t kMaxMillis = 253'402'300'799'999;

  SnapshotId() = default;
  explicit SnapshotId(int64_t millis) : millis_(millis) {}
  // Exactly the form ToString() gives; InvalidArgument otherwise.
  static Result<SnapshotId> Parse(std::string_view text);

  int64_t millis() const { return millis_; }
  bool valid() const { return millis_ > 0 && millis_ <= kMaxMillis; }
  // REQUIRES: valid().
  std::string ToString() const;
  friend bool operator==(const SnapshotId&, const SnapshotId&) = default;
  friend auto operator<=>(const SnapshotId&, const SnapshotId&) = default;

 private:
  int64_t millis_ = 0;
};

// Why a snapshot was taken; the numbers are the format's.
enum class SnapshotKind : uint8_t { kAuto = 1, kManual = 2, kBeforeMove = 3 };
const char* SnapshotKindName(SnapshotKind kind);

// One snapshot of one project: what `berth snapshots` lists.
struct SnapshotRecord {
  ProjectKey project;
  SnapshotId id;
  storage::ChunkId root;  // the root directory's tree object
  SnapshotId parent;      // the project's previous snapshot when this one was written; 0: none
  std::string host;       // the node that wrote it, at most 255 bytes
  std::string label;      // empty, or a valid label (ValidateLabel)
  SnapshotKind kind = SnapshotKind::kAuto;
  uint64_t files = 0;        // non-directory names in the tree
  uint64_t directories = 0;  // directories, the root included
  uint64_t bytes = 0;        // apparent size of the regular files
  // Bytes this snapshot added: data of changed files not in their previous version, plus the
  // stored size of the tree and list objects it wrote.
  uint64_t new_bytes = 0;
  int64_t created_ns = 0;  // when the writer started (the frozen view's time)
  friend bool operator==(const SnapshotRecord&, const SnapshotRecord&) = default;
};

// A label names one snapshot of a project: 1..128 characters of [A-Za-z0-9._-] starting with a
// letter, and not "latest", so it cannot be mistaken for a time, an id or `-N`.
// InvalidArgument saying why otherwise.
Status ValidateLabel(std::string_view label);

// The canonical encoding. InvalidArgument when a field is out of range (id, parent not before
// id, label, host, kind).
Result<Bytes> EncodeSnapshotRecord(const SnapshotRecord& record);
// Bounds-checked; DataLoss saying what is wrong for anything but the canonical encoding of a
// valid record of version kSnapshotRecordVersion.
Result<SnapshotRecord> DecodeSnapshotRecord(ByteView bytes);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_RECORD_H_
