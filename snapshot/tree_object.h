#ifndef BERTH_SNAPSHOT_TREE_OBJECT_H_
#define BERTH_SNAPSHOT_TREE_OBJECT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "snapshot/chunk_list.h"
#include "storage/chunk_id.h"

namespace berth::snapshot {

// The version byte of tree objects (doc/snapshot_format.md): 1 for a tree without attributes of
// its own directory, 2 for one with them (a snapshot's root). Both are current: the encoder picks
// the one that fits, so one tree still has one encoding.
inline constexpr uint8_t kTreeVersion = 1;
inline constexpr uint8_t kTreeVersionWithSelf = 2;
// A directory of more than kMaxEntriesPerObject entries is stored paged: its entries in page
// objects (tree objects of version 1, cut where names hash to a cut point), and a top object of
// version 3 (4 with attributes of its own) listing the pages with their totals.
inline constexpr uint8_t kTreeVersionPaged = 3;
inline constexpr uint8_t kTreeVersionPagedWithSelf = 4;
inline constexpr size_t kMaxEntriesPerObject = 65536;
// Limits a tree entry must keep (the live tree's own limits, and Linux's).
inline constexpr size_t kMaxEntryName = 255;
inline constexpr size_t kMaxSymlinkTarget = 4096;
inline constexpr size_t kMaxXattrName = 255;
inline constexpr size_t kMaxXattrValue = 64 * 1024;

// The type of a tree entry; the numbers are the format's.
enum class EntryType : uint8_t {
  kRegular = 1,
  kDirectory = 2,
  kSymlink = 3,
  kCharDevice = 4,
  kBlockDevice = 5,
  kFifo = 6,
  kSocket = 7,
};
const char* EntryTypeName(EntryType type);
// The type of an st_mode; InvalidArgument for a type the format does not know.
Result<EntryType> EntryTypeOfMode(uint32_t mode);
// The S_IF* bits of a type.
uint32_t ModeTypeBits(EntryType type);

// What a subtree holds. `files` counts non-directory names (a hard-linked file once per name),
// `dirs` the directories below the subtree's root (not the root itself), `bytes` the apparent
// sizes of the regular files, once per name.
struct Totals {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t bytes = 0;
  friend bool operator==(const Totals&, const Totals&) = default;
};

// One name in a directory. Which fields mean something depends on `type`; the others stay at
// their defaults (the encoder refuses anything else, so one tree has one encoding).
struct TreeEntry {
  std::string name;  // 1..255 bytes, no '/' or NUL, not "." or ".."
  EntryType type = EntryType::kRegular;
  uint32_t perms = 0;  // permission bits, mode & 07777
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  // Non-zero for a non-directory with several names: the same number on every name of the node
  // within a snapshot (the writer uses the source's node id).
  uint64_t link_group = 0;
  // Sorted by name, names unique and 1..255 bytes, values at most 64 KiB.
  std::vector<std::pair<std::string, std::string>> xattrs;

  // kRegular: the apparent size and the content (pieces covering exactly `size` bytes).
  uint64_t size = 0;
  ChunkList data;
  // kDirectory: the subtree's tree object and its totals.
  storage::ChunkId subtree;
  Totals subtree_totals;
  // kSymlink: 1..4096 bytes, no NUL.
  std::string target;
  // kCharDevice, kBlockDevice.
  uint64_t rdev = 0;

