#include "snapshot/chunk_list.h"

#include <algorithm>
#include <string>
#include <utility>

#include "snapshot/internal/pieces.h"
#include "snapshot/internal/wire.h"

namespace berth::snapshot {

using internal::PutId;
using internal::PutU8;
using internal::WireReader;

namespace internal {

void EncodePiece(Bytes* out, const Piece& piece) {
  if (piece.hole()) {
    PutU8(out, kPieceHole);
    PutFixed64(out, piece.length);
  } else {
    PutU8(out, kPieceChunk);
    PutId(out, *piece.chunk);
    PutFixed32(out, static_cast<uint32_t>(piece.length));
  }
}

Status DecodePieces(WireReader& in, size_t count, std::vector<Piece>* pieces, uint64_t* total) {
  pieces->reserve(pieces->size() + count);
  *total = 0;
  bool previous_hole = false;
  for (size_t i = 0; i < count; ++i) {
    uint8_t tag;
    if (!in.U8(&tag)) return in.Truncated("piece");
    Piece piece;
    if (tag == kPieceChunk) {
      storage::ChunkId id;
      uint32_t length;
      if (!in.Id(&id) || !in.U32(&length)) return in.Truncated("chunk piece");
      if (length == 0) return in.Fail("empty chunk piece");
      if (length > storage::kMaxPlaintextSize) return in.Fail("chunk piece longer than a chunk");
      piece = Piece::Data(id, length);
      previous_hole = false;
    } else if (tag == kPieceHole) {
      uint64_t length;
      if (!in.U64(&length)) return in.Truncated("hole");
      if (length == 0) return in.Fail("empty hole");
      if (previous_hole) return in.Fail("two holes in a row (not canonical)");
      piece = Piece::Hole(length);
      previous_hole = true;
    } else {
      return in.Fail("unknown piece tag " + std::to_string(tag));
    }
    if (__builtin_add_overflow(*total, piece.length, total)) {
      return in.Fail("piece lengths overflow");
    }
    pieces->push_back(std::move(piece));
  }
  return Status::Ok();
}

}  // namespace internal

namespace {

constexpr size_t kListHeaderSize = 6;  // version, level, count
constexpr size_t kListChildSize = 48;  // id, bytes, pieces

// Content-defined split: an object ends after an item whose id has its low 12 bits zero
// (about one in 4096), so an insertion moves only the boundaries next to it.
bool IsCutPoint(const storage::ChunkId& id) {
  ByteView b = id.bytes();
  return ((b[0] | b[1] << 8) & 0x0FFF) == 0;
}

Status AppendObject(const ListObject& list, const storage::ChunkHasher& hasher,
                    std::vector<EncodedObject>* objects, std::vector<ListChild>* parents) {
  ASSIGN_OR_RETURN(Bytes bytes, EncodeListObject(list));
  storage::ChunkId id = hasher.Hash(bytes);
  parents->push_back(ListChild{id, list.bytes(), list.piece_count()});
  objects->push_back(EncodedObject{id, storage::ChunkKind::kList, std::move(bytes)});
  return Status::Ok();
}

}  // namespace

uint64_t ListObject::bytes() const {
  uint64_t total = 0;
  for (const Piece& p : pieces) {
    if (__builtin_add_overflow(total, p.length, &total)) return UINT64_MAX;
  }
  for (const ListChild& c : children) {
    if (__builtin_add_overflow(total, c.bytes, &total)) return UINT64_MAX;
  }
  return total;
}

uint64_t ListObject::piece_count() const {
  if (level == 0) return pieces.size();
  uint64_t total = 0;
  for (const ListChild& c : children) {
    if (__builtin_add_overflow(total, c.pieces, &total)) return UINT64_MAX;
  }
  return total;
}

Status ValidatePieces(std::span<const Piece> pieces) {
  bool previous_hole = false;
  uint64_t total = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    std::string where = "piece " + std::to_string(i);
    if (p.length == 0) return InvalidArgumentError(where + " is empty");
    if (!p.hole() && p.length > storage::kMaxPlaintextSize) {
      return InvalidArgumentError(where + " is longer than a chunk can be");
    }
    if (p.hole() && previous_hole) return InvalidArgumentError(where + ": two holes in a row");
    if (__builtin_add_overflow(total, p.length, &total)) {
      return InvalidArgumentError("piece lengths overflow");
    }
    previous_hole = p.hole();
  }
  return Status::Ok();
}

Result<Bytes> EncodeListObject(const ListObject& list) {
  if (list.level > kMaxListLevel) {
    return InvalidArgumentError("list level " + std::to_string(list.level) + " above the maximum");
  }
  const size_t count = list.level == 0 ? list.pieces.size() : list.children.size();
  if ((list.level == 0 && !list.children.empty()) || (list.level > 0 && !list.pieces.empty())) {
    return InvalidArgumentError("list object mixes pieces and children");
  }
  if (count == 0 || count > kMaxListFanout) {
    return InvalidArgumentError("list object with " + std::to_string(count) + " items");
  }
  Bytes out;
  out.reserve(kListHeaderSize + count * kListChildSize);
  PutU8(&out, kListVersion);
  PutU8(&out, list.level);
  PutFixed32(&out, static_cast<uint32_t>(count));
  if (list.level == 0) {
    RETURN_IF_ERROR(ValidatePieces(list.pieces));
    for (const Piece& p : list.pieces) internal::EncodePiece(&out, p);
  } else {
    for (const ListChild& c : list.children) {
      if (c.bytes == 0 || c.pieces == 0) return InvalidArgumentError("empty list child");
      PutId(&out, c.id);
      PutFixed64(&out, c.bytes);
      PutFixed64(&out, c.pieces);
    }
  }
  return out;
}

