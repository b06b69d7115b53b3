#include <sys/types.h>

#include <algorithm>
#include <vector>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

thread_local RequestHints current_request;

// Whether the caller of `req` belongs to group `gid` (its fsgid or a supplementary group).
bool CallerInGroup(fuse_req_t req, uint32_t gid) {
  if (fuse_req_ctx(req)->gid == gid) return true;
  std::vector<gid_t> groups(64);
  for (;;) {
    const int n = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
    if (n < 0) return false;  // the caller is gone or /proc unreadable: treat as not a member
    if (static_cast<size_t>(n) <= groups.size()) {
      return std::find(groups.begin(), groups.begin() + n, gid) != groups.begin() + n;
    }
    groups.resize(static_cast<size_t>(n));
  }
}

}  // namespace

const RequestHints& CurrentRequest() { return current_request; }
void SetCurrentRequest(const RequestHints& hints) { current_request = hints; }

uint32_t ChownKeptMode(uint32_t perms) {
  uint32_t kept = perms & ~static_cast<uint32_t>(S_ISUID);
  if (perms & S_IXGRP) kept &= ~static_cast<uint32_t>(S_ISGID);
  return kept;
}

std::optional<uint32_t> KilledMode(fuse_req_t req, uint32_t perms, uint32_t file_gid, bool chown) {
  if (!current_request.kill_suidgid) return std::nullopt;
  uint32_t kept = ChownKeptMode(perms);
  // Set-group-ID without group execute marks mandatory locking and stays, except that a write or
  // truncate by a caller outside the file's group drops it too (the kernel's
  // setattr_should_drop_sgid; the mark already says the caller lacks CAP_FSETID). The kernel
  // marks every chown, so only the group-execute rule applies to one.
  if (!chown && (perms & S_ISGID) && !CallerInGroup(req, file_gid)) {
    kept &= ~static_cast<uint32_t>(S_ISGID);
  }
  if (kept == perms) return std::nullopt;
  return kept;
}

Status KillSuidSgidIfAsked(fuse_req_t req, Ino ino) {
  if (!current_request.kill_suidgid) return Status::Ok();
  Context& ctx = Ctx(req);
  ASSIGN_OR_RETURN(Inode inode, ctx.tree->GetAttr(ino));
  if (!inode.is_regular()) return Status::Ok();
  const std::optional<uint32_t> kept = KilledMode(req, inode.mode & 07777, inode.gid, false);
  if (!kept) return Status::Ok();
  AttrChange change;
  change.mode = *kept;
  return ctx.tree->SetAttr(ino, change).status();
}

}  // namespace berth::fs::ops
