#ifndef BERTH_CLUSTER_TREE_IMPORT_H_
#define BERTH_CLUSTER_TREE_IMPORT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "fs/fuse_server.h"
#include "fs/live_tree.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"

namespace berth::cluster {

struct ImportReport {
  uint64_t files = 0, directories = 0, symlinks = 0, hard_links = 0, bytes = 0;
};

struct TreeImportOptions {
  // Called with the running totals after each batch and once at the end, on the calling thread.
  // Default: none.
  std::function<void(const ImportReport&)> progress;
  // The project's mount, when it is mounted: every name, inode and directory the import changes
  // is invalidated in the kernel's caches once written. The calling thread must serve no FUSE
  // request and hold no lock a request needs. Not owned. Default: not mounted.
  fs::FuseServer* mounted = nullptr;
  // Threads reading, chunking, hashing and compressing files, beside the one walking the source
  // and the calling thread, which writes the metadata. Default: 2 (the cores of a small host).
  int workers = 2;
  // A metadata batch (one RocksDB write) is written after this many entries or this many bytes
  // of new chunk records, whichever comes first. Defaults: 1024 entries, 16 MiB.
  size_t batch_entries = 1024;
  size_t batch_bytes = 16u << 20;
  // Chunk records of one file are written on their own (ahead of its metadata) past this size,
  // so a large file never sits in memory whole. Default: 8 MiB.
  size_t file_chunk_bytes = 8u << 20;
  // Read and chunked files waiting for their metadata write hold at most about this many bytes
  // of chunk records. Default: 64 MiB.
  size_t max_pending_bytes = 64u << 20;
};

// Copies the native directory tree `source` into directory `into` of `tree`: directories, regular
// files (their bytes chunked straight from the source into `chunks`, all-zero chunks left as
// holes, as FileData's commit does), symlinks, fifos, sockets and device nodes, with modes,
// owners (the setgid rule of the target directory applies), atime and mtime in ns; hard links
// within the source stay hard links. Extended attributes are not copied.
//
// Pipelined: one thread walks the source, `workers` threads chunk files, and the calling thread
// writes the metadata, many entries per atomic WriteBatch (LiveTree::Import), each batch carrying
// the chunk records it references (large files write theirs ahead, never after). The usage
// counters are exact after each batch; on an error (EDQUOT, EEXIST, a read error) the entries
// before the one that failed are imported and the error is returned.
// `tree`, `chunks` and `chunker` are borrowed for the duration of the call.
Result<ImportReport> ImportTree(fs::LiveTree& tree, storage::ChunkStore& chunks,
                                const storage::Chunker& chunker, const std::string& source,
                                fs::Ino into, const TreeImportOptions& options);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_TREE_IMPORT_H_
