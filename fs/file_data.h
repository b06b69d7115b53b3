#ifndef BERTH_FS_FILE_DATA_H_
#define BERTH_FS_FILE_DATA_H_

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/status.h"
#include "fs/interval_set.h"
#include "fs/live_tree.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"

namespace berth::fs {

struct FileDataOptions {
  // Where dirty buffers live: one sparse scratch file per file with uncommitted writes. Its
  // contents need not survive a crash (what fsync acknowledged is committed). Required.
  std::string dirty_dir;
  // Decompressed chunks kept for reads. Default: 32 MiB.
  size_t cache_bytes = 32u << 20;
  // Time source for mtime of writes. Default: the real clock. Not owned.
  Clock* clock = Clock::Real();
};

// One extent of a file: bytes [offset, offset + length) are the chunk `id`. Bytes covered by no
// extent are a hole and read as zeros; a chunk of only zeros is stored as a hole.
struct Extent {
  uint64_t offset = 0;
  storage::ChunkId id;
  uint32_t length = 0;
};

// The contents of one project's files: writes go to a dirty buffer on local disk; reads merge
// dirty ranges with committed extents (through an LRU cache of decompressed chunks); a commit
// re-chunks only the changed region (storage/rechunk.h), stores the new chunks and swaps extents,
// size, times and usage in one atomic WriteBatch (LiveTree::UpdateData).
// Thread-safe: one mutex; commits of different files are serialised.
class FileData {
 public:
  // All pointers are borrowed and must outlive this object.
  static Result<std::unique_ptr<FileData>> Open(LiveTree* tree, storage::ChunkStore* chunks,
                                                const storage::Chunker* chunker,
                                                const FileDataOptions& options);
  ~FileData();

  // Writes into the dirty buffer; the file grows if the write ends past its size.
  Status Write(Ino ino, uint64_t offset, ByteView data);
  // Up to out.size() bytes at `offset`; fewer at the end of the file.
  Result<size_t> Read(Ino ino, uint64_t offset, std::span<uint8_t> out);
  // Sets the size (truncate either way), committed at once.
  Status Truncate(Ino ino, uint64_t size);
  // Reserves [offset, offset + length): the size grows to cover it (fallocate mode 0). berth
  // allocates on write, so the new range is a hole that reads as zeros.
  Status Allocate(Ino ino, uint64_t offset, uint64_t length);
  // copy_file_range: copies `length` bytes (fewer at the end of `in`) and returns how many.
  // A whole-file copy into an empty file shares the source's chunks instead of copying bytes.
  Result<uint64_t> CopyRange(Ino in, uint64_t in_offset, Ino out, uint64_t out_offset,
                             uint64_t length);
  // Commits the file's uncommitted writes (fsync, close, the commit interval). A no-op if clean.
  Status Commit(Ino ino);
  Status CommitAll();
  // Size and mtime as the user sees them, uncommitted writes included.
  void Overlay(Inode* inode);
  // An mtime set explicitly (utimensat) while the file has uncommitted writes: it replaces the
  // time of those writes, in what getattr shows and in what the commit stores.
  void SetMtime(Ino ino, int64_t mtime_ns);
  // Drops the file's uncommitted state (its inode is being freed).
  void Forget(Ino ino);
  // Makes every committed change durable (fsync of the database log).
  Status SyncLog();

  // The committed extents of a file, in offset order (tests, snapshots).
  Result<std::vector<Extent>> Extents(Ino ino);

 private:
  struct Dirty {
    UniqueFd fd;            // the scratch file
    IntervalSet ranges;     // dirty byte ranges
    uint64_t size = 0;      // the size with the writes applied
    uint64_t committed_size = 0;
    int64_t mtime_ns = 0;
  };

  FileData(LiveTree* tree, storage::ChunkStore* chunks, const storage::Chunker* chunker,
           const FileDataOptions& options);
  // REQUIRES: mu_ held.
  Result<Dirty*> DirtyFor(Ino ino);
  Status CommitLocked(Ino ino, Dirty& dirty);
  Status ReadCommitted(Ino ino, uint64_t offset, std::span<uint8_t> out);
  Result<std::shared_ptr<const Bytes>> Chunk(const storage::ChunkId& id);
  std::string ScratchPath(Ino ino) const;

  LiveTree* const tree_;
  storage::ChunkStore* const chunks_;
  const storage::Chunker* const chunker_;
  const FileDataOptions options_;

  std::mutex mu_;
  std::map<Ino, Dirty> dirty_;  // GUARDED_BY(mu_)
  // LRU of decompressed chunks. GUARDED_BY(mu_)
  std::list<std::pair<storage::ChunkId, std::shared_ptr<const Bytes>>> lru_;
  std::unordered_map<storage::ChunkId, decltype(lru_)::iterator, storage::ChunkIdHash> cache_;
  size_t cached_bytes_ = 0;
};

}  // namespace berth::fs

#endif  // BERTH_FS_FILE_DATA_H_
