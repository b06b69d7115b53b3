#ifndef BERTH_STORAGE_CHUNK_STREAM_H_
#define BERTH_STORAGE_CHUNK_STREAM_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/chunker.h"

namespace berth::storage {

// Fills `out` from the stream (read(2) or pread(2) of a range); returns how many bytes, 0 at its
// end.
using StreamRead = std::function<Result<size_t>(std::span<uint8_t> out)>;
// Receives each chunk in stream order: its offset from the stream's start and its bytes, valid
// only during the call.
using StreamChunk = std::function<Status(uint64_t offset, ByteView chunk)>;

// Cuts a stream into content-defined chunks through one caller-owned buffer, which must hold at
// least the chunker's max_size bytes (a larger one means fewer reads): the buffer is refilled
// whenever less than a max-size window is left, so every cut sees the window the chunker needs
// and the chunks equal those of the whole stream cut at once. Returns the stream's length.
Result<uint64_t> ChunkStream(const Chunker& chunker, std::span<uint8_t> buffer,
                             const StreamRead& read, const StreamChunk& emit);

// A StreamRead over read(2) of `fd` from its current offset, retrying EINTR; errors name `name`.
StreamRead ReadFd(int fd, const std::string& name);

// Cuts the data of a regular file of `size` bytes (as stat saw it) into chunks, region by region:
// the holes lseek(SEEK_DATA/SEEK_HOLE) reports are skipped, never read, so a sparse file costs
// its data and not its size (a filesystem without hole support gives one region). Each region is
// cut as a stream of its own; `emit` gets offsets in the file. Returns the file's length: `size`,
// or less if it shrank meanwhile; bytes it grew by are not read. Errors name `name`.
Result<uint64_t> ChunkFileData(const Chunker& chunker, std::span<uint8_t> buffer, int fd,
                               uint64_t size, const std::string& name, const StreamChunk& emit);

}  // namespace berth::storage

#endif  // BERTH_STORAGE_CHUNK_STREAM_H_
