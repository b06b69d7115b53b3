#include "storage/file_ingest.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::storage {

Result<IngestedFile> IngestFile(ChunkStore& store, const Chunker& chunker, int fd,
                                const std::string& name_for_errors, size_t batch_bytes) {
  IngestedFile file;
  const size_t max = chunker.options().max_size;
  // Holds the uncut tail plus fresh reads; cut chunks are consumed from the front.
  std::vector<uint8_t> buffer(std::max<size_t>(4 * max, 1u << 20));
  size_t begin = 0, end = 0;
  bool eof = false;
  rocksdb::WriteBatch batch;
  size_t batch_payload = 0;
  ChunkIdSet in_batch;  // the store cannot see the unwritten batch: dedup within it here

  auto flush = [&]() -> Status {
    if (batch.Count() > 0) RETURN_IF_ERROR(store.database()->Write(&batch));
    batch.Clear();
    batch_payload = 0;
    in_batch.clear();
    return Status::Ok();
  };

  for (;;) {
    // Refill so that a full max-size window is available unless the file ends first.
    if (!eof && end - begin < max) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
      while (!eof && end < buffer.size()) {
        ssize_t n = ::read(fd, buffer.data() + end, buffer.size() - end);
        if (n < 0) {
          if (errno == EINTR) continue;
          return PosixError("read " + name_for_errors, errno);
        }
        if (n == 0) eof = true;
        end += static_cast<size_t>(n);
      }
    }
    if (begin == end) break;
    ByteView window(buffer.data() + begin, end - begin);
    size_t cut = chunker.FindCut(window);
    ByteView chunk = window.first(cut);
    ChunkId id = store.IdOf(chunk);
    if (in_batch.insert(id).second) {
      ASSIGN_OR_RETURN(PutResult put, store.AddToBatch(&batch, ChunkKind::kData, chunk, id));
      if (put.added) {
        ++file.new_chunks;
        file.new_stored_bytes += put.stored_size;
        batch_payload += put.stored_size;
      }
    }
    file.chunks.push_back({id, static_cast<uint32_t>(cut)});
    file.size += cut;
    begin += cut;
    if (batch_payload >= batch_bytes) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  return file;
}

}  // namespace berth::storage