  bool is_dir() const { return type == EntryType::kDirectory; }
  uint32_t mode() const { return ModeTypeBits(type) | perms; }
  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

// The attributes of the directory a tree object describes. Every directory but the root has
// them in its entry in the parent; the root has no parent, so a snapshot's root tree carries them
// itself (the writer sets them from the source's root; restore, export and `ls` use them).
struct DirAttributes {
  uint32_t perms = 0;  // mode & 07777
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  // Sorted by name, names unique and 1..255 bytes, values at most 64 KiB.
  std::vector<std::pair<std::string, std::string>> xattrs;
  friend bool operator==(const DirAttributes&, const DirAttributes&) = default;
};

// One page of a paged directory: the tree object holding a run of its entries, and their totals.
struct TreePage {
  storage::ChunkId id;
  Totals totals;
  friend bool operator==(const TreePage&, const TreePage&) = default;
};

// A directory as a snapshot holds it (chunk kind kTree). A plain value type.
struct TreeObject {
  // The directory's own attributes: set on a snapshot's root (written since format version 2),
  // empty on every other tree and on roots written before.
  std::optional<DirAttributes> self;
  std::vector<TreeEntry> entries;  // strictly ascending by name bytes
  // A paged directory's pages, in name order: what DecodeTree returns for a top object (with no
  // entries) and LoadTree keeps beside the entries it read from them. Encoders ignore it.
  std::vector<TreePage> pages;

  // The subtree's totals, from the entries (from the pages for a top object without them).
  Totals totals() const;
  // The entry named `name`, or null. O(log n).
  const TreeEntry* Find(std::string_view name) const;
  friend bool operator==(const TreeObject&, const TreeObject&) = default;
};

// Checks what the encoder requires of one entry (names, lengths, fields of other types left at
// their defaults, inline lists canonical and summing to the size). InvalidArgument otherwise.
Status ValidateEntry(const TreeEntry& entry);

// Checks what the encoder requires of a tree's own attributes (permission bits, xattrs as in
// ValidateEntry). InvalidArgument otherwise.
Status ValidateDirAttributes(const DirAttributes& attrs);

// The canonical encoding: same tree, same bytes; version 1 without `self`, 2 with it.
// InvalidArgument when an entry breaks a rule or the entries are not strictly ascending;
// ResourceExhausted past the store's record size.
Result<Bytes> EncodeTree(const TreeObject& tree);
// Bounds-checked; DataLoss saying what is wrong for anything but the canonical encoding of a
// valid tree of version 1 or 2: unknown version, truncation, absurd counts, names out of
// order or repeated, totals that do not add up, trailing bytes.
Result<TreeObject> DecodeTree(ByteView bytes);
// The totals in a tree object's header, without decoding the entries (not checked against
// them). DataLoss when the header is short or of another version.
Result<Totals> PeekTreeTotals(ByteView bytes);

// A tree object's header: its totals and its own attributes, without the entries.
struct TreeHead {
  Totals totals;
  std::optional<DirAttributes> self;
};
// Bounds-checked like DecodeTree as far as it reads (the entries are not read or checked).
Result<TreeHead> PeekTreeHead(ByteView bytes);

// A directory's objects, ready to store: pages (none for a directory of up to
// kMaxEntriesPerObject entries), then the object naming the directory.
struct EncodedTree {
  std::vector<std::pair<storage::ChunkId, Bytes>> pages;
  storage::ChunkId id;
  Bytes bytes;
};
// The canonical objects of a directory of any size: EncodeTree's single object up to
// kMaxEntriesPerObject entries; beyond, content-defined pages (an insertion or a removal changes
// only the page around it) and a top object. Errors as EncodeTree.
Result<EncodedTree> EncodeTreeObjects(const TreeObject& tree, const storage::ChunkHasher& hasher);
// A paged directory's top object from its `self` and `pages` (what DecodeTree returns for one).
// InvalidArgument for fewer than 2 pages, bad attributes or totals that overflow.
Result<Bytes> EncodePagedTop(const TreeObject& top);
// Checks that `page`, decoded from the object `ref` names, may follow `previous` (the entries
// so far) in a paged directory: a plain version-1 tree, not empty, with ref's totals, its names
// after the ones before. DataLoss otherwise.
Status CheckTreePage(const TreeObject& page, const TreePage& ref,
                     const std::vector<TreeEntry>& previous);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_TREE_OBJECT_H_
