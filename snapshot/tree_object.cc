#include "snapshot/tree_object.h"

#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <string>
#include <utility>

#include "snapshot/internal/pieces.h"
#include "snapshot/internal/wire.h"
#include "storage/record.h"

namespace berth::snapshot {

using internal::PutId;
using internal::PutRaw;
using internal::PutU16;
using internal::PutU8;
using internal::WireReader;

namespace {

constexpr uint8_t kFlagLinkGroup = 1;
constexpr uint8_t kFlagXattrs = 2;
constexpr uint8_t kFormInline = 0;
constexpr uint8_t kFormList = 1;
constexpr size_t kTreeHeaderSize = 29;  // version, totals, count
constexpr size_t kMinEntrySize = 22;  // name length, name >= 1, type, flags, perms, uid, gid, mtime

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxEntryName && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

bool KnownType(uint8_t t) { return t >= 1 && t <= 7; }

// Adds a page's (or subtree's) totals to `t`; false on overflow.
bool AddTotals(Totals* t, const Totals& more) {
  return !__builtin_add_overflow(t->files, more.files, &t->files) &&
         !__builtin_add_overflow(t->dirs, more.dirs, &t->dirs) &&
         !__builtin_add_overflow(t->bytes, more.bytes, &t->bytes);
}

// Adds what one entry contributes to its directory's totals; false on overflow.
bool AddEntryTotals(Totals* t, const TreeEntry& e) {
  if (e.is_dir()) {
    return AddTotals(t, e.subtree_totals) && !__builtin_add_overflow(t->dirs, 1, &t->dirs);
  }
  const uint64_t bytes = e.type == EntryType::kRegular ? e.size : 0;
  return !__builtin_add_overflow(t->files, 1, &t->files) &&
         !__builtin_add_overflow(t->bytes, bytes, &t->bytes);
}

void EncodeXattrs(Bytes* out, const std::vector<std::pair<std::string, std::string>>& xattrs) {
  PutU16(out, static_cast<uint16_t>(xattrs.size()));
  for (const auto& [name, value] : xattrs) {
    PutU8(out, static_cast<uint8_t>(name.size()));
    PutRaw(out, name);
    PutFixed32(out, static_cast<uint32_t>(value.size()));
    PutRaw(out, value);
  }
}

// A count, then the xattrs. `flagged`: an entry's list, present only when not empty.
Status DecodeXattrs(WireReader& in, bool flagged,
                    std::vector<std::pair<std::string, std::string>>* xattrs,
                    const std::string& at) {
  uint16_t count;
  if (!in.U16(&count)) return in.Truncated("xattr count" + at);
  if (flagged && count == 0) return in.Fail("empty xattr list flagged" + at);
  if (count > in.remaining() / 6) return in.Fail("absurd xattr count" + at);
  xattrs->reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    uint8_t name_len;
    uint32_t value_len;
    std::string name, value;
    if (!in.U8(&name_len) || !in.Raw(name_len, &name)) return in.Truncated("xattr name" + at);
    if (name.empty()) return in.Fail("empty xattr name" + at);
    if (!in.U32(&value_len)) return in.Truncated("xattr value" + at);
    if (value_len > kMaxXattrValue) return in.Fail("xattr value above 64 KiB" + at);
    if (!in.Raw(value_len, &value)) return in.Truncated("xattr value" + at);
    if (!xattrs->empty() && !(xattrs->back().first < name)) {
      return in.Fail("xattrs out of order or repeated" + at);
    }
    xattrs->emplace_back(std::move(name), std::move(value));
  }
  return Status::Ok();
}

Status ValidateXattrs(const std::vector<std::pair<std::string, std::string>>& xattrs,
                      const std::string& at) {
  if (xattrs.size() > UINT16_MAX) return InvalidArgumentError("too many xattrs" + at);
  for (size_t i = 0; i < xattrs.size(); ++i) {
    const auto& [name, value] = xattrs[i];
    if (name.empty() || name.size() > kMaxXattrName) {
      return InvalidArgumentError("invalid xattr name" + at);
    }
    if (value.size() > kMaxXattrValue) return InvalidArgumentError("xattr value above 64 KiB" + at);
    if (i > 0 && !(xattrs[i - 1].first < name)) {
      return InvalidArgumentError("xattrs out of order or repeated" + at);
    }
  }
  return Status::Ok();
}

// The attributes block of a version 2 tree: perms, uid, gid, mtime, xattr count and xattrs.
void EncodeSelf(Bytes* out, const DirAttributes& a) {
  PutU16(out, static_cast<uint16_t>(a.perms));
  PutFixed32(out, a.uid);
  PutFixed32(out, a.gid);
  PutFixed64(out, static_cast<uint64_t>(a.mtime_ns));
  EncodeXattrs(out, a.xattrs);
}

Status DecodeSelf(WireReader& in, DirAttributes* a) {
  uint16_t perms;
  if (!in.U16(&perms) || !in.U32(&a->uid) || !in.U32(&a->gid) || !in.I64(&a->mtime_ns)) {
    return in.Truncated("root attributes");
  }
  if (perms > 07777) return in.Fail("permission bits above 07777 in the root attributes");
  a->perms = perms;
  return DecodeXattrs(in, /*flagged=*/false, &a->xattrs, " in the root attributes");
}

// Version, totals and (version 2) the directory's own attributes.
Status DecodeHead(WireReader& in, TreeHead* head, uint8_t* version_out = nullptr) {
  uint8_t version;
  if (!in.U8(&version)) return in.Truncated("version");
  if (version < kTreeVersion || version > kTreeVersionPagedWithSelf) {
    return in.Fail("unknown tree version " + std::to_string(version));
  }
  if (version_out) *version_out = version;
  if (!in.U64(&head->totals.files) || !in.U64(&head->totals.dirs) || !in.U64(&head->totals.bytes)) {
    return in.Truncated("header");
  }
  if (version == kTreeVersionWithSelf || version == kTreeVersionPagedWithSelf) {
    head->self.emplace();
    RETURN_IF_ERROR(DecodeSelf(in, &*head->self));
  }
  return Status::Ok();
}

void EncodeEntry(Bytes* out, const TreeEntry& e) {
  PutU8(out, static_cast<uint8_t>(e.name.size()));
  PutRaw(out, e.name);
  PutU8(out, static_cast<uint8_t>(e.type));
  uint8_t flags = (e.link_group != 0 ? kFlagLinkGroup : 0) | (!e.xattrs.empty() ? kFlagXattrs : 0);
  PutU8(out, flags);
  PutU16(out, static_cast<uint16_t>(e.perms));
  PutFixed32(out, e.uid);
  PutFixed32(out, e.gid);
  PutFixed64(out, static_cast<uint64_t>(e.mtime_ns));
  if (e.link_group != 0) PutFixed64(out, e.link_group);
  if (!e.xattrs.empty()) EncodeXattrs(out, e.xattrs);
  switch (e.type) {
    case EntryType::kRegular:
      PutFixed64(out, e.size);
      if (e.data.list) {
        PutU8(out, kFormList);
        PutId(out, *e.data.list);
      } else {
        PutU8(out, kFormInline);
        PutU8(out, static_cast<uint8_t>(e.data.pieces.size()));
        for (const Piece& p : e.data.pieces) internal::EncodePiece(out, p);
      }
      break;
    case EntryType::kDirectory:
      PutId(out, e.subtree);
      PutFixed64(out, e.subtree_totals.files);
      PutFixed64(out, e.subtree_totals.dirs);
      PutFixed64(out, e.subtree_totals.bytes);
      break;
    case EntryType::kSymlink:
      PutU16(out, static_cast<uint16_t>(e.target.size()));
      PutRaw(out, e.target);
      break;
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
      PutFixed64(out, e.rdev);
      break;
    case EntryType::kFifo:
    case EntryType::kSocket:
      break;
  }
}

Status DecodeEntry(WireReader& in, TreeEntry* e) {
  uint8_t name_size, type, flags;
  uint16_t perms;
  if (!in.U8(&name_size) || !in.Raw(name_size, &e->name)) return in.Truncated("entry name");
  if (!ValidName(e->name)) return in.Fail("invalid entry name");
  const std::string at = " in entry '" + e->name + "'";
  if (!in.U8(&type) || !in.U8(&flags) || !in.U16(&perms) || !in.U32(&e->uid) || !in.U32(&e->gid) ||
      !in.I64(&e->mtime_ns)) {
    return in.Truncated("metadata" + at);
  }
  if (!KnownType(type)) return in.Fail("unknown entry type " + std::to_string(type) + at);
  e->type = static_cast<EntryType>(type);
  if (flags & ~(kFlagLinkGroup | kFlagXattrs)) return in.Fail("unknown entry flags" + at);
  if (perms > 07777) return in.Fail("permission bits above 07777" + at);
  e->perms = perms;
  if (flags & kFlagLinkGroup) {
    if (!in.U64(&e->link_group)) return in.Truncated("link group" + at);
    if (e->link_group == 0) return in.Fail("zero link group" + at);
    if (e->is_dir()) return in.Fail("link group on a directory" + at);
  }
  if (flags & kFlagXattrs) {
    RETURN_IF_ERROR(DecodeXattrs(in, /*flagged=*/true, &e->xattrs, at));
  }
  switch (e->type) {
    case EntryType::kRegular: {
      uint8_t form;
      if (!in.U64(&e->size) || !in.U8(&form)) return in.Truncated("file data" + at);
      if (form == kFormList) {
        storage::ChunkId id;
        if (!in.Id(&id)) return in.Truncated("list id" + at);
        if (e->size <= kMaxInlinePieces) return in.Fail("list form for a short file" + at);
        e->data.list = id;
      } else if (form == kFormInline) {
        uint8_t count;
        if (!in.U8(&count)) return in.Truncated("piece count" + at);
        if (count > kMaxInlinePieces) return in.Fail("too many inline pieces" + at);
        uint64_t total;
        Status s = internal::DecodePieces(in, count, &e->data.pieces, &total);
        if (!s.ok()) return s.WithContext("entry '" + e->name + "'");
        if (total != e->size) return in.Fail("pieces do not add up to the size" + at);
      } else {
        return in.Fail("unknown data form " + std::to_string(form) + at);
      }
      break;
    }
    case EntryType::kDirectory:
      if (!in.Id(&e->subtree) || !in.U64(&e->subtree_totals.files) ||
          !in.U64(&e->subtree_totals.dirs) || !in.U64(&e->subtree_totals.bytes)) {
        return in.Truncated("subtree" + at);
      }
      break;
    case EntryType::kSymlink: {
      uint16_t size;
      if (!in.U16(&size) || !in.Raw(size, &e->target)) return in.Truncated("symlink target" + at);
      if (size == 0 || size > kMaxSymlinkTarget || e->target.find('\0') != std::string::npos) {
        return in.Fail("invalid symlink target" + at);
      }
      break;
    }
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
      if (!in.U64(&e->rdev)) return in.Truncated("device number" + at);
      break;
    case EntryType::kFifo:
    case EntryType::kSocket:
      break;
  }
  return Status::Ok();
}

}  // namespace

