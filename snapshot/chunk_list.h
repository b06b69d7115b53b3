#ifndef BERTH_SNAPSHOT_CHUNK_LIST_H_
#define BERTH_SNAPSHOT_CHUNK_LIST_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "snapshot/tree_source.h"
#include "storage/chunk_id.h"
#include "storage/record.h"

namespace berth::snapshot {

// The version byte of list objects (doc/snapshot_format.md).
inline constexpr uint8_t kListVersion = 1;
// A file of at most this many pieces keeps its list inline in its tree entry; a longer one refers
// to list objects.
inline constexpr size_t kMaxInlinePieces = 8;
// Pieces per leaf list object and children per index list object, at most. Bounds every list
// object below 1 MiB (16384 x 48 bytes = 768 KiB).
inline constexpr size_t kMaxListFanout = 16384;
// List objects form a tree at most this many index levels above the leaves. With content-defined
// splitting one index level already covers terabytes.
inline constexpr uint8_t kMaxListLevel = 4;

// One run of a regular file's bytes, in file order: the first `length` bytes of a data chunk
// (normally all of it), or a hole of `length` zero bytes. A plain value type.
struct Piece {
  uint64_t length = 0;
  std::optional<storage::ChunkId> chunk;  // empty: a hole

  bool hole() const { return !chunk.has_value(); }
  static Piece Hole(uint64_t length) { return Piece{length, std::nullopt}; }
  static Piece Data(const storage::ChunkId& id, uint64_t length) { return Piece{length, id}; }
  friend bool operator==(const Piece&, const Piece&) = default;
};

// A regular file's content as its tree entry holds it: either inline pieces, or the id of the
// root list object. Exactly one form is used: `list` set means `pieces` is empty.
struct ChunkList {
  std::vector<Piece> pieces;
  std::optional<storage::ChunkId> list;
  friend bool operator==(const ChunkList&, const ChunkList&) = default;
};

// A child of an index list object: a list object and what it covers.
struct ListChild {
  storage::ChunkId id;
  uint64_t bytes = 0;   // file bytes covered by the child's subtree
  uint64_t pieces = 0;  // pieces in the child's subtree
  friend bool operator==(const ListChild&, const ListChild&) = default;
};

// A decoded list object (chunk kind kList): a leaf (level 0) holds pieces; an index (level >= 1)
// holds children of level - 1.
struct ListObject {
  uint8_t level = 0;
  std::vector<Piece> pieces;        // level 0
  std::vector<ListChild> children;  // level >= 1
  uint64_t bytes() const;           // file bytes covered; saturates instead of wrapping
  uint64_t piece_count() const;
  friend bool operator==(const ListObject&, const ListObject&) = default;
};

// An object ready to be stored: its id, kind and canonical bytes.
struct EncodedObject {
  storage::ChunkId id;
  storage::ChunkKind kind = storage::ChunkKind::kTree;
  Bytes bytes;
};

// The canonical encoding. InvalidArgument when the object breaks a rule of the format (empty,
// too many pieces or children, zero lengths, adjacent holes, a level out of range).
Result<Bytes> EncodeListObject(const ListObject& list);
// Bounds-checked; DataLoss saying what is wrong for anything but the canonical encoding of a
// valid list object of version kListVersion (trailing bytes included).
Result<ListObject> DecodeListObject(ByteView bytes);

// The canonical pieces of a file of `size` bytes with data `extents` (offset order, gaps are
// holes, a gap at the end is a trailing hole). An extent reaching past `size` is cut at `size`.
// InvalidArgument when extents overlap, are out of order, empty, or longer than a chunk can be.
Result<std::vector<Piece>> PiecesFromExtents(std::span<const SourceExtent> extents, uint64_t size);

// Checks that `pieces` are canonical: no empty piece, no two holes in a row, chunk pieces no
// longer than a chunk can be. InvalidArgument otherwise.
Status ValidatePieces(std::span<const Piece> pieces);

// The ChunkList of canonical `pieces`: inline when there are at most kMaxInlinePieces, else list
// objects (split where a chunk id's low 12 bits are zero, or at kMaxListFanout, so an edit
// changes only the list objects around it), appended to `objects` leaves first. Deterministic:
// the same pieces give the same bytes and ids.
Result<ChunkList> BuildChunkList(std::vector<Piece> pieces, const storage::ChunkHasher& hasher,
                                 std::vector<EncodedObject>* objects);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_CHUNK_LIST_H_
