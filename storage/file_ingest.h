#ifndef BERTH_STORAGE_FILE_INGEST_H_
#define BERTH_STORAGE_FILE_INGEST_H_

#include <cstdint>
#include <memory>
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
  uint64_t new_chunks = 0;        // chunks the store did not hold yet
  uint64_t new_stored_bytes = 0;  // their stored (compressed) size
};

// The write path for whole files: read, chunk, hash, compress and store. Chunks are written in
// atomic batches of about `batch_bytes` stored bytes. Keeps one read buffer for all the files it
// ingests. Not thread-safe; use one per thread (the store is shared).
class FileIngester {
 public:
  // `store` and `chunker` are borrowed and must outlive the ingester.
  FileIngester(ChunkStore& store, const Chunker& chunker, size_t batch_bytes = 8u << 20);

  // Reads `fd` from its current offset to EOF. `name` is for error messages.
  Result<IngestedFile> Ingest(int fd, const std::string& name);

 private:
  ChunkStore& store_;
  const Chunker& chunker_;
  const size_t batch_bytes_;
  const size_t buffer_size_;
  std::unique_ptr<uint8_t[]> buffer_;  // uninitialised on purpose: filled by read(2)
};

}  // namespace berth::storage

#endif  // BERTH_STORAGE_FILE_INGEST_H_
