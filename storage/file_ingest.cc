#include "storage/file_ingest.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace berth::storage {

FileIngester::FileIngester(ChunkStore& store, const Chunker& chunker, size_t batch_bytes)
    : store_(store),
      chunker_(chunker),
      batch_bytes_(batch_bytes),
      buffer_size_(std::max<size_t>(4 * chunker.options().max_size, 1u << 20)),
      buffer_(new uint8_t[buffer_size_]) {}

Result<IngestedFile> FileIngester::Ingest(int fd, const std::string& name) {
  IngestedFile file;
  const size_t max = chunker_.options().max_size;
  uint8_t* const buffer = buffer_.get();
  size_t begin = 0, end = 0;  // the uncut bytes are buffer[begin, end)
  bool eof = false;
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

  for (;;) {
    // Refill so that a full max-size window is available unless the file ends first.
    if (!eof && end - begin < max) {
      std::memmove(buffer, buffer + begin, end - begin);
      end -= begin;
      begin = 0;
      while (!eof && end < buffer_size_) {
        ssize_t n = ::read(fd, buffer + end, buffer_size_ - end);
        if (n < 0) {
          if (errno == EINTR) continue;
          return PosixError("read " + name, errno);
        }
        if (n == 0) eof = true;
        end += static_cast<size_t>(n);
      }
    }
    if (begin == end) break;
    ByteView window(buffer + begin, end - begin);
    size_t cut = chunker_.FindCut(window);
    ByteView chunk = window.first(cut);
    ChunkId id = store_.IdOf(chunk);
    if (in_batch.insert(id).second) {
      ASSIGN_OR_RETURN(PutResult put, store_.AddToBatch(&batch, ChunkKind::kData, chunk, id));
      if (put.added) {
        ++file.new_chunks;
        file.new_stored_bytes += put.stored_size;
        batch_payload += put.stored_size;
      }
    }
    file.chunks.push_back({id, static_cast<uint32_t>(cut)});
    file.size += cut;
    begin += cut;
    if (batch_payload >= batch_bytes_) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  return file;
}

}  // namespace berth::storage
