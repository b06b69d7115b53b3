#ifndef BERTH_SNAPSHOT_INTERNAL_ROCKS_H_
#define BERTH_SNAPSHOT_INTERNAL_ROCKS_H_

#include <rocksdb/status.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "base/status.h"

namespace berth::snapshot::internal {

// RocksDB's status as ours, for snapshot/'s own family (storage keeps its converter internal).
// A full disk keeps ENOSPC; corruption becomes DataLoss.
inline Status FromRocks(std::string_view context, const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status(StatusCode::kNotFound, std::move(message));
  if (s.IsCorruption()) return Status(StatusCode::kDataLoss, std::move(message));
  if (s.IsNoSpace() || message.find("No space left") != std::string::npos) {
    return Status(StatusCode::kResourceExhausted, std::move(message), ENOSPC);
  }
  if (s.IsIOError()) return Status(StatusCode::kUnavailable, std::move(message), EIO);
  return Status(StatusCode::kInternal, std::move(message));
}

}  // namespace berth::snapshot::internal

#endif  // BERTH_SNAPSHOT_INTERNAL_ROCKS_H_
