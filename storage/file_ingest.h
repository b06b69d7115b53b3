#ifndef BERTH_STORAGE_FILE_INGEST_H_
#define BERTH_STORAGE_FILE_INGEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/chunk_id.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"

namespace berth::storage {

struct ChunkRef {
  ChunkId id;
  uint32_t length = 0;
};

struct IngestedFile {
  std::vector<ChunkRef> chunks;  // in file order; lengths sum to the file size
  uint64_t size = 0;
  uint64_t new_chunks = 0;       // chunks the store did not hold yet
  uint64_t new_stored_bytes = 0;  // their stored (compressed) size
};

// The write path for a whole file: read, chunk, hash, compress and store. Chunks are written in
// atomic batches of about `batch_bytes`. The descriptor is read from its current offset to EOF.
// Not thread-safe per call; several threads may ingest different files into one store.
Result<IngestedFile> IngestFile(ChunkStore& store, const Chunker& chunker, int fd,
                                const std::string& name_for_errors,
                                size_t batch_bytes = 8u << 20);

}  // namespace berth::storage

#endif  // BERTH_STORAGE_FILE_INGEST_H_
