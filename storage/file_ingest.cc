#include "storage/file_ingest.h"

#include <algorithm>

#include "storage/chunk_stream.h"

namespace berth::storage {

FileIngester::FileIngester(ChunkStore& store, const Chunker& chunker, size_t batch_bytes)
    : store_(store),
      chunker_(chunker),
      batch_bytes_(batch_bytes),
      buffer_size_(std::max<size_t>(4 * chunker.options().max_size, 1u << 20)),
      buffer_(new uint8_t[buffer_size_]) {}

Result<IngestedFile> FileIngester::Ingest(int fd, const std::string& name) {
  IngestedFile file;
  rocksdb::WriteBatch batch;
  size_t batch_payload = 0;
  ChunkIdSet in_batch;  // the store cannot see the unwritten batch: dedup within it here

  auto flush = [&]() -> Status {
    if (batch.Count() > 0) RETURN_IF_ERROR(store_.database()->Write(&batch));
    batch.Clear();
    batch_payload = 0;
    in_batch.clear();
    return Status::Ok();
  };
  auto store = [&](uint64_t, ByteView chunk) -> Status {
    ChunkId id = store_.IdOf(chunk);
    if (in_batch.insert(id).second) {
      ASSIGN_OR_RETURN(PutResult put, store_.AddToBatch(&batch, ChunkKind::kData, chunk, id));
      if (put.added) {
        ++file.new_chunks;
        file.new_stored_bytes += put.stored_size;
        batch_payload += put.stored_size;
      }
    }
    file.chunks.push_back({id, static_cast<uint32_t>(chunk.size())});
    if (batch_payload >= batch_bytes_) RETURN_IF_ERROR(flush());
    return Status::Ok();
  };
  ASSIGN_OR_RETURN(file.size, ChunkStream(chunker_, std::span<uint8_t>(buffer_.get(), buffer_size_),
                                          ReadFd(fd, name), store));
  RETURN_IF_ERROR(flush());
  return file;
}

}  // namespace berth::storage
