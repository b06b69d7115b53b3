#ifndef BERTH_FS_LIVE_REFERENCES_H_
#define BERTH_FS_LIVE_REFERENCES_H_

#include <functional>

#include "base/status.h"
#include "storage/chunk_id.h"
#include "storage/database.h"

namespace berth::fs {

// What live trees hold in the chunk store: the data chunks of every file's extents, and the
// tree objects the snapshot writer reuses for clean directories (fs_tree_ids), of every project
// in `db`. GC marks from these beside the retained snapshots; fsck checks that each resolves.
struct LiveReferences {
  std::function<void(const storage::ChunkId&)> data_chunk;
  std::function<void(const storage::ChunkId&)> cached_tree;
};

// Calls the callbacks for each reference, as of one consistent moment (a RocksDB snapshot).
// DataLoss on a malformed record.
Status ForEachLiveReference(storage::Database* db, const LiveReferences& visit);

}  // namespace berth::fs

#endif  // BERTH_FS_LIVE_REFERENCES_H_
