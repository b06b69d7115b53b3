#include "storage/chunk_stream.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

Result<uint64_t> ChunkFileData(const Chunker& chunker, std::span<uint8_t> buffer, int fd,
                               uint64_t size, const std::string& name, const StreamChunk& emit) {
  uint64_t at = 0;
  while (at < size) {
    off_t data = ::lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      if (errno != EINVAL) return PosixError("lseek " + name, errno);
      data = static_cast<off_t>(at);  // no hole support: all data
    }
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) hole = static_cast<off_t>(size);
    const uint64_t begin = static_cast<uint64_t>(data);
    const uint64_t end = std::min<uint64_t>(static_cast<uint64_t>(hole), size);
    if (begin >= end) break;
    uint64_t read_at = begin;
    auto read = [&](std::span<uint8_t> out) -> Result<size_t> {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), end - read_at));
      if (want == 0) return size_t{0};
      for (;;) {
        const ssize_t n = ::pread(fd, out.data(), want, static_cast<off_t>(read_at));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return PosixError("read " + name, errno);
        read_at += static_cast<uint64_t>(n);  // 0: the file shrank
        return static_cast<size_t>(n);
      }
    };
    auto in_file = [&](uint64_t offset, ByteView chunk) { return emit(begin + offset, chunk); };
    ASSIGN_OR_RETURN(const uint64_t cut, ChunkStream(chunker, buffer, read, in_file));
    if (begin + cut < end) return begin + cut;  // a read found the end: it shrank
    at = end;
  }
  // A file that shrank into what was a hole has no read to tell it.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return PosixError("stat " + name, errno);
  return std::min<uint64_t>(size, static_cast<uint64_t>(st.st_size));
}

}  // namespace berth::storage
