#ifndef BERTH_FS_FUSE_WIRE_H_
#define BERTH_FS_FUSE_WIRE_H_

// The few fields of raw FUSE messages (linux/fuse.h) that libfuse 3.14 does not pass through,
// read and written by the serving loop around libfuse:
//  - libfuse 3.14 knows no FUSE_HANDLE_KILLPRIV_V2, and never sends FUSE_PARALLEL_DIROPS to the
//    kernel although it defaults to wanting it: the INIT reply is patched to add them.
//  - with KILLPRIV_V2 the kernel marks a WRITE or SETATTR whose caller lacks CAP_FSETID (so the
//    file's set-user-ID and set-group-ID bits must go); libfuse drops WRITE's write_flags, so the
//    loop reads the mark from the raw request.
// Kept apart from the libfuse headers, whose names overlap with linux/fuse.h.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace berth::fs {

// INIT flags (linux/fuse.h), as bits of the 64-bit flags | flags2 << 32.
inline constexpr uint64_t kInitParallelDirops = uint64_t{1} << 18;
inline constexpr uint64_t kInitHandleKillprivV2 = uint64_t{1} << 28;

// What the serving loop learns from a raw request before libfuse decodes it.
struct RequestHints {
  uint32_t opcode = 0;
  uint64_t unique = 0;
  // WRITE (FUSE_WRITE_KILL_SUIDGID), SETATTR (FATTR_KILL_SUIDGID) or OPEN/CREATE
  // (FUSE_OPEN_KILL_SUIDGID): the caller lacks CAP_FSETID, or (chown) the kernel asks always;
  // the file must lose S_ISUID, and S_ISGID if it is group-executable.
  bool kill_suidgid = false;
  // INIT: the capabilities the kernel offers (flags | flags2 << 32).
  uint64_t init_offered = 0;
  bool is_init = false;
};

// Decodes `raw`, one request as read from /dev/fuse. Bounds-checked: a message too short for a
// field leaves that field at its default.
RequestHints PeekRequest(ByteView raw);

// If `iov` (a reply as libfuse hands it to writev: iov[0] the fuse_out_header) is the successful
// reply to INIT request `init_unique`, copies its fuse_init_out into `scratch` with the flags in
// `add` ORed in (only those of them the kernel offered in `offered`) and points iov[1] at the
// copy. Returns whether it did. `scratch` must outlive the writev.
inline constexpr size_t kInitOutScratchSize = 64;
bool PatchInitReply(struct iovec* iov, int count, uint64_t init_unique, uint64_t offered,
                    uint64_t add, uint8_t (&scratch)[kInitOutScratchSize]);

}  // namespace berth::fs

#endif  // BERTH_FS_FUSE_WIRE_H_
