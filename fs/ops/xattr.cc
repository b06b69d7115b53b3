#include <optional>
#include <string>
#include <vector>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

// The kernel hands FUSE every name unfiltered; local filesystems know only these namespaces
// (system.posix_acl_* never reaches us without FUSE_CAP_POSIX_ACL) and refuse others.
Status CheckNamespace(std::string_view name) {
  for (std::string_view prefix : {"user.", "trusted.", "security."}) {
    if (!name.starts_with(prefix)) continue;
    if (name.size() == prefix.size()) return PosixError("xattr name without a suffix", EINVAL);
    return Status::Ok();
  }
  return PosixError("xattr namespace of " + std::string(name), EOPNOTSUPP);
}

}  // namespace

void ReplyXattrValue(fuse_req_t req, size_t size, const std::string& value) {
  if (size == 0) {
    fuse_reply_xattr(req, value.size());
  } else if (size < value.size()) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, value.data(), value.size());
  }
}

void ReplyXattrNames(fuse_req_t req, size_t size, const std::vector<std::string>& names) {
  std::optional<bool> privileged;  // asked only if a trusted.* name is there
  std::string packed;
  for (const std::string& name : names) {
    if (name.starts_with("trusted.")) {
      if (!privileged) privileged = CallerHasSysAdmin(req);
      if (!*privileged) continue;
    }
    packed += name;
    packed.push_back('\0');
  }
  ReplyXattrValue(req, size, packed);
}

// flags: XATTR_CREATE / XATTR_REPLACE pass through. Namespace rules (trusted.* needs
// CAP_SYS_ADMIN, user.* only on files and directories) are the kernel's.
void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
              int flags) {
  Serve(req, [&] {
    if (Status ok = CheckNamespace(name); !ok.ok()) return ReplyError(req, ok);
    ByteView bytes(reinterpret_cast<const uint8_t*>(value), size);
    Status set = Ctx(req).tree->SetXattr(ino, name, bytes, flags);
    if (!set.ok()) return ReplyError(req, set);
    fuse_reply_err(req, 0);
  });
}

void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Serve(req, [&] {
    if (Status ok = CheckNamespace(name); !ok.ok()) return ReplyError(req, ok);
    Result<std::string> value = Ctx(req).tree->GetXattr(ino, name);
    if (!value.ok()) return ReplyError(req, value.status());
    ReplyXattrValue(req, size, *value);
  });
}

void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Serve(req, [&] {
    Result<std::vector<std::string>> names = Ctx(req).tree->ListXattr(ino);
    if (!names.ok()) return ReplyError(req, names.status());
    ReplyXattrNames(req, size, *names);
  });
}

void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Serve(req, [&] {
    if (Status ok = CheckNamespace(name); !ok.ok()) return ReplyError(req, ok);
    Status removed = Ctx(req).tree->RemoveXattr(ino, name);
    if (!removed.ok()) return ReplyError(req, removed);
    fuse_reply_err(req, 0);
  });
}

}  // namespace berth::fs::ops