const char* EntryTypeName(EntryType type) {
  switch (type) {
    case EntryType::kRegular:
      return "file";
    case EntryType::kDirectory:
      return "directory";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kCharDevice:
      return "char device";
    case EntryType::kBlockDevice:
      return "block device";
    case EntryType::kFifo:
      return "fifo";
    case EntryType::kSocket:
      return "socket";
  }
  return "unknown";
}

Result<EntryType> EntryTypeOfMode(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return EntryType::kRegular;
    case S_IFDIR:
      return EntryType::kDirectory;
    case S_IFLNK:
      return EntryType::kSymlink;
    case S_IFCHR:
      return EntryType::kCharDevice;
    case S_IFBLK:
      return EntryType::kBlockDevice;
    case S_IFIFO:
      return EntryType::kFifo;
    case S_IFSOCK:
      return EntryType::kSocket;
  }
  return InvalidArgumentError("unknown file type in mode " + std::to_string(mode));
}

uint32_t ModeTypeBits(EntryType type) {
  switch (type) {
    case EntryType::kRegular:
      return S_IFREG;
    case EntryType::kDirectory:
      return S_IFDIR;
    case EntryType::kSymlink:
      return S_IFLNK;
    case EntryType::kCharDevice:
      return S_IFCHR;
    case EntryType::kBlockDevice:
      return S_IFBLK;
    case EntryType::kFifo:
      return S_IFIFO;
    case EntryType::kSocket:
      return S_IFSOCK;
  }
  return 0;
}

