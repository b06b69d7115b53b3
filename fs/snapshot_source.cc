#include "fs/snapshot_source.h"

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
    : tree_(tree), db_(db), view_(db->db()->GetSnapshot()) {}

LiveTreeSource::~LiveTreeSource() { db_->db()->ReleaseSnapshot(view_); }

std::unique_ptr<snapshot::TreeSource> LiveTree::OpenSnapshotSource() {
  return std::make_unique<LiveTreeSource>(this, db_);
}

template <typename Fn>
Status LiveTreeSource::Scan(rocksdb::ColumnFamilyHandle* family, const std::string& prefix, Fn fn) {
  const std::string end = PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.snapshot = view_;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(options, family));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    rocksdb::Slice suffix(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    RETURN_IF_ERROR(fn(suffix, it->value()));
  }
  if (!it->status().ok()) return UnavailableError("scan live tree: " + it->status().ToString());
  return Status::Ok();
}

Result<std::vector<DirtyMark>> LiveTreeSource::DirtyNodes() {
  std::vector<DirtyMark> marks;
  RETURN_IF_ERROR(Scan(db_->Family(kDirtyFamily), std::string(tree_->project().key()),
                       [&](rocksdb::Slice key, rocksdb::Slice value) -> Status {
                         if (key.size() != 8 || value.size() != 8) {
                           return DataLossError("corrupt dirty mark");
                         }
                         const Ino ino = DecodeBigEndian64(U8(key));
                         if (ino != 0) marks.push_back({ino, DecodeFixed64(U8(value))});
                         return Status::Ok();
                       }));
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
  const std::string key = InodeKey(tree_->project(), node);
  rocksdb::ReadOptions options;
  options.snapshot = view_;
  std::string value;
  rocksdb::Status s = db_->db()->Get(options, db_->Family(kInodeFamily), key, &value);
  if (s.IsNotFound()) return NotFoundError("inode " + std::to_string(node));
  if (!s.ok()) return UnavailableError("read inode " + std::to_string(node) + ": " + s.ToString());
  ASSIGN_OR_RETURN(Inode inode, DecodeInode(node, AsBytes(value)));

  snapshot::NodeMeta meta;
  meta.mode = inode.mode;
  meta.uid = inode.uid;
  meta.gid = inode.gid;
  meta.nlink = inode.nlink;
  meta.size = inode.size;
  meta.rdev = inode.rdev;
  meta.mtime_ns = inode.mtime_ns;
  meta.symlink_target = inode.symlink_target;
  RETURN_IF_ERROR(Scan(db_->Family(kXattrFamily), key,
                       [&](rocksdb::Slice name, rocksdb::Slice v) -> Status {
                         meta.xattrs.emplace_back(name.ToString(), v.ToString());
                         return Status::Ok();
                       }));
  if (inode.is_regular()) {
    RETURN_IF_ERROR(Scan(db_->Family(kExtentFamily), key,
                         [&](rocksdb::Slice k, rocksdb::Slice v) -> Status {
                           if (k.size() != 8 || v.size() != kExtentValueSize) {
                             return DataLossError("corrupt extent of inode " +
                                                  std::to_string(node));
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
  rocksdb::ReadOptions options;
  options.snapshot = view_;
  std::string value;
  rocksdb::Status s = db_->db()->Get(options, db_->Family(kTreeIdFamily),
                                     InodeKey(tree_->project(), dir), &value);
  if (s.IsNotFound()) return std::optional<ChunkId>();
  if (!s.ok()) return UnavailableError("read cached tree id: " + s.ToString());
  if (value.size() != ChunkId::kSize) return DataLossError("corrupt cached tree id");
  return std::optional<ChunkId>(ChunkId::FromBytes(AsBytes(value)));
}

Status LiveTreeSource::Complete(std::span<const std::pair<NodeId, ChunkId>> rebuilt_trees,
                                std::span<const DirtyMark> consumed) {
  return tree_->CompleteSnapshot(rebuilt_trees, consumed);
}

}  // namespace berth::fs
