#include "fs/snapshot_source.h"

#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/coding.h"
#include "fs/internal/keys.h"

namespace berth::fs {

using internal::InodeKey;
using internal::PrefixEnd;
using snapshot::DirtyMark;
using snapshot::NodeId;
using storage::ChunkId;

namespace {

const uint8_t* U8(const rocksdb::Slice& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// An extent's value: chunk id (32) · length (u32), as FileData writes it.
constexpr size_t kExtentValueSize = ChunkId::kSize + 4;

}  // namespace

LiveTreeSource::LiveTreeSource(LiveTree* tree, storage::Database* db)
    : tree_(tree), db_(db), view_(db->db()->GetSnapshot()) {
  read_.snapshot = view_;
}

LiveTreeSource::~LiveTreeSource() {
  cursors_.clear();
  if (view_ != nullptr) db_->db()->ReleaseSnapshot(view_);
}

std::unique_ptr<snapshot::TreeSource> LiveTree::OpenSnapshotSource() {
  return std::make_unique<LiveTreeSource>(this, db_);
}

LiveTreeSource::Cursor& LiveTreeSource::CursorOf(rocksdb::ColumnFamilyHandle* family) {
  for (auto& [handle, cursor] : cursors_) {
    if (handle == family) return *cursor;
  }
  auto cursor = std::make_unique<Cursor>();
  cursor->upper = PrefixEnd(std::string(tree_->project().key()));
  cursor->upper_slice = rocksdb::Slice(cursor->upper);
  rocksdb::ReadOptions options = read_;
  options.iterate_upper_bound = &cursor->upper_slice;
  cursor->it.reset(db_->db()->NewIterator(options, family));
  cursors_.emplace_back(family, std::move(cursor));
  return *cursors_.back().second;
}

rocksdb::Iterator* LiveTreeSource::SeekTo(rocksdb::ColumnFamilyHandle* family,
                                          const std::string& prefix) {
  // A step costs a fraction of a seek (which searches every level again); a few are worth
  // trying when the cursor rests just before the target, as it does when keys are read in order.
  constexpr int kMaxSteps = 8;
  rocksdb::Iterator* it = CursorOf(family).it.get();
  const rocksdb::Slice target(prefix);
  int steps = 0;
  while (it->Valid() && it->key().compare(target) < 0 && steps < kMaxSteps) {
    it->Next();
    ++steps;
  }
  if (!it->Valid() || it->key().compare(target) < 0 || steps == 0) it->Seek(target);
  return it;
}

template <typename Fn>
Status LiveTreeSource::Scan(rocksdb::ColumnFamilyHandle* family, const std::string& prefix, Fn fn) {
  rocksdb::Iterator* it = SeekTo(family, prefix);
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    rocksdb::Slice suffix(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    RETURN_IF_ERROR(fn(suffix, it->value()));
  }
  if (!it->status().ok()) return UnavailableError("scan live tree: " + it->status().ToString());
  return Status::Ok();
}

Result<bool> LiveTreeSource::HasAnyKey(rocksdb::ColumnFamilyHandle* family,
                                       const std::string& prefix) {
  rocksdb::Iterator* it = SeekTo(family, prefix);
  if (!it->status().ok()) return UnavailableError("scan live tree: " + it->status().ToString());
  return it->Valid() && it->key().starts_with(prefix);
}

Result<std::vector<DirtyMark>> LiveTreeSource::DirtyNodes() {
  std::vector<DirtyMark> marks;
  // Counts (thread-local, cheap at this level) of the tombstones the scan steps over.
  const rocksdb::PerfLevel level = rocksdb::GetPerfLevel();
  if (level < rocksdb::PerfLevel::kEnableCount) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  }
  const uint64_t deleted_before = rocksdb::get_perf_context()->internal_delete_skipped_count;
  Status scanned = Scan(db_->Family(kDirtyFamily), std::string(tree_->project().key()),
                        [&](rocksdb::Slice key, rocksdb::Slice value) -> Status {
                          if (key.size() != 8 || value.size() != 8) {
                            return DataLossError("corrupt dirty mark");
                          }
                          const Ino ino = DecodeBigEndian64(U8(key));
                          if (ino != 0) marks.push_back({ino, DecodeFixed64(U8(value))});
                          return Status::Ok();
                        });
  const uint64_t stepped_over =
      rocksdb::get_perf_context()->internal_delete_skipped_count - deleted_before;
  rocksdb::SetPerfLevel(level);
  RETURN_IF_ERROR(scanned);
  // Tombstones older than the view (an older version's, or many small snapshots' worth): the
  // view does not keep them, so they go now, even if this snapshot turns out to have nothing to
  // do and never completes.
  if (stepped_over >= kCompactAfterClearedMarks) CompactDirtyMarks();
  return marks;
}

Result<std::vector<NodeId>> LiveTreeSource::ParentsOf(NodeId node) {
  std::vector<NodeId> parents;
  if (node == kRootIno) return parents;
  RETURN_IF_ERROR(Scan(db_->Family(kLinkFamily), InodeKey(tree_->project(), node),
                       [&](rocksdb::Slice key, rocksdb::Slice) -> Status {
                         if (key.size() <= 8) return DataLossError("corrupt name link");
                         const Ino parent = DecodeBigEndian64(U8(key));
                         // Links of one parent are adjacent (the key sorts by parent first).
                         if (parents.empty() || parents.back() != parent) parents.push_back(parent);
                         return Status::Ok();
                       }));
  return parents;
}

Result<std::vector<snapshot::SourceEntry>> LiveTreeSource::ListDir(NodeId dir) {
  std::vector<snapshot::SourceEntry> entries;
  RETURN_IF_ERROR(Scan(db_->Family(kDentryFamily), InodeKey(tree_->project(), dir),
                       [&](rocksdb::Slice key, rocksdb::Slice value) -> Status {
                         ASSIGN_OR_RETURN(DirEntry entry,
                                          DecodeDirEntry(ByteView(U8(value), value.size())));
                         entries.push_back({key.ToString(), entry.ino});
                         return Status::Ok();
                       }));
  return entries;
}

Result<snapshot::NodeMeta> LiveTreeSource::Stat(NodeId node) {
  auto ahead = prefetched_.find(node);
  if (ahead == prefetched_.end()) return Read(node);
  snapshot::NodeMeta meta = std::move(ahead->second);
  prefetched_.erase(ahead);
  return meta;
}

Status LiveTreeSource::Prefetch(std::span<const NodeId> nodes) {
  std::vector<NodeId> sorted(nodes.begin(), nodes.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (NodeId node : sorted) {
    auto meta = Read(node);
    if (meta.ok()) {
      prefetched_.insert_or_assign(node, std::move(meta).value());
    } else if (meta.status().code() != StatusCode::kNotFound) {
      return meta.status();
    }  // gone: Stat says so when asked
  }
  return Status::Ok();
}

Result<snapshot::NodeMeta> LiveTreeSource::Read(NodeId node) {
  const std::string key = InodeKey(tree_->project(), node);
  rocksdb::Iterator* found = SeekTo(db_->Family(kInodeFamily), key);
  if (!found->status().ok()) {
    return UnavailableError("read inode " + std::to_string(node) + ": " +
                            found->status().ToString());
  }
  if (!found->Valid() || found->key() != rocksdb::Slice(key)) {
    return NotFoundError("inode " + std::to_string(node));
  }
  ASSIGN_OR_RETURN(Inode inode,
                   DecodeInode(node, ByteView(U8(found->value()), found->value().size())));

  snapshot::NodeMeta meta;
  meta.mode = inode.mode;
  meta.uid = inode.uid;
  meta.gid = inode.gid;
  meta.nlink = inode.nlink;
  meta.size = inode.size;
  meta.rdev = inode.rdev;
  meta.mtime_ns = inode.mtime_ns;
  meta.symlink_target = inode.symlink_target;
  if (!has_xattrs_) {
    ASSIGN_OR_RETURN(has_xattrs_,
                     HasAnyKey(db_->Family(kXattrFamily), std::string(tree_->project().key())));
  }
  if (*has_xattrs_) {
    RETURN_IF_ERROR(
        Scan(db_->Family(kXattrFamily), key, [&](rocksdb::Slice name, rocksdb::Slice v) -> Status {
          meta.xattrs.emplace_back(name.ToString(), v.ToString());
          return Status::Ok();
        }));
  }
  if (inode.is_regular()) {
    RETURN_IF_ERROR(
        Scan(db_->Family(kExtentFamily), key, [&](rocksdb::Slice k, rocksdb::Slice v) -> Status {
          if (k.size() != 8 || v.size() != kExtentValueSize) {
            return DataLossError("corrupt extent of inode " + std::to_string(node));
          }
          snapshot::SourceExtent extent;
          extent.offset = DecodeBigEndian64(U8(k));
          extent.chunk = ChunkId::FromBytes(ByteView(U8(v), ChunkId::kSize));
          extent.length = DecodeFixed32(U8(v) + ChunkId::kSize);
          meta.extents.push_back(extent);
          return Status::Ok();
        }));
  }
  return meta;
}

Result<std::optional<ChunkId>> LiveTreeSource::CachedTreeId(NodeId dir) {
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(read_, db_->Family(kTreeIdFamily), InodeKey(tree_->project(), dir), &value);
  if (s.IsNotFound()) return std::optional<ChunkId>();
  if (!s.ok()) return UnavailableError("read cached tree id: " + s.ToString());
  if (value.size() != ChunkId::kSize) return DataLossError("corrupt cached tree id");
  return std::optional<ChunkId>(ChunkId::FromBytes(AsBytes(value)));
}

Status LiveTreeSource::Complete(std::span<const std::pair<NodeId, ChunkId>> rebuilt_trees,
                                std::span<const DirtyMark> consumed) {
  RETURN_IF_ERROR(tree_->CompleteSnapshot(rebuilt_trees, consumed));
  // Compaction keeps a cleared mark while a snapshot older than its tombstone exists: the view
  // goes first (and the cursors reading it).
  cursors_.clear();
  db_->db()->ReleaseSnapshot(view_);
  view_ = nullptr;
  read_.snapshot = nullptr;
  if (consumed.size() >= kCompactAfterClearedMarks) CompactDirtyMarks();
  return Status::Ok();
}

void LiveTreeSource::CompactDirtyMarks() {
  const std::string begin(tree_->project().key());
  Status compacted = db_->CompactRange(kDirtyFamily, begin, PrefixEnd(begin));
  // Only speed is at stake: the snapshot goes on, and a later one tries again.
  if (!compacted.ok()) spdlog::warn("compacting dirty marks: {}", compacted.ToString());
}

}  // namespace berth::fs
