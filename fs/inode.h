#ifndef BERTH_FS_INODE_H_
#define BERTH_FS_INODE_H_

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace berth::fs {

using Ino = uint64_t;
// The root directory of every project. Inode numbers are never reused within a project (a 64-bit
// counter), so a number the kernel still holds can never name another file.
inline constexpr Ino kRootIno = 1;

// A file's metadata, one RocksDB value per inode (doc/live_tree_format.md). A plain value type.
struct Inode {
  Ino ino = 0;
  uint32_t mode = 0;   // type and permission bits, as st_mode
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;  // names; directories: 2 + subdirectories. 0: unlinked, kept while open
  uint64_t size = 0;
  uint64_t rdev = 0;   // device number for character and block devices
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  // Bumped on every change to the inode or, for a directory, to its entries; the snapshot writer
  // clears a dirty mark only if the version did not move meanwhile.
  uint64_t version = 0;
  // Directories: the readdir cookie the next new entry gets. Cookies only grow, so a readdir
  // that resumes after cookie c never skips or repeats an entry that stayed.
  uint64_t next_cookie = 3;
  // Directories: the parent directory (the root's parent is itself). Files: 0.
  Ino parent = 0;
  // Bytes counted against the project's quota: allocated, not apparent, size.
  uint64_t allocated = 0;
  std::string symlink_target;

  bool is_dir() const;
  bool is_regular() const;
  bool is_symlink() const;
};

// Linux's relatime rule: a read moves the atime when it is not newer than the mtime or the ctime,
// or is a day old (so `atime > mtime` still tells whether a file was read since it changed).
bool AtimeDue(const Inode& inode, int64_t now_ns);

std::string EncodeInode(const Inode& inode);
// DataLoss when the bytes are not a well-formed inode record of a known version.
Result<Inode> DecodeInode(Ino ino, ByteView bytes);

// A directory entry's value: the inode it names, its type (DT_* of dirent.h, so readdir needs no
// inode read), and its readdir cookie.
struct DirEntry {
  Ino ino = 0;
  uint8_t type = 0;
  uint64_t cookie = 0;
};

std::string EncodeDirEntry(const DirEntry& entry);
Result<DirEntry> DecodeDirEntry(ByteView bytes);

// DT_* for a st_mode.
uint8_t DirentType(uint32_t mode);

}  // namespace berth::fs

#endif  // BERTH_FS_INODE_H_
