#ifndef BERTH_FS_FILE_DATA_H_
#define BERTH_FS_FILE_DATA_H_

#include <condition_variable>
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
#include "fs/chunk_prefetcher.h"
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
  // How far ahead of a sequential reader (a read starting where the file's previous read ended)
  // chunks are fetched into the cache on background threads; 0: no prefetch. Default: 2 MiB.
  size_t prefetch_bytes = 2u << 20;
  // Threads fetching ahead. Default: 2.
  int prefetch_threads = 2;
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
// Thread-safe. Writes, commits and reads of files with uncommitted writes are serialised by one
// mutex (mu_); reads of files without uncommitted writes take only the chunk cache's mutex, and
// a commit holds the tree's lock only to write its final batch. Lock order: mu_, then the
// tree's mutex or cache_mu_.
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
  // lseek's SEEK_DATA (`hole` false) and SEEK_HOLE (`hole` true): the first offset at or after
  // `offset` where data, or a hole, begins, uncommitted writes included. Bytes in no extent are
  // holes (a chunk of zeros is stored as one); the end of the file counts as a hole. ENXIO at or
  // past the end of the file, or when no data follows `offset`.
  Result<uint64_t> Seek(Ino ino, uint64_t offset, bool hole);
  // copy_file_range: copies `length` bytes (fewer at the end of `in`) and returns how many.
  // A whole-file copy into an empty file shares the source's chunks instead of copying bytes.
  Result<uint64_t> CopyRange(Ino in, uint64_t in_offset, Ino out, uint64_t out_offset,
                             uint64_t length);
  // Commits the file's uncommitted writes (fsync, close, the commit interval). A no-op if clean.
  Status Commit(Ino ino);
  Status CommitAll();
  // Size, mtime, ctime and allocated bytes as the user sees them, uncommitted writes included.
  void Overlay(Inode* inode);
  // An mtime set explicitly (utimensat) while the file has uncommitted writes: it replaces the
  // time of those writes, in what getattr shows and in what the commit stores.
  void SetMtime(Ino ino, int64_t mtime_ns);
  // Drops the file's uncommitted state (its inode is being freed).
  void Forget(Ino ino);
  // Whether the file has uncommitted state (writes, or a size or time change).
  bool HasUncommitted(Ino ino);
  // Makes every committed change durable (fsync of the database log).
  Status SyncLog();

  // The committed extents of a file, in offset order (tests, snapshots).
  Result<std::vector<Extent>> Extents(Ino ino);

 private:
  // A file's uncommitted state. Fields GUARDED_BY(mu_); the scratch file's bytes are written
  // under mu_ and read by a commit without it (pread of ranges no write touches meanwhile, or
  // whose new bytes the next commit takes).
  struct Dirty {
    UniqueFd fd;            // the scratch file
    IntervalSet ranges;     // dirty byte ranges
    uint64_t size = 0;      // the size with the writes applied
    uint64_t committed_size = 0;
    int64_t mtime_ns = 0;
    // The time of the last write or truncate: POSIX moves ctime with the data, at the write, not
    // when the commit happens to store it.
    int64_t ctime_ns = 0;
    uint64_t version = 0;     // bumped by every change, so a commit knows if it saw the last
    bool committing = false;  // a commit of this file runs (without mu_); others wait for it
    // Ranges written while `committing`: all that stays dirty once that commit succeeds (the
    // rest it stored), so a file written without pause is not re-chunked whole at every commit.
    IntervalSet written_during_commit;
  };
  // What one commit stores: a copy of a Dirty's state taken under mu_.
  struct CommitInput {
    int fd = -1;  // the scratch file (kept open by the Dirty the caller holds); -1: no ranges
    IntervalSet ranges;
    uint64_t size = 0;
    uint64_t committed_size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;  // the inode's ctime becomes at least this
  };

  FileData(LiveTree* tree, storage::ChunkStore* chunks, const storage::Chunker* chunker,
           const FileDataOptions& options);
  // REQUIRES: mu_ held.
  Result<Dirty*> DirtyFor(Ino ino);
  // Commits `ino`'s uncommitted state, if any: waits for a commit of it that runs, then marks
  // it committing and runs CommitRanges without mu_ (writes, reads and commits of other files go
  // on meanwhile). Drops the state if nothing changed it during the commit.
  // REQUIRES: `lock` holds mu_; holds it again on return.
  Status CommitWithLock(std::unique_lock<std::mutex>& lock, Ino ino);
  // Re-chunks `in.ranges` and the size change of `ino`, stores the new chunks and swaps the
  // extents, size, mtime and usage in one batch. Takes no lock of ours. REQUIRES: the caller
  // holds mu_ or marked the file committing, so that no other commit changes its extents.
  Status CommitRanges(Ino ino, const CommitInput& in);
  // The committed bytes (extents, holes as zeros) of [offset, offset + out.size()). Needs no
  // lock of ours: the extents come from one RocksDB iterator, chunks through Chunk().
  Status ReadCommitted(Ino ino, uint64_t offset, std::span<uint8_t> out);
  // A decompressed chunk, from the cache or the store. Takes cache_mu_.
  Result<std::shared_ptr<const Bytes>> Chunk(const storage::ChunkId& id);
  // Whether the chunk is in the cache now. Takes cache_mu_.
  bool Cached(const storage::ChunkId& id);
  std::string ScratchPath(Ino ino) const;

  LiveTree* const tree_;
  storage::ChunkStore* const chunks_;
  const storage::Chunker* const chunker_;
  const FileDataOptions options_;

  std::mutex mu_;
  std::condition_variable commit_done_;  // a Dirty's `committing` went false
  // Shared, so that a commit running without mu_ keeps the state (its scratch file) alive.
  std::map<Ino, std::shared_ptr<Dirty>> dirty_;  // GUARDED_BY(mu_)
  std::mutex cache_mu_;  // leaf lock
  // LRU of decompressed chunks. GUARDED_BY(cache_mu_)
  std::list<std::pair<storage::ChunkId, std::shared_ptr<const Bytes>>> lru_;
  std::unordered_map<storage::ChunkId, decltype(lru_)::iterator, storage::ChunkIdHash>
      cache_;                 // GUARDED_BY(cache_mu_)
  size_t cached_bytes_ = 0;  // GUARDED_BY(cache_mu_)
  // Where each file's last committed read ended, to recognise sequential readers. Bounded: cleared
  // when it holds kMaxStreams files. GUARDED_BY(cache_mu_)
  std::unordered_map<Ino, uint64_t> read_end_;
  // Last: destroyed first, so its threads stop before the cache they fill goes.
  std::unique_ptr<ChunkPrefetcher> prefetcher_;
};

}  // namespace berth::fs

#endif  // BERTH_FS_FILE_DATA_H_
