#ifndef BERTH_FS_INTERNAL_KEYS_H_
#define BERTH_FS_INTERNAL_KEYS_H_

#include <string>
#include <string_view>

#include "base/coding.h"
#include "fs/inode.h"
#include "fs/project_id.h"
#include "storage/chunk_id.h"

namespace berth::fs::internal {

// Keys of the live tree (doc/live_tree_format.md). Every key starts with the project id;
// numbers are big-endian so keys sort numerically and one directory's entries, one file's
// extents or one project's everything are a contiguous range.
inline std::string InodeKey(const ProjectId& p, Ino ino) {
  std::string k(p.key());
  PutBigEndian64(&k, ino);
  return k;
}
// Inode 0 is never a file: its key holds the project's tree state (inode counter, usage).
inline std::string TreeStateKey(const ProjectId& p) { return InodeKey(p, 0); }
inline std::string DentryPrefix(const ProjectId& p, Ino parent) { return InodeKey(p, parent); }
inline std::string DentryKey(const ProjectId& p, Ino parent, std::string_view name) {
  std::string k = DentryPrefix(p, parent);
  k.append(name);
  return k;
}
inline std::string CookieKey(const ProjectId& p, Ino parent, uint64_t cookie) {
  std::string k = InodeKey(p, parent);
  PutBigEndian64(&k, cookie);
  return k;
}
inline std::string XattrKey(const ProjectId& p, Ino ino, std::string_view name) {
  std::string k = InodeKey(p, ino);
  k.append(name);
  return k;
}
inline std::string ExtentKey(const ProjectId& p, Ino ino, uint64_t offset) {
  std::string k = InodeKey(p, ino);
  PutBigEndian64(&k, offset);
  return k;
}
// An extent's value: the chunk id, then the extent's length (u32, little-endian).
inline constexpr size_t kExtentValueSize = storage::ChunkId::kSize + 4;
inline std::string EncodeExtentValue(const storage::ChunkId& id, uint32_t length) {
  std::string v(AsChars(id.bytes()));
  uint8_t len[4];
  EncodeFixed32(len, length);
  v.append(reinterpret_cast<const char*>(len), 4);
  return v;
}
// A name of `ino`: the directory holding it and the name there. One inode's names are one range,
// so the snapshot writer finds a changed file's directories without a parent field.
inline std::string LinkKey(const ProjectId& p, Ino ino, Ino parent, std::string_view name) {
  std::string k = InodeKey(p, ino);
  PutBigEndian64(&k, parent);
  k.append(name);
  return k;
}
// The smallest key after every key that starts with `prefix`.
inline std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

}  // namespace berth::fs::internal

#endif  // BERTH_FS_INTERNAL_KEYS_H_
