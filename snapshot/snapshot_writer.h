#ifndef BERTH_SNAPSHOT_SNAPSHOT_WRITER_H_
#define BERTH_SNAPSHOT_SNAPSHOT_WRITER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/snapshot_store.h"
#include "snapshot/tree_source.h"
#include "storage/chunk_store.h"

namespace berth::snapshot {

struct WriteOptions {
  // The project the snapshot belongs to. Required.
  ProjectKey project;
  // Recorded in the snapshot: the node that wrote it. Default: empty.
  std::string host;
  // Recorded in the snapshot: empty, or a label (ValidateLabel) no other snapshot of the
  // project carries. Default: none.
  std::string label;
  // Recorded in the snapshot. Default: kAuto.
  SnapshotKind kind = SnapshotKind::kAuto;
  // Write a record even when the tree is the same as in the project's latest snapshot (a
  // manual or labelled snapshot). Default: false, so an unchanged tree writes nothing at all.
  bool force = false;
  // Wait for the record (and the objects) to reach the disk before returning. Default: true.
  bool sync = true;
  // New objects go to the store in atomic batches of about this many bytes, children before the
  // trees that refer to them, the last batch before the record. Default: 8 MiB.
  size_t batch_bytes = 8u << 20;
  // Gives the snapshot's id and creation time. Default: the real clock. Not owned.
  Clock* clock = Clock::Real();
  // Called after the tree has been read and before anything is written: a source that stores
  // data chunks while it is read (SnapshotDirectory) flushes them here. Default: none.
  std::function<Status()> before_write;
};

// What a Write did.
struct WriteResult {
  // The record written; empty when the tree did not change since the latest snapshot and
  // `force` was off (then no object was written either).
  std::optional<SnapshotRecord> record;
  storage::ChunkId root;         // the tree's root id, written or not
  uint64_t dirty_marks = 0;      // marks consumed
  uint64_t trees_rebuilt = 0;    // directories listed and re-encoded
  uint64_t entries_copied = 0;   // entries taken from the previous tree object unchanged
  uint64_t entries_statted = 0;  // entries built from Stat
  uint64_t objects_written = 0;  // tree and list objects the store did not hold yet
  uint64_t objects_reused = 0;   // built again, but the store held them (deduplicated)
  uint64_t bytes_written = 0;    // stored size of the objects written
  int64_t elapsed_us = 0;
};

// The incremental Merkle writer. Reads a TreeSource's frozen view, rebuilds the tree objects of
// the directories on dirty paths only (every dirty directory and every ancestor of a dirty
// node), copies every other entry from the previous tree object of its parent, stores the new
// objects, then the record, then tells the source (Complete) which trees it rebuilt and which
// marks it consumed. Cost: O(changed entries x depth + sizes of the directories on dirty
// paths); clean subtrees are never visited.
//
// A crash at any point leaves the store consistent: objects are written before anything refers
// to them, and marks are cleared only after the record is stored.
// Thread-compatible: one Write at a time per source; the stores are shared.
class SnapshotWriter {
 public:
  // `chunks` and `snapshots` are borrowed and must outlive the writer.
  SnapshotWriter(storage::ChunkStore* chunks, SnapshotStore* snapshots)
      : chunks_(chunks), snapshots_(snapshots) {}

  // Takes a snapshot of `source` for options.project. Errors name the path where they arose;
  // on error nothing refers to what was written and no mark is cleared.
  Result<WriteResult> Write(TreeSource& source, const WriteOptions& options);

 private:
  storage::ChunkStore* const chunks_;
  SnapshotStore* const snapshots_;
};

}  // namespace berth::snapshot

#endif  // BERTH_SNAPSHOT_SNAPSHOT_WRITER_H_