Totals TreeObject::totals() const {
  Totals t;
  if (entries.empty()) {  // a paged directory's top object as decoded: its pages say
    for (const TreePage& p : pages) AddTotals(&t, p.totals);  // the decoder checked the sums
    return t;
  }
  for (const TreeEntry& e : entries)
    AddEntryTotals(&t, e);  // cannot overflow for a tree that encodes
  return t;
}

const TreeEntry* TreeObject::Find(std::string_view name) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const TreeEntry& e, std::string_view n) { return e.name < n; });
  return it != entries.end() && it->name == name ? &*it : nullptr;
}

Status ValidateEntry(const TreeEntry& e) {
  if (!ValidName(e.name)) return InvalidArgumentError("invalid entry name '" + e.name + "'");
  const std::string at = " in entry '" + e.name + "'";
  if (!KnownType(static_cast<uint8_t>(e.type))) return InvalidArgumentError("unknown type" + at);
  if (e.perms > 07777) return InvalidArgumentError("permission bits above 07777" + at);
  if (e.link_group != 0 && e.is_dir())
    return InvalidArgumentError("link group on a directory" + at);
  RETURN_IF_ERROR(ValidateXattrs(e.xattrs, at));
  const bool regular = e.type == EntryType::kRegular;
  const bool dir = e.is_dir();
  const bool device = e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice;
  if (!regular && (e.size != 0 || !e.data.pieces.empty() || e.data.list)) {
    return InvalidArgumentError("file data on a " + std::string(EntryTypeName(e.type)) + at);
  }
  if (!dir && (e.subtree != storage::ChunkId() || e.subtree_totals != Totals())) {
    return InvalidArgumentError("subtree on a " + std::string(EntryTypeName(e.type)) + at);
  }
  if (e.type == EntryType::kSymlink) {
    if (e.target.empty() || e.target.size() > kMaxSymlinkTarget ||
        e.target.find('\0') != std::string::npos) {
      return InvalidArgumentError("invalid symlink target" + at);
    }
  } else if (!e.target.empty()) {
    return InvalidArgumentError("symlink target on a " + std::string(EntryTypeName(e.type)) + at);
  }
  if (!device && e.rdev != 0) {
    return InvalidArgumentError("device number on a " + std::string(EntryTypeName(e.type)) + at);
  }
  if (regular) {
    if (e.data.list) {
      if (!e.data.pieces.empty()) return InvalidArgumentError("both list forms" + at);
      if (e.size <= kMaxInlinePieces)
        return InvalidArgumentError("list form for a short file" + at);
    } else {
      if (e.data.pieces.size() > kMaxInlinePieces) {
        return InvalidArgumentError("too many inline pieces" + at);
      }
      Status s = ValidatePieces(e.data.pieces);
      if (!s.ok()) return s.WithContext("entry '" + e.name + "'");
      uint64_t total = 0;
      for (const Piece& p : e.data.pieces) total += p.length;  // no overflow: validated
      if (total != e.size) return InvalidArgumentError("pieces do not add up to the size" + at);
    }
  }
  return Status::Ok();
}

