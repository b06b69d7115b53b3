#ifndef BERTH_CLUSTER_SNAPSHOT_SERVICE_H_
#define BERTH_CLUSTER_SNAPSHOT_SERVICE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "cluster/node.h"
#include "snapshot/file_versions.h"
#include "snapshot/retention.h"
#include "snapshot/snapshot_diff.h"
#include "snapshot/snapshot_reader.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/snapshot_restore.h"
#include "snapshot/snapshot_writer.h"

namespace berth::cluster {

struct SnapshotServiceOptions {
  // A mounted project that changed is snapshotted this often; 0: only on request.
  // Default: 10 s.
  int64_t interval_ms = 10'000;
  // Which automatic snapshots survive; applied after every automatic snapshot. Default: as
  // snapshot/retention.h.
  snapshot::RetentionPolicy retention;
  // Garbage collection runs this often; 0: only on request. Default: 6 hours.
  int64_t gc_interval_ms = 6 * 3600 * 1000;
  // Recorded in every snapshot. Default: the host name.
  std::string host;
  Clock* clock = Clock::Real();
};

// A snapshot named the way a user types it, resolved.
struct ResolvedRef {
  ProjectRecord project;
  snapshot::SnapshotRecord snapshot;
  std::vector<std::string> path;  // below the snapshot's root
  std::string path_text;          // "a/b", or "" for the root
};

struct GcReport {
  uint64_t marked = 0;
  storage::SweepReport swept;
};

struct FsckReport {
  uint64_t projects = 0, snapshots = 0, objects = 0;
  std::vector<std::string> errors;  // empty: clean
};

struct RestoreReport {
  snapshot::RestoreStats stats;
  std::string where;  // the directory or project path restored into
};

// Snapshots of the node's projects (snapshot/ over fs/'s live trees): automatic ones of every
// mounted project that changed, manual and labelled ones, retention, the browser's reads,
// restore in place or elsewhere, gc and fsck. Snapshot writes, retention and gc of the node are
// serialised (gc must not race a writer reusing a subtree it is about to sweep).
// Thread-safe. Borrows `node`, which must outlive it.
class SnapshotService {
 public:
  static std::unique_ptr<SnapshotService> Start(Node* node, const SnapshotServiceOptions& options);
  ~SnapshotService();  // stops the background loop
  SnapshotService(const SnapshotService&) = delete;
  SnapshotService& operator=(const SnapshotService&) = delete;

  // Commits the project's dirty buffers and writes a snapshot. `force`: record one even when
  // nothing changed since the latest (manual and labelled snapshots). Without force and without
  // a change, the result holds no record.
  Result<snapshot::WriteResult> Take(const std::string& project, const std::string& label,
                                     snapshot::SnapshotKind kind, bool force);
  Result<std::vector<snapshot::SnapshotRecord>> List(const std::string& project);
  // PROJECT@SNAPSHOT[:PATH].
  Result<ResolvedRef> Resolve(const std::string& ref);
  // The entry a ref names (the root: a directory entry named "").
  Result<snapshot::TreeEntry> Stat(const ResolvedRef& ref);
  // A directory's entries, or a file's own entry.
  Result<std::vector<snapshot::TreeEntry>> List(const ResolvedRef& ref);
  // Writes a regular file's bytes to `fd`.
  Status Cat(const ResolvedRef& ref, int fd);
  Result<snapshot::DiffResult> Diff(const ResolvedRef& a, const ResolvedRef& b);
  Result<std::vector<snapshot::FileVersion>> Versions(const std::string& project,
                                                       const std::string& path);
  // `to` empty: in place, into the live project (each file replaced atomically, the kernel's
  // caches invalidated); else into the directory `to` (created; must be empty if it exists).
  Result<RestoreReport> Restore(const ResolvedRef& ref, const std::string& to);
  // Thins the project's automatic snapshots by the retention policy; returns how many went.
  Result<uint64_t> ApplyRetention(const fs::ProjectId& project);
  Result<GcReport> Gc();
  Result<FsckReport> Fsck(bool deep);

  const snapshot::SnapshotReader& reader() const { return reader_; }

 private:
  SnapshotService(Node* node, const SnapshotServiceOptions& options);
  void Loop();
  Result<snapshot::WriteResult> TakeLocked(ProjectAccess& project, const std::string& label,
                                           snapshot::SnapshotKind kind, bool force);
  Result<GcReport> GcLocked();

  Node* const node_;
  const SnapshotServiceOptions options_;
  snapshot::SnapshotReader reader_;
  snapshot::SnapshotWriter writer_;

  std::mutex mu_;  // snapshot writes, retention and gc; lock order: mu_ before Node's

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // GUARDED_BY(loop_mu_)
  std::thread loop_;
};

// The snapshot key of a project id.
snapshot::ProjectKey KeyOf(const fs::ProjectId& id);

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_SNAPSHOT_SERVICE_H_
