#ifndef BERTH_FS_INODE_REFS_H_
#define BERTH_FS_INODE_REFS_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "fs/inode.h"

namespace berth::fs {

// The references the kernel holds on inodes of one mount: lookups (every reply that hands it an
// entry, until FORGET gives them back) and open file or directory handles. An unlinked inode
// must stay readable until both are gone; the FUSE layer asks IsUnreferenced / the return values
// below and then frees it with LiveTree::ReleaseOrphan (a no-op while the inode still has a name).
//
// The root inode is never counted: the kernel holds it for the life of the mount.
// Thread-safe.
class InodeRefs {
 public:
  InodeRefs() = default;
  InodeRefs(const InodeRefs&) = delete;
  InodeRefs& operator=(const InodeRefs&) = delete;

  // The kernel received `n` more entries naming `ino`.
  void AddLookups(Ino ino, uint64_t n = 1);
  // The kernel gave back `n` lookups of `ino` (more than it holds is clamped to what it holds).
  // Returns true when nothing references `ino` any more.
  bool Forget(Ino ino, uint64_t n);

  // A new open handle on `ino`; returns its file handle (never 0, never reused). `atime_due`:
  // the first read through the handle is to move the inode's atime (relatime, AtimeDue).
  uint64_t Open(Ino ino, bool atime_due = false);
  // Whether a read through `fh` is the one to move the atime; true once per handle at most.
  bool TakeAtimeDue(uint64_t fh);
  struct Released {
    Ino ino = 0;
    bool unreferenced = false;  // that was the inode's last reference
  };
  // Closes handle `fh`; nullopt if no such handle is open.
  std::optional<Released> Release(uint64_t fh);

  bool IsUnreferenced(Ino ino) const;
  uint64_t lookups(Ino ino) const;
  uint64_t opens(Ino ino) const;

  // Drops every reference, as when the mount is gone, and returns the inodes that had any.
  std::vector<Ino> Clear();

 private:
  struct Counts {
    uint64_t lookups = 0;
    uint64_t opens = 0;
  };
  // REQUIRES: mu_ held. Erases an entry whose counts reached zero; returns whether it did.
  bool EraseIfIdle(std::unordered_map<Ino, Counts>::iterator it);

  mutable std::mutex mu_;                      // leaf lock
  std::unordered_map<Ino, Counts> counts_;     // GUARDED_BY(mu_); no entry means no references
  struct Handle {
    Ino ino = 0;
    bool atime_due = false;
  };
  std::unordered_map<uint64_t, Handle> handles_;  // GUARDED_BY(mu_); fh -> its inode
  uint64_t next_handle_ = 1;                   // GUARDED_BY(mu_)
};

}  // namespace berth::fs

#endif  // BERTH_FS_INODE_REFS_H_