Status ValidateDirAttributes(const DirAttributes& a) {
  const std::string at = " in the root attributes";
  if (a.perms > 07777) return InvalidArgumentError("permission bits above 07777" + at);
  return ValidateXattrs(a.xattrs, at);
}

Result<Bytes> EncodeTree(const TreeObject& tree) {
  if (tree.entries.size() > kMaxEntriesPerObject) {
    return InvalidArgumentError("a directory of " + std::to_string(tree.entries.size()) +
                                " entries is stored paged (EncodeTreeObjects)");
  }
  if (tree.self) RETURN_IF_ERROR(ValidateDirAttributes(*tree.self));
  Totals totals;
  for (size_t i = 0; i < tree.entries.size(); ++i) {
    const TreeEntry& e = tree.entries[i];
    RETURN_IF_ERROR(ValidateEntry(e));
    if (i > 0 && !(tree.entries[i - 1].name < e.name)) {
      return InvalidArgumentError("tree entries out of order or repeated at '" + e.name + "'");
    }
    if (!AddEntryTotals(&totals, e)) {
      return InvalidArgumentError("subtree totals overflow at '" + e.name + "'");
    }
  }
  Bytes out;
  out.reserve(kTreeHeaderSize + tree.entries.size() * 64);
  PutU8(&out, tree.self ? kTreeVersionWithSelf : kTreeVersion);
  PutFixed64(&out, totals.files);
  PutFixed64(&out, totals.dirs);
  PutFixed64(&out, totals.bytes);
  if (tree.self) EncodeSelf(&out, *tree.self);
  PutFixed32(&out, static_cast<uint32_t>(tree.entries.size()));
  for (const TreeEntry& e : tree.entries) {
    EncodeEntry(&out, e);
    if (out.size() > storage::kMaxPlaintextSize) {
      return ResourceExhaustedError("directory's tree object exceeds " +
                                    std::to_string(storage::kMaxPlaintextSize >> 20) + " MiB at '" +
                                    e.name + "'");
    }
  }
  return out;
}