Result<ListObject> DecodeListObject(ByteView bytes) {
  WireReader in(bytes, "list object");
  if (bytes.size() > storage::kMaxPlaintextSize) return in.Fail("object larger than a record");
  uint8_t version;
  ListObject list;
  uint32_t count;
  if (!in.U8(&version)) return in.Truncated("version");
  if (version != kListVersion) {
    return in.Fail("unknown list object version " + std::to_string(version));
  }
  if (!in.U8(&list.level) || !in.U32(&count)) return in.Truncated("header");
  if (list.level > kMaxListLevel) {
    return in.Fail("list level " + std::to_string(list.level) + " above the maximum");
  }
  if (count == 0) return in.Fail("empty list object");
  const size_t min_item = list.level == 0 ? internal::kMinPieceSize : kListChildSize;
  if (count > kMaxListFanout || count > in.remaining() / min_item) {
    return in.Fail("absurd item count " + std::to_string(count));
  }
  if (list.level == 0) {
    uint64_t total;
    RETURN_IF_ERROR(internal::DecodePieces(in, count, &list.pieces, &total));
  } else {
    list.children.reserve(count);
    uint64_t bytes_total = 0, pieces_total = 0;
    for (uint32_t i = 0; i < count; ++i) {
      ListChild c;
      if (!in.Id(&c.id) || !in.U64(&c.bytes) || !in.U64(&c.pieces)) return in.Truncated("child");
      if (c.bytes == 0 || c.pieces == 0) return in.Fail("empty list child");
      if (__builtin_add_overflow(bytes_total, c.bytes, &bytes_total) ||
          __builtin_add_overflow(pieces_total, c.pieces, &pieces_total)) {
        return in.Fail("child totals overflow");
      }
      list.children.push_back(c);
    }
  }
  if (in.remaining() != 0) return in.Fail("trailing bytes");
  return list;
}

Result<std::vector<Piece>> PiecesFromExtents(std::span<const SourceExtent> extents, uint64_t size) {
  std::vector<Piece> pieces;
  pieces.reserve(extents.size() + 1);
  uint64_t at = 0;  // end of what the pieces cover so far
  for (const SourceExtent& e : extents) {
    if (e.length == 0) return InvalidArgumentError("empty extent at " + std::to_string(e.offset));
    if (e.offset < at) {
      return InvalidArgumentError("extent at " + std::to_string(e.offset) +
                                  " overlaps or is out of order");
    }
    if (e.length > storage::kMaxPlaintextSize) {
      return InvalidArgumentError("extent at " + std::to_string(e.offset) +
                                  " is longer than a chunk can be");
    }
    if (e.offset >= size) break;
    if (e.offset > at) pieces.push_back(Piece::Hole(e.offset - at));
    uint64_t length = std::min(e.length, size - e.offset);
    pieces.push_back(Piece::Data(e.chunk, length));
    at = e.offset + length;
  }
  if (at < size) pieces.push_back(Piece::Hole(size - at));
  return pieces;
}

Result<ChunkList> BuildChunkList(std::vector<Piece> pieces, const storage::ChunkHasher& hasher,
                                 std::vector<EncodedObject>* objects) {
  RETURN_IF_ERROR(ValidatePieces(pieces));
  if (pieces.size() <= kMaxInlinePieces) return ChunkList{std::move(pieces), std::nullopt};

  std::vector<ListChild> level_items;
  {
    ListObject leaf;
    for (Piece& p : pieces) {
      bool cut = !p.hole() && IsCutPoint(*p.chunk);
      leaf.pieces.push_back(std::move(p));
      if (cut || leaf.pieces.size() == kMaxListFanout) {
        RETURN_IF_ERROR(AppendObject(leaf, hasher, objects, &level_items));
        leaf.pieces.clear();
      }
    }
    if (!leaf.pieces.empty()) RETURN_IF_ERROR(AppendObject(leaf, hasher, objects, &level_items));
  }
  for (uint8_t level = 1; level_items.size() > 1; ++level) {
    if (level > kMaxListLevel) return ResourceExhaustedError("file too large for a chunk list");
    std::vector<ListChild> parents;
    ListObject index;
    index.level = level;
    for (const ListChild& c : level_items) {
      index.children.push_back(c);
      if (IsCutPoint(c.id) || index.children.size() == kMaxListFanout) {
        RETURN_IF_ERROR(AppendObject(index, hasher, objects, &parents));
        index.children.clear();
      }
    }
    if (!index.children.empty()) RETURN_IF_ERROR(AppendObject(index, hasher, objects, &parents));
    level_items = std::move(parents);
  }
  return ChunkList{{}, level_items.front().id};
}

}  // namespace berth::snapshot
