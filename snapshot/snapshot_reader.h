#ifndef BERTH_SNAPSHOT_SNAPSHOT_READER_H_
#define BERTH_SNAPSHOT_SNAPSHOT_READER_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "snapshot/chunk_list.h"
#include "snapshot/tree_object.h"
#include "storage/chunk_id.h"
#include "storage/chunk_store.h"

namespace berth::snapshot {

// Reads snapshots from the chunk store: resolves paths, lists directories, reads files (holes as
// zeros), walks trees. Paths are '/'-separated and relative to the snapshot's root; "", "/" and
// "." name the root; empty components and "." are skipped, ".." is refused. Errors name the path:
// ENOENT (NotFound) for a missing name, ENOTDIR for a path through a non-directory, DataLoss
// when an object on the way is corrupt or missing from the store.
// Thread-safe (stateless over a thread-safe store).
class SnapshotReader {
 public:
  // `chunks` is borrowed and must outlive the reader.
  explicit SnapshotReader(const storage::ChunkStore* chunks) : chunks_(chunks) {}

  // The entry at `path` under the tree `root`. The root itself is given as a directory entry
  // named "" with `subtree` = root, its totals and the attributes its tree object carries
  // (RootHead; a root written before format version 2 has none: they stay zero).
  Result<TreeEntry> Stat(const storage::ChunkId& root, std::string_view path) const;
  // The root tree's totals and own attributes, without decoding its entries.
  Result<TreeHead> RootHead(const storage::ChunkId& root) const;
  // The entries of the directory at `path`, in name order.
  Result<std::vector<TreeEntry>> List(const storage::ChunkId& root, std::string_view path) const;
  // A tree object by id ("where" names it in errors).
  Result<TreeObject> Tree(const storage::ChunkId& id, std::string_view where = "") const;

  // Calls `visit(offset, piece)` for the pieces of regular file `file` that overlap
  // [offset, offset + length), in file order, with each piece's file offset. A piece is handed
  // over whole; the caller cuts it to the range. Checks on the way that list objects add up to
  // the file's size.
  Status ForEachPiece(const TreeEntry& file, uint64_t offset, uint64_t length,
                      const std::function<Status(uint64_t, const Piece&)>& visit) const;
  // Up to `length` bytes of `file` from `offset`, fewer at the end of the file, holes as zeros.
  // DataLoss when a chunk is missing, corrupt, or shorter than its piece.
  Result<Bytes> ReadFile(const TreeEntry& file, uint64_t offset, uint64_t length) const;
  // The plaintext of a data chunk, checked to hold at least `length` bytes.
  Result<Bytes> ReadChunk(const storage::ChunkId& id, uint64_t length) const;

  // Visits every entry under the directory `root`, depth first in name order, each with its path
  // ("/a/b"). For a directory, `visit` returns whether to descend into it. Stops at the first
  // error, from a corrupt tree or from `visit`.
  using Visitor = std::function<Result<bool>(const std::string& path, const TreeEntry& entry)>;
  Status Walk(const storage::ChunkId& root, const Visitor& visit) const;

  const storage::ChunkStore& chunks() const { return *chunks_; }

 private:
  Status ForEachListPiece(const storage::ChunkId& id, uint8_t want_level, uint64_t want_bytes,
                          uint64_t base, uint64_t begin, uint64_t end,
                          const std::function<Status(uint64_t, const Piece&)>& visit) const;

  const storage::ChunkStore* const chunks_;
};

// Splits a snapshot path into its names; InvalidArgument for "..".
Result<std::vector<std::string>> SplitSnapshotPath(std::string_view path);

// GC marking: adds to `marked` every object reachable from the trees `roots`: tree objects,
// list objects and the data chunks they name. A tree already in `marked` is not visited again
// (nor anything below it), so marking many snapshots of one project costs the objects they do
// not share. Errors (a missing or corrupt object) name the path and the id.
Status MarkReachable(const storage::ChunkStore& chunks, std::span<const storage::ChunkId> roots,
                     storage::ChunkIdSet* marked);

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_READER_H_
