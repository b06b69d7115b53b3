#include "fs/inode.h"

#include <dirent.h>
#include <sys/stat.h>

#include "base/coding.h"

namespace berth::fs {

namespace {
constexpr uint8_t kInodeVersion = 1;
constexpr uint8_t kDirEntryVersion = 1;
constexpr size_t kMaxSymlink = 4096;  // PATH_MAX
}  // namespace

bool Inode::is_dir() const { return S_ISDIR(mode); }
bool Inode::is_regular() const { return S_ISREG(mode); }
bool Inode::is_symlink() const { return S_ISLNK(mode); }

bool AtimeDue(const Inode& inode, int64_t now_ns) {
  constexpr int64_t kDayNs = 86'400'000'000'000;
  return inode.atime_ns <= inode.mtime_ns || inode.atime_ns <= inode.ctime_ns ||
         now_ns - inode.atime_ns >= kDayNs;
}

uint8_t DirentType(uint32_t mode) { return static_cast<uint8_t>(IFTODT(mode)); }

std::string EncodeInode(const Inode& n) {
  Bytes out;
  out.reserve(96 + n.symlink_target.size());
  out.push_back(kInodeVersion);
  PutFixed32(&out, n.mode);
  PutFixed32(&out, n.uid);
  PutFixed32(&out, n.gid);
  PutFixed32(&out, n.nlink);
  PutFixed64(&out, n.size);
  PutFixed64(&out, n.rdev);
  PutFixed64(&out, static_cast<uint64_t>(n.atime_ns));
  PutFixed64(&out, static_cast<uint64_t>(n.mtime_ns));
  PutFixed64(&out, static_cast<uint64_t>(n.ctime_ns));
  PutFixed64(&out, n.version);
  PutFixed64(&out, n.next_cookie);
  PutFixed64(&out, n.parent);
  PutFixed64(&out, n.allocated);
  PutFixed32(&out, static_cast<uint32_t>(n.symlink_target.size()));
  out.insert(out.end(), n.symlink_target.begin(), n.symlink_target.end());
  return std::string(out.begin(), out.end());
}

Result<Inode> DecodeInode(Ino ino, ByteView bytes) {
  ByteReader r(bytes);
  Inode n;
  n.ino = ino;
  uint8_t version = 0;
  uint32_t target_size = 0;
  ByteView target;
  bool ok = r.ReadU8(&version) && version == kInodeVersion && r.ReadU32(&n.mode) &&
            r.ReadU32(&n.uid) && r.ReadU32(&n.gid) && r.ReadU32(&n.nlink) &&
            r.ReadU64(&n.size) && r.ReadU64(&n.rdev) && r.ReadI64(&n.atime_ns) &&
            r.ReadI64(&n.mtime_ns) && r.ReadI64(&n.ctime_ns) && r.ReadU64(&n.version) &&
            r.ReadU64(&n.next_cookie) && r.ReadU64(&n.parent) && r.ReadU64(&n.allocated) &&
            r.ReadU32(&target_size) && target_size <= kMaxSymlink &&
            r.ReadBytes(target_size, &target) && r.remaining() == 0;
  if (!ok) return DataLossError("corrupt inode record for inode " + std::to_string(ino));
  n.symlink_target = std::string(AsChars(target));
  return n;
}

std::string EncodeDirEntry(const DirEntry& e) {
  Bytes out;
  out.push_back(kDirEntryVersion);
  PutFixed64(&out, e.ino);
  out.push_back(e.type);
  PutFixed64(&out, e.cookie);
  return std::string(out.begin(), out.end());
}

Result<DirEntry> DecodeDirEntry(ByteView bytes) {
  ByteReader r(bytes);
  DirEntry e;
  uint8_t version = 0;
  bool ok = r.ReadU8(&version) && version == kDirEntryVersion && r.ReadU64(&e.ino) &&
            r.ReadU8(&e.type) && r.ReadU64(&e.cookie) && r.remaining() == 0 && e.ino != 0;
  if (!ok) return DataLossError("corrupt directory entry");
  return e;
}

}  // namespace berth::fs
