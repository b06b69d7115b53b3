#ifndef BERTH_STORAGE_CHUNKER_H_
#define BERTH_STORAGE_CHUNKER_H_

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace berth::storage {

struct ChunkerOptions {
  // No content-defined cut before this many bytes; a file smaller than this is one chunk.
  // Default: 16 KiB.
  uint32_t min_size = 16 << 10;
  // Expected chunk size; must be a power of two. Default: 64 KiB.
  uint32_t avg_size = 64 << 10;
  // A chunk is cut here whatever the content. Default: 256 KiB.
  uint32_t max_size = 256 << 10;
  // FastCDC normalization level: how many bits harder a cut is before avg_size and easier after,
  // which narrows the spread of sizes around avg_size. Default: 2.
  int normalization = 2;

  // OK when 64 <= min_size < avg_size < max_size <= 16 MiB, avg_size is a power of two and
  // 0 <= normalization <= 4.
  Status Validate() const;
};

// FastCDC content-defined chunking (Xia et al., "FastCDC", USENIX ATC 2016): a gear rolling hash
// with cut-point skipping below min_size and normalized chunking around avg_size.
//
// A cut depends only on the bytes since the previous cut, so after an edit the chunking of a file
// falls back into step with the old one at the first boundary the two share (see rechunk.h).
// The gear table is fixed forever: changing it changes every chunk id (doc/chunking.md).
// Thread-safe (immutable).
class Chunker {
 public:
  // REQUIRES: options.Validate().ok().
  explicit Chunker(const ChunkerOptions& options = {});

  // Length of the chunk that starts at data[0]: the first content-defined cut point, or
  // max_size, or data.size() if the data ends first. Callers pass fewer than max_size bytes only
  // at the end of the stream, since the cut can lie anywhere up to max_size.
  size_t FindCut(ByteView data) const;

  // Lengths of the chunks of a whole buffer, in order; they sum to data.size().
  std::vector<uint32_t> Split(ByteView data) const;

  const ChunkerOptions& options() const { return options_; }

 private:
  ChunkerOptions options_;
  uint64_t mask_small_;  // before avg_size: more bits must be zero, so cuts are rarer
  uint64_t mask_large_;  // after avg_size: fewer bits, so cuts come sooner
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_CHUNKER_H_
