#include "snapshot/file_versions.h"

#include <optional>
#include <string>
#include <utility>

namespace berth::snapshot {

Result<std::vector<FileVersion>> FileVersions(const SnapshotReader& reader,
                                              std::span<const SnapshotRecord> snapshots,
                                              std::string_view path) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, SplitSnapshotPath(path));
  if (names.empty()) return InvalidArgumentError("versions of the root: not a file");
  // The directories on the path as the previous snapshot had them: level i holds the tree
  // object that contains names[i]. A snapshot sharing a directory's id reuses it.
  std::vector<std::optional<std::pair<storage::ChunkId, TreeObject>>> levels(names.size());
  std::vector<FileVersion> versions;
  for (const SnapshotRecord& snapshot : snapshots) {
    storage::ChunkId dir = snapshot.root;
    std::string at;
    const TreeEntry* found = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      at += "/" + names[i];
      if (!levels[i] || levels[i]->first != dir) {
        ASSIGN_OR_RETURN(TreeObject tree, reader.Tree(dir, at));
        levels[i].emplace(dir, std::move(tree));
      }
      found = levels[i]->second.Find(names[i]);
      if (found == nullptr) break;
      if (i + 1 < names.size()) {
        if (!found->is_dir()) {
          found = nullptr;
          break;
        }
        dir = found->subtree;
      }
    }
    if (found == nullptr || found->type != EntryType::kRegular) continue;
    FileVersion* same = nullptr;
    for (FileVersion& v : versions) {
      if (v.entry.size == found->size && v.entry.data == found->data) same = &v;
    }
    if (same == nullptr) {
      versions.push_back(FileVersion{*found, snapshot.id, snapshot.id, 0});
      same = &versions.back();
    }
    same->last = snapshot.id;
    ++same->snapshots;
  }
  if (versions.empty()) {
    return NotFoundError("no snapshot has a file at " + std::string(path));
  }
  return versions;
}

}  // namespace berth::snapshot