Result<Totals> PeekTreeTotals(ByteView bytes) {
  ASSIGN_OR_RETURN(TreeHead head, PeekTreeHead(bytes));
  return head.totals;
}

Result<TreeHead> PeekTreeHead(ByteView bytes) {
  WireReader in(bytes, "tree object");
  TreeHead head;
  RETURN_IF_ERROR(DecodeHead(in, &head));
  return head;
}

namespace {

// A paged directory's top object after its header: the page count, then each page's id and
// totals, which must add up to the header's.
Result<TreeObject> DecodePagedTop(WireReader& in, TreeHead head) {
  constexpr size_t kPageRefSize = storage::ChunkId::kSize + 24;
  uint32_t count;
  if (!in.U32(&count)) return in.Truncated("page count");
  if (count < 2 || count > in.remaining() / kPageRefSize) {
    return in.Fail("absurd page count " + std::to_string(count));
  }
  TreeObject tree;
  tree.self = std::move(head.self);
  tree.pages.resize(count);
  Totals sum;
  for (TreePage& page : tree.pages) {
    if (!in.Id(&page.id) || !in.U64(&page.totals.files) || !in.U64(&page.totals.dirs) ||
        !in.U64(&page.totals.bytes)) {
      return in.Truncated("page");
    }
    if (!AddTotals(&sum, page.totals)) return in.Fail("page totals overflow");
  }
  if (in.remaining() != 0) return in.Fail("trailing bytes");
  if (sum != head.totals) return in.Fail("header totals do not match the pages");
  return tree;
}

// Content-defined page boundaries: a page ends after an entry whose name hashes to a cut point
// (about one in 4096 names), or at kMaxPageEntries; never before kMinPageEntries. XXH3-64 of the
// name is part of the format: it must not change.
constexpr size_t kMinPageEntries = 1024;
constexpr size_t kMaxPageEntries = 16384;
bool IsPageCut(std::string_view name) { return (XXH3_64bits(name.data(), name.size()) & 0xFFF) == 0; }

}  // namespace

Result<EncodedTree> EncodeTreeObjects(const TreeObject& tree, const storage::ChunkHasher& hasher) {
  EncodedTree out;
  if (tree.entries.size() <= kMaxEntriesPerObject) {
    ASSIGN_OR_RETURN(out.bytes, EncodeTree(tree));
    out.id = hasher.Hash(out.bytes);
    return out;
  }
  if (tree.self) RETURN_IF_ERROR(ValidateDirAttributes(*tree.self));
  std::vector<TreePage> refs;
  TreeObject page;
  auto close_page = [&]() -> Status {
    ASSIGN_OR_RETURN(Bytes bytes, EncodeTree(page));  // validates entries and their order
    TreePage ref{hasher.Hash(bytes), page.totals()};
    refs.push_back(ref);
    out.pages.emplace_back(ref.id, std::move(bytes));
    page.entries.clear();
    return Status::Ok();
  };
  for (size_t i = 0; i < tree.entries.size(); ++i) {
    const TreeEntry& e = tree.entries[i];
    if (i > 0 && !(tree.entries[i - 1].name < e.name)) {
      return InvalidArgumentError("tree entries out of order or repeated at '" + e.name + "'");
    }
    page.entries.push_back(e);
    const size_t n = page.entries.size();
    if ((n >= kMinPageEntries && IsPageCut(e.name)) || n == kMaxPageEntries) {
      RETURN_IF_ERROR(close_page());
    }
  }
  if (!page.entries.empty()) RETURN_IF_ERROR(close_page());
  TreeObject top;
  top.self = tree.self;
  top.pages = std::move(refs);
  ASSIGN_OR_RETURN(out.bytes, EncodePagedTop(top));
  out.id = hasher.Hash(out.bytes);
  return out;
}

