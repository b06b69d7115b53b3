#include "storage/chunk_stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace berth::storage {

Result<uint64_t> ChunkStream(const Chunker& chunker, std::span<uint8_t> buffer,
                             const StreamRead& read, const StreamChunk& emit) {
  const size_t max = chunker.options().max_size;
  if (buffer.size() < max) {
    return InvalidArgumentError("chunk stream buffer of " + std::to_string(buffer.size()) +
                                " bytes is smaller than a chunk");
  }
  size_t begin = 0, end = 0;  // the uncut bytes are buffer[begin, end)
  uint64_t offset = 0;        // of buffer[begin] in the stream
  bool eof = false;
  for (;;) {
    if (!eof && end - begin < max) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
      while (!eof && end < buffer.size()) {
        ASSIGN_OR_RETURN(size_t n, read(buffer.subspan(end)));
        if (n == 0) eof = true;
        end += n;
      }
    }
    if (begin == end) return offset;
    ByteView window(buffer.data() + begin, end - begin);
    const size_t cut = chunker.FindCut(window);
    RETURN_IF_ERROR(emit(offset, window.first(cut)));
    offset += cut;
    begin += cut;
  }
}

StreamRead ReadFd(int fd, const std::string& name) {
  return [fd, name](std::span<uint8_t> out) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(fd, out.data(), out.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return PosixError("read " + name, errno);
    }
  };
}

}  // namespace berth::storage
