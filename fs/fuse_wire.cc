#include "fs/fuse_wire.h"

#include <linux/fuse.h>

#include <cstring>

namespace berth::fs {

namespace {

static_assert(kInitParallelDirops == FUSE_PARALLEL_DIROPS);
static_assert(kInitHandleKillprivV2 == FUSE_HANDLE_KILLPRIV_V2);
static_assert(sizeof(fuse_init_out) <= kInitOutScratchSize);

// Reads a T at `offset` of the message's argument (after the header), if it fits.
template <typename T>
bool ReadArg(ByteView raw, size_t offset, T* out) {
  const size_t at = sizeof(fuse_in_header) + offset;
  if (raw.size() < at + sizeof(T)) return false;
  std::memcpy(out, raw.data() + at, sizeof(T));
  return true;
}

}  // namespace

RequestHints PeekRequest(ByteView raw) {
  RequestHints hints;
  fuse_in_header header;
  if (raw.size() < sizeof(header)) return hints;
  std::memcpy(&header, raw.data(), sizeof(header));
  hints.opcode = header.opcode;
  hints.unique = header.unique;
  uint32_t bits = 0;
  switch (header.opcode) {
    case FUSE_WRITE:
      if (ReadArg(raw, offsetof(fuse_write_in, write_flags), &bits)) {
        hints.kill_suidgid = (bits & FUSE_WRITE_KILL_SUIDGID) != 0;
      }
      break;
    case FUSE_SETATTR:
      if (ReadArg(raw, offsetof(fuse_setattr_in, valid), &bits)) {
        hints.kill_suidgid = (bits & FATTR_KILL_SUIDGID) != 0;
      }
      break;
    case FUSE_OPEN:
      if (ReadArg(raw, offsetof(fuse_open_in, open_flags), &bits)) {
        hints.kill_suidgid = (bits & FUSE_OPEN_KILL_SUIDGID) != 0;
      }
      break;
    case FUSE_CREATE:
      if (ReadArg(raw, offsetof(fuse_create_in, open_flags), &bits)) {
        hints.kill_suidgid = (bits & FUSE_OPEN_KILL_SUIDGID) != 0;
      }
      break;
    case FUSE_INIT: {
      hints.is_init = true;
      uint32_t flags = 0, flags2 = 0;
      if (ReadArg(raw, offsetof(fuse_init_in, flags), &flags)) hints.init_offered = flags;
      if ((flags & FUSE_INIT_EXT) && ReadArg(raw, offsetof(fuse_init_in, flags2), &flags2)) {
        hints.init_offered |= uint64_t{flags2} << 32;
      }
      break;
    }
    default:
      break;
  }
  return hints;
}

bool PatchInitReply(struct iovec* iov, int count, uint64_t init_unique, uint64_t offered,
                    uint64_t add, uint8_t (&scratch)[kInitOutScratchSize]) {
  if (count < 2 || iov[0].iov_len != sizeof(fuse_out_header)) return false;
  fuse_out_header header;
  std::memcpy(&header, iov[0].iov_base, sizeof(header));
  if (header.unique != init_unique || header.error != 0) return false;
  // The flags word lies in every version of fuse_init_out; flags2 only in the extended one.
  const size_t len = iov[1].iov_len;
  if (len < offsetof(fuse_init_out, flags) + sizeof(uint32_t) || len > sizeof(scratch)) {
    return false;
  }
  std::memcpy(scratch, iov[1].iov_base, len);
  fuse_init_out out{};
  std::memcpy(&out, scratch, len);
  const uint64_t extra = add & offered;
  out.flags |= static_cast<uint32_t>(extra);
  if ((extra >> 32) != 0) {
    if (len < offsetof(fuse_init_out, flags2) + sizeof(uint32_t)) return false;
    out.flags |= FUSE_INIT_EXT;
    out.flags2 |= static_cast<uint32_t>(extra >> 32);
  }
  std::memcpy(scratch, &out, len);
  iov[1].iov_base = scratch;
  return true;
}

}  // namespace berth::fs