Result<Bytes> EncodePagedTop(const TreeObject& top) {
  if (top.pages.size() < 2 || top.pages.size() > UINT32_MAX) {
    return InvalidArgumentError("a paged directory has 2 or more pages, not " +
                                std::to_string(top.pages.size()));
  }
  if (top.self) RETURN_IF_ERROR(ValidateDirAttributes(*top.self));
  Totals totals;
  for (const TreePage& ref : top.pages) {
    if (!AddTotals(&totals, ref.totals)) return InvalidArgumentError("page totals overflow");
  }
  Bytes out;
  PutU8(&out, top.self ? kTreeVersionPagedWithSelf : kTreeVersionPaged);
  PutFixed64(&out, totals.files);
  PutFixed64(&out, totals.dirs);
  PutFixed64(&out, totals.bytes);
  if (top.self) EncodeSelf(&out, *top.self);
  PutFixed32(&out, static_cast<uint32_t>(top.pages.size()));
  for (const TreePage& ref : top.pages) {
    PutId(&out, ref.id);
    PutFixed64(&out, ref.totals.files);
    PutFixed64(&out, ref.totals.dirs);
    PutFixed64(&out, ref.totals.bytes);
  }
  return out;
}

Status CheckTreePage(const TreeObject& page, const TreePage& ref,
                     const std::vector<TreeEntry>& previous) {
  const std::string at = "page " + ref.id.ToHex();
  if (page.self || !page.pages.empty() || page.entries.empty()) {
    return DataLossError(at + " is not a page of entries");
  }
  if (page.totals() != ref.totals) return DataLossError(at + ": totals differ from the directory's");
  if (!previous.empty() && !(previous.back().name < page.entries.front().name)) {
    return DataLossError(at + ": names out of order across pages at '" +
                         page.entries.front().name + "'");
  }
  return Status::Ok();
}

Result<TreeObject> DecodeTree(ByteView bytes) {
  WireReader in(bytes, "tree object");
  if (bytes.size() > storage::kMaxPlaintextSize) return in.Fail("object larger than a record");
  TreeHead head;
  uint8_t version = 0;
  RETURN_IF_ERROR(DecodeHead(in, &head, &version));
  if (version == kTreeVersionPaged || version == kTreeVersionPagedWithSelf) {
    return DecodePagedTop(in, std::move(head));
  }
  const Totals header = head.totals;
  uint32_t count;
  if (!in.U32(&count)) return in.Truncated("header");
  if (count > in.remaining() / kMinEntrySize) {
    return in.Fail("absurd entry count " + std::to_string(count));
  }
  TreeObject tree;
  tree.self = std::move(head.self);
  tree.entries.resize(count);
  Totals totals;
  for (uint32_t i = 0; i < count; ++i) {
    TreeEntry& e = tree.entries[i];
    RETURN_IF_ERROR(DecodeEntry(in, &e));
    if (i > 0 && !(tree.entries[i - 1].name < e.name)) {
      return in.Fail(tree.entries[i - 1].name == e.name
                         ? "repeated name '" + e.name + "'"
                         : "names out of order at '" + e.name + "' (not canonical)");
    }
    if (!AddEntryTotals(&totals, e)) return in.Fail("totals overflow");
  }
  if (in.remaining() != 0) return in.Fail("trailing bytes");
  if (totals != header) return in.Fail("header totals do not match the entries");
  return tree;
}

}  // namespace berth::snapshot
