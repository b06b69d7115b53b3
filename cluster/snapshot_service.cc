#include "cluster/snapshot_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "cluster/live_restore.h"
#include "fs/live_references.h"
#include "snapshot/snapshot_name.h"
#include "snapshot/snapshot_ref.h"
#include "storage/verifier.h"

namespace berth::cluster {

namespace {

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

Status WriteAll(int fd, ByteView bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PosixError("write to the caller's output", errno);
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

snapshot::ProjectKey KeyOf(const fs::ProjectId& id) { return snapshot::ProjectKey(id.key()); }

SnapshotService::SnapshotService(Node* node, const SnapshotServiceOptions& options)
    : node_(node),
      options_(options),
      reader_(&node->chunks()),
      writer_(&node->chunks(), &node->snapshots()) {}

std::unique_ptr<SnapshotService> SnapshotService::Start(Node* node,
                                                       const SnapshotServiceOptions& options) {
  SnapshotServiceOptions o = options;
  if (o.host.empty()) o.host = HostName();
  std::unique_ptr<SnapshotService> service(new SnapshotService(node, o));
  if (o.interval_ms > 0 || o.gc_interval_ms > 0) {
    service->loop_ = std::thread([s = service.get()] { s->Loop(); });
  }
  return service;
}

SnapshotService::~SnapshotService() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

void SnapshotService::Loop() {
  const int64_t tick_ms = options_.interval_ms > 0 ? options_.interval_ms : options_.gc_interval_ms;
  int64_t next_gc_ms = options_.clock->NowNanos() / 1'000'000 + options_.gc_interval_ms;
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!loop_cv_.wait_for(lock, std::chrono::milliseconds(tick_ms), [this] { return stopping_; })) {
    lock.unlock();
    if (options_.interval_ms > 0) {
      for (const fs::ProjectId& id : node_->MountedProjects()) {
        auto taken = Take(id.ToString(), "", snapshot::SnapshotKind::kAuto, /*force=*/false);
        if (!taken.ok()) {
          spdlog::error("snapshot of project {}: {}", id.ToString(), taken.status().ToString());
          continue;
        }
        if (!taken->record) continue;  // nothing changed
        auto dropped = ApplyRetention(id);
        if (!dropped.ok()) {
          spdlog::error("retention of project {}: {}", id.ToString(), dropped.status().ToString());
        }
      }
    }
    const int64_t now_ms = options_.clock->NowNanos() / 1'000'000;
    if (options_.gc_interval_ms > 0 && now_ms >= next_gc_ms) {
      next_gc_ms = now_ms + options_.gc_interval_ms;
      auto gc = Gc();
      if (!gc.ok()) spdlog::error("gc: {}", gc.status().ToString());
    }
    lock.lock();
  }
}

Result<snapshot::WriteResult> SnapshotService::TakeLocked(ProjectAccess& project,
                                                          const std::string& label,
                                                          snapshot::SnapshotKind kind, bool force) {
  // What the dirty buffers hold is part of the tree the user sees. (No writeback cache: the
  // kernel holds no dirty pages of its own to flush first.)
  RETURN_IF_ERROR(project.data->CommitAll());
  std::unique_ptr<snapshot::TreeSource> source = project.tree->OpenSnapshotSource();
  snapshot::WriteOptions write;
  write.project = KeyOf(project.record.id);
  write.host = options_.host;
  write.label = label;
  write.kind = kind;
  write.force = force;
  write.clock = options_.clock;
  return writer_.Write(*source, write);
}

Result<snapshot::WriteResult> SnapshotService::Take(const std::string& project,
                                                    const std::string& label,
                                                    snapshot::SnapshotKind kind, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<snapshot::WriteResult> result = InternalError("not taken");
  RETURN_IF_ERROR(node_->WithProject(project, [&](ProjectAccess& access) -> Status {
    result = TakeLocked(access, label, kind, force);
    return result.status();
  }));
  return result;
}

Result<std::vector<snapshot::SnapshotRecord>> SnapshotService::List(const std::string& project) {
  ASSIGN_OR_RETURN(ProjectStatus status, node_->GetProject(project));
  return node_->snapshots().List(KeyOf(status.record.id));
}

Result<ResolvedRef> SnapshotService::Resolve(const std::string& text) {
  ASSIGN_OR_RETURN(snapshot::SnapshotRef ref, snapshot::ParseSnapshotRef(text));
  ResolvedRef out;
  ASSIGN_OR_RETURN(ProjectStatus status, node_->GetProject(ref.project));
  out.project = status.record;
  ASSIGN_OR_RETURN(out.snapshot, snapshot::ResolveSnapshotName(node_->snapshots(),
                                                               KeyOf(status.record.id),
                                                               ref.snapshot));
  out.path = ref.path;
  out.path_text = ref.path.empty() ? "" : snapshot::JoinProjectPath(ref.path);
  return out;
}

Result<snapshot::TreeEntry> SnapshotService::Stat(const ResolvedRef& ref) {
  return reader_.Stat(ref.snapshot.root, ref.path_text);
}

Result<std::vector<snapshot::TreeEntry>> SnapshotService::List(const ResolvedRef& ref) {
  ASSIGN_OR_RETURN(snapshot::TreeEntry entry, Stat(ref));
  if (!entry.is_dir()) return std::vector<snapshot::TreeEntry>{entry};
  return reader_.List(ref.snapshot.root, ref.path_text);
}

Status SnapshotService::Cat(const ResolvedRef& ref, int fd) {
  ASSIGN_OR_RETURN(snapshot::TreeEntry entry, Stat(ref));
  if (entry.type != snapshot::EntryType::kRegular) {
    return PosixError(ref.path_text.empty() ? "/" : ref.path_text + " is not a regular file",
                      entry.is_dir() ? EISDIR : EINVAL);
  }
  constexpr uint64_t kPiece = 4u << 20;
  for (uint64_t offset = 0; offset < entry.size; offset += kPiece) {
    ASSIGN_OR_RETURN(Bytes bytes, reader_.ReadFile(entry, offset, kPiece));
    RETURN_IF_ERROR(WriteAll(fd, bytes));
  }
  return Status::Ok();
}

Result<snapshot::DiffResult> SnapshotService::Diff(const ResolvedRef& a, const ResolvedRef& b) {
  ASSIGN_OR_RETURN(snapshot::TreeEntry before, Stat(a));
  ASSIGN_OR_RETURN(snapshot::TreeEntry after, Stat(b));
  if (!before.is_dir() || !after.is_dir()) {
    return InvalidArgumentError("diff compares two directories (or whole snapshots)");
  }
  return snapshot::DiffTrees(reader_, before.subtree, after.subtree);
}

Result<std::vector<snapshot::FileVersion>> SnapshotService::Versions(const std::string& project,
                                                                      const std::string& path) {
  ASSIGN_OR_RETURN(auto records, List(project));
  return snapshot::FileVersions(reader_, records, path);
}

Result<RestoreReport> SnapshotService::Restore(const ResolvedRef& ref, const std::string& to) {
  ASSIGN_OR_RETURN(snapshot::TreeEntry entry, Stat(ref));
  RestoreReport report;
  if (!to.empty()) {
    // Elsewhere: a file or folder lands inside `to` under its name; the whole project becomes
    // `to`'s contents.
    std::string target = to;
    if (!ref.path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(to, ec);
      if (ec) return PosixError("create " + to, ec.value());
      target = to + "/" + ref.path.back();
    }
    ASSIGN_OR_RETURN(report.stats, snapshot::RestoreEntry(reader_, entry, target));
    report.where = target;
    return report;
  }
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(node_->WithProject(ref.project.id.ToString(), [&](ProjectAccess& access) {
    auto restored = RestoreIntoLiveTree(reader_, ref.snapshot.root, ref.path, entry, access);
    if (!restored.ok()) return restored.status();
    report.stats = *restored;
    return Status::Ok();
  }));
  report.where = node_->MountpointOf(ref.project.id) + "/" + ref.path_text;
  return report;
}

Result<uint64_t> SnapshotService::ApplyRetention(const fs::ProjectId& project) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(auto records, node_->snapshots().List(KeyOf(project)));
  std::vector<snapshot::RetentionCandidate> candidates;
  for (const auto& r : records) {
    // Only automatic snapshots are thinned; manual, labelled and before-move ones stay.
    const bool kept = !r.label.empty() || r.kind != snapshot::SnapshotKind::kAuto;
    candidates.push_back({r.id.ToString(), r.id.millis(), kept});
  }
  const auto drop = snapshot::SnapshotsToDrop(candidates, options_.clock->NowNanos() / 1'000'000,
                                              options_.retention);
  for (const std::string& id : drop) {
    ASSIGN_OR_RETURN(snapshot::SnapshotId parsed, snapshot::SnapshotId::Parse(id));
    RETURN_IF_ERROR(node_->snapshots().Delete(KeyOf(project), parsed));
  }
  return drop.size();
}

Result<GcReport> SnapshotService::Gc() {
  std::lock_guard<std::mutex> lock(mu_);
  return GcLocked();
}

Result<GcReport> SnapshotService::GcLocked() {
  storage::ChunkStore& chunks = node_->chunks();
  // The epoch starts before marking: a chunk stored or re-put from now on is never swept.
  ASSIGN_OR_RETURN(storage::GcEpoch epoch, chunks.StartGcEpoch());
  storage::ChunkIdSet marked;
  std::vector<storage::ChunkId> roots;
  // Live files' chunks, and the trees the next snapshot will reuse for clean directories (they
  // may belong to no retained snapshot any more).
  RETURN_IF_ERROR(fs::ForEachLiveReference(
      chunks.database(),
      {.data_chunk = [&](const storage::ChunkId& id) { marked.insert(id); },
       .cached_tree = [&](const storage::ChunkId& id) { roots.push_back(id); }}));
  ASSIGN_OR_RETURN(auto projects, node_->ListProjects());
  for (const ProjectStatus& p : projects) {
    ASSIGN_OR_RETURN(auto records, node_->snapshots().List(KeyOf(p.record.id)));
    for (const auto& r : records) roots.push_back(r.root);
  }
  RETURN_IF_ERROR(snapshot::MarkReachable(chunks, roots, &marked));
  GcReport report;
  report.marked = marked.size();
  ASSIGN_OR_RETURN(report.swept, chunks.Sweep(marked, epoch));
  spdlog::info("gc: {} in use, {} erased ({} bytes)", report.marked, report.swept.erased,
               report.swept.erased_bytes);
  return report;
}

Result<FsckReport> SnapshotService::Fsck(bool deep) {
  storage::ChunkStore& chunks = node_->chunks();
  FsckReport report;
  auto check = [&](const storage::ChunkId& id, const std::string& what) {
    auto has = chunks.Has(id);
    if (!has.ok() || !*has) report.errors.push_back(what + " refers to missing chunk " + id.ToHex());
  };
  RETURN_IF_ERROR(fs::ForEachLiveReference(
      chunks.database(),
      {.data_chunk = [&](const storage::ChunkId& id) { check(id, "a live file"); },
       .cached_tree = [&](const storage::ChunkId& id) { check(id, "a live tree's cached tree"); }}));
  ASSIGN_OR_RETURN(auto projects, node_->ListProjects());
  report.projects = projects.size();
  storage::ChunkIdSet marked;
  for (const ProjectStatus& p : projects) {
    ASSIGN_OR_RETURN(auto records, node_->snapshots().List(KeyOf(p.record.id)));
    for (const auto& r : records) {
      ++report.snapshots;
      const storage::ChunkId roots[] = {r.root};
      Status walked = snapshot::MarkReachable(chunks, roots, &marked);
      if (!walked.ok()) {
        report.errors.push_back(p.record.name + "@" + r.id.ToString() + ": " + walked.message());
      }
    }
  }
  for (const storage::ChunkId& id : marked) check(id, "a snapshot");
  report.objects = marked.size();
  storage::VerifyOptions verify;
  verify.deep = deep;
  ASSIGN_OR_RETURN(storage::VerifyReport verified, storage::VerifyStore(chunks, verify));
  for (const auto& problem : verified.problems) {
    report.errors.push_back("chunk " + problem.id.ToHex() + ": " + problem.message);
  }
  return report;
}

}  // namespace berth::cluster
