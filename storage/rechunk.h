#ifndef BERTH_STORAGE_RECHUNK_H_
#define BERTH_STORAGE_RECHUNK_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/chunker.h"

namespace berth::storage {

// How a byte sequence changed: the new content equals the old one before `begin` and, from
// `end` on, equals the old content shifted by `size_delta` (new[i] == old[i - size_delta] for
// i >= end). An overwrite has size_delta 0, an insertion of k bytes at p is {p, p + k, +k},
// a deletion of k bytes at p is {p, p, -k}, an append or a truncation touches the tail.
struct Edit {
  uint64_t begin = 0;      // first changed byte, in new coordinates
  uint64_t end = 0;        // one past the last changed byte, in new coordinates
  int64_t size_delta = 0;  // new size minus old size
};

// Which old chunks an edit replaces, and by what.
struct RechunkResult {
  size_t replace_begin = 0;  // index of the first old chunk replaced
  size_t replace_end = 0;    // one past the last old chunk replaced
  uint64_t offset = 0;       // where the first new chunk starts (same in old and new content)
  std::vector<uint32_t> lengths;  // the new chunks, in order
};

// Reads new.size() bytes of the new content at `offset` into `out`.
using ReadAt = std::function<Status(uint64_t offset, std::span<uint8_t> out)>;
// Receives each new chunk as it is cut, with its offset in the new content.
using EmitChunk = std::function<Status(uint64_t offset, ByteView chunk)>;

// Re-chunks only the changed region of a chunked byte sequence. Starts at the old chunk that
// holds the edit's first byte and stops at the first new cut, at or past the edit's end, that
// lands on an old cut (shifted by size_delta): from there on the old chunks are kept, because a
// cut depends only on the bytes since the previous one. Splicing result.lengths into old_lengths
// at [replace_begin, replace_end) gives exactly chunker.Split(new content).
//
// `old_lengths` must be the chunking of the old content by the same chunker. `emit` may be null.
Result<RechunkResult> Rechunk(const Chunker& chunker, std::span<const uint32_t> old_lengths,
                              const Edit& edit, const ReadAt& read_new, const EmitChunk& emit);

}  // namespace berth::storage

#endif  // BERTH_STORAGE_RECHUNK_H_
