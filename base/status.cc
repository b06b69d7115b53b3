#include "base/status.h"

#include <cstring>

namespace berth {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message, int posix_errno)
    : code_(code), errno_(posix_errno), message_(std::move(message)) {}

int Status::ToErrno() const {
  if (errno_ != 0) return errno_;
  switch (code_) {
    case StatusCode::kOk: return 0;
    case StatusCode::kCancelled: return EINTR;
    case StatusCode::kInvalidArgument: return EINVAL;
    case StatusCode::kDeadlineExceeded: return ETIMEDOUT;
    case StatusCode::kNotFound: return ENOENT;
    case StatusCode::kAlreadyExists: return EEXIST;
    case StatusCode::kPermissionDenied: return EACCES;
    case StatusCode::kResourceExhausted: return ENOSPC;
    case StatusCode::kFailedPrecondition: return EINVAL;
    case StatusCode::kAborted: return EAGAIN;
    case StatusCode::kOutOfRange: return ERANGE;
    case StatusCode::kUnimplemented: return ENOSYS;
    case StatusCode::kUnavailable: return EAGAIN;
    case StatusCode::kUnknown:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss: return EIO;
  }
  return EIO;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += message_;
  return Status(code_, std::move(message), errno_);
}

namespace {
StatusCode CodeForErrno(int e) {
  switch (e) {
    case 0: return StatusCode::kOk;
    case ENOENT: return StatusCode::kNotFound;
    case EEXIST: return StatusCode::kAlreadyExists;
    case EACCES:
    case EPERM: return StatusCode::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM: return StatusCode::kResourceExhausted;
    case EINVAL:
    case ENAMETOOLONG:
    case EISDIR:
    case ENOTDIR: return StatusCode::kInvalidArgument;
    case ENOTEMPTY:
    case EXDEV:
    case EROFS:
    case EBUSY: return StatusCode::kFailedPrecondition;
    case EINTR: return StatusCode::kCancelled;
    case EAGAIN: return StatusCode::kUnavailable;
    case ETIMEDOUT: return StatusCode::kDeadlineExceeded;
    case ENOSYS:
    case EOPNOTSUPP: return StatusCode::kUnimplemented;
    case ERANGE: return StatusCode::kOutOfRange;
    default: return StatusCode::kUnknown;
  }
}
}  // namespace

Status PosixError(std::string_view context, int posix_errno) {
  std::string message(context);
  message += ": ";
  message += std::strerror(posix_errno);
  return Status(CodeForErrno(posix_errno), std::move(message), posix_errno);
}

Status InvalidArgumentError(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
Status AlreadyExistsError(std::string m) { return Status(StatusCode::kAlreadyExists, std::move(m)); }
Status FailedPreconditionError(std::string m) { return Status(StatusCode::kFailedPrecondition, std::move(m)); }
Status ResourceExhaustedError(std::string m) { return Status(StatusCode::kResourceExhausted, std::move(m)); }
Status DataLossError(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
Status UnavailableError(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }
Status UnimplementedError(std::string m) { return Status(StatusCode::kUnimplemented, std::move(m)); }
Status OutOfRangeError(std::string m) { return Status(StatusCode::kOutOfRange, std::move(m)); }
Status PermissionDeniedError(std::string m) { return Status(StatusCode::kPermissionDenied, std::move(m)); }

}  // namespace berth
