#ifndef BERTH_SNAPSHOT_INTERNAL_PIECES_H_
#define BERTH_SNAPSHOT_INTERNAL_PIECES_H_

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "snapshot/chunk_list.h"
#include "snapshot/internal/wire.h"

namespace berth::snapshot::internal {

// A piece on the wire: tag 0 = chunk (id 32, length u32), tag 1 = hole (length u64).
inline constexpr uint8_t kPieceChunk = 0;
inline constexpr uint8_t kPieceHole = 1;
inline constexpr size_t kMinPieceSize = 9;  // a hole; a chunk piece takes 37

// REQUIRES: ValidatePieces holds for the sequence the piece belongs to.
void EncodePiece(Bytes* out, const Piece& piece);

// Reads `count` pieces, refusing empty pieces, chunk pieces longer than a record can hold and a
// hole right after a hole. Sets *total to the sum of their lengths (DataLoss on overflow).
Status DecodePieces(WireReader& in, size_t count, std::vector<Piece>* pieces, uint64_t* total);

}  // namespace berth::snapshot::internal

#endif  // BERTH_SNAPSHOT_INTERNAL_PIECES_H_
