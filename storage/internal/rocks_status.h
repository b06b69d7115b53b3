#ifndef BERTH_STORAGE_INTERNAL_ROCKS_STATUS_H_
#define BERTH_STORAGE_INTERNAL_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "base/status.h"

namespace berth::storage::internal {

// The one place where RocksDB's status becomes ours. A full disk keeps ENOSPC so the FUSE edge
// can answer it; corruption becomes DataLoss.
inline Status FromRocks(std::string_view context, const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + s.ToString();
  if (s.IsNoSpace()) return Status(StatusCode::kResourceExhausted, std::move(message), ENOSPC);
  if (s.IsNotFound()) return Status(StatusCode::kNotFound, std::move(message));
  if (s.IsCorruption()) return Status(StatusCode::kDataLoss, std::move(message));
  if (s.IsInvalidArgument()) return Status(StatusCode::kInvalidArgument, std::move(message));
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  if (s.IsIOError()) {
    if (message.find("No space left") != std::string::npos) {
      return Status(StatusCode::kResourceExhausted, std::move(message), ENOSPC);
    }
    return Status(StatusCode::kUnavailable, std::move(message), EIO);
  }
  return Status(StatusCode::kInternal, std::move(message));
}

}  // namespace berth::storage::internal

#endif  // BERTH_STORAGE_INTERNAL_ROCKS_STATUS_H_
