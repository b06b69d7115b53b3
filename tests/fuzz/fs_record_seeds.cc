// Valid inode and directory-entry records for the fs record fuzz target to mutate.
#include <sys/stat.h>

#include <vector>

#include "fs/inode.h"

std::vector<std::vector<uint8_t>> FuzzSeeds() {
  using namespace berth::fs;
  Inode file;
  file.mode = S_IFREG | 0644;
  file.nlink = 1;
  file.size = 12345;
  Inode link;
  link.mode = S_IFLNK | 0777;
  link.symlink_target = "../target";
  std::vector<std::vector<uint8_t>> seeds;
  for (const std::string& s : {EncodeInode(file), EncodeInode(link),
                               EncodeDirEntry(DirEntry{5, 8, 3})}) {
    seeds.emplace_back(s.begin(), s.end());
  }
  return seeds;
}
