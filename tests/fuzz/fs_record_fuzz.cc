// Fuzz target for the live tree's record decoders (inode, directory entry): any bytes give a
// record or a clean error.
#include <cstddef>
#include <cstdint>

#include "fs/inode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::ByteView input(data, size);
  auto inode = berth::fs::DecodeInode(1, input);
  if (inode.ok()) {
    // What decodes must encode back to the same bytes: the format has one spelling per record.
    std::string again = berth::fs::EncodeInode(*inode);
    if (again.size() != size) __builtin_trap();
  }
  (void)berth::fs::DecodeDirEntry(input);
  return 0;
}
