#include "snapshot/snapshot_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "snapshot/object_io.h"
#include "snapshot/tree_object.h"

namespace berth::snapshot {

namespace {

using storage::ChunkId;

std::string ChildPath(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// One directory being rebuilt: its sorted listing, its previous tree object if there is one,
// and the entries built so far.
struct Frame {
  NodeId dir = 0;
  std::string path;
  std::vector<SourceEntry> listing;
  std::optional<TreeObject> prev;
  size_t next = 0;
  size_t prefetched_to = 0;  // listing[next, prefetched_to) was announced to Prefetch
  TreeObject tree;
};

// Entries announced to TreeSource::Prefetch at a time: enough for the source to read them in its
// own order, few enough that a directory of millions of entries is not held twice in memory.
constexpr size_t kPrefetchWindow = 4096;

// One snapshot's tree build over a source's frozen view.
class TreeBuild {
 public:
  TreeBuild(TreeSource& source, const storage::ChunkStore& chunks, WriteResult* result)
      : source_(source), chunks_(chunks), hasher_(chunks.hasher()), result_(*result) {}

  // Notes the dirty nodes and every directory above them (the directories to rebuild).
  Status MarkPaths(const std::vector<DirtyMark>& marks);
  // Rebuilds every node, as if all were dirty: for a tree never snapshotted (its root has no
  // cached tree), where every directory is rebuilt anyway and looking up each dirty node's
  // parents would be wasted.
  void MarkEverything() { everything_ = true; }
  // Rebuilds from the root; the new root's id and totals.
  Status Run(ChunkId* root, Totals* totals);

  std::vector<EncodedObject>& objects() { return objects_; }
  const std::vector<std::pair<NodeId, ChunkId>>& rebuilt() const { return rebuilt_; }
  uint64_t new_data_bytes() const { return new_data_bytes_; }

 private:
  Status PushFrame(NodeId dir, std::string path);
  // Whether BuildEntry reads `se` from the source rather than copying its previous entry.
  bool NeedsStat(const Frame& f, const SourceEntry& se, const TreeEntry** old) const;
  // Tells the source which entries of the next window of `f`'s listing BuildEntry will read.
  Status PrefetchWindow(Frame& f);
  // Builds the entry for `se` in `f`; sets *descend when its subtree must be rebuilt.
  Status BuildEntry(Frame& f, const SourceEntry& se, bool* descend);
  Status EntryFromMeta(const std::string& path, const SourceEntry& se, const NodeMeta& meta,
                       const TreeEntry* old, TreeEntry* e);
  // Data bytes of the new version of a file that its old version did not hold.
  Result<uint64_t> NewDataBytes(const TreeEntry* old, const ChunkList& data,
                                const std::vector<Piece>& pieces, size_t first_list_object);

  TreeSource& source_;
  const storage::ChunkStore& chunks_;
  const storage::ChunkHasher& hasher_;
  WriteResult& result_;
  bool everything_ = false;
  std::unordered_set<NodeId> dirty_;
  std::unordered_set<NodeId> on_path_;  // ancestors of dirty nodes
  std::unordered_set<NodeId> visited_;  // directories descended into (a cycle guard)
  std::vector<Frame> stack_;
  std::vector<EncodedObject> objects_;  // children before the objects referring to them
  std::vector<std::pair<NodeId, ChunkId>> rebuilt_;
  uint64_t new_data_bytes_ = 0;
};

Status TreeBuild::MarkPaths(const std::vector<DirtyMark>& marks) {
  std::vector<NodeId> queue;
  for (const DirtyMark& m : marks) {
    dirty_.insert(m.node);
    queue.push_back(m.node);
  }
  while (!queue.empty()) {
    NodeId node = queue.back();
    queue.pop_back();
    ASSIGN_OR_RETURN(std::vector<NodeId> parents, source_.ParentsOf(node));
    for (NodeId p : parents) {
      if (on_path_.insert(p).second) queue.push_back(p);
    }
  }
  return Status::Ok();
}

Status TreeBuild::PushFrame(NodeId dir, std::string path) {
  if (!visited_.insert(dir).second) {
    return DataLossError("directory " + path + " is reached twice (a cycle in the source)");
  }
  Frame f;
  f.dir = dir;
  f.path = std::move(path);
  auto listing = source_.ListDir(dir);
  if (!listing.ok()) return listing.status().WithContext("listing " + f.path);
  f.listing = std::move(listing).value();
  std::sort(f.listing.begin(), f.listing.end(),
            [](const SourceEntry& a, const SourceEntry& b) { return a.name < b.name; });
  for (size_t i = 1; i < f.listing.size(); ++i) {
    if (f.listing[i - 1].name == f.listing[i].name) {
      return InternalError("source lists '" + f.listing[i].name + "' twice in " + f.path);
    }
  }
  f.tree.entries.reserve(f.listing.size());
  if (dir == source_.root()) {
    // The root has no parent entry to hold its attributes: its tree object carries them.
    auto meta = source_.Stat(dir);
    if (!meta.ok()) return meta.status().WithContext("stat /");
    if (!S_ISDIR(meta->mode)) return DataLossError("the source's root is not a directory");
    DirAttributes self;
    self.perms = meta->mode & 07777;
    self.uid = meta->uid;
    self.gid = meta->gid;
    self.mtime_ns = meta->mtime_ns;
    self.xattrs = std::move(meta->xattrs);
    std::sort(self.xattrs.begin(), self.xattrs.end());
    Status valid = ValidateDirAttributes(self);
    if (!valid.ok()) return valid.WithContext("/");
    f.tree.self = std::move(self);
  }
  ASSIGN_OR_RETURN(std::optional<ChunkId> cached, source_.CachedTreeId(dir));
  if (cached) {
    auto prev = LoadTree(chunks_, *cached);
    if (prev.ok()) {
      f.prev = std::move(prev).value();
    } else if (prev.status().code() != StatusCode::kNotFound &&
               prev.status().code() != StatusCode::kDataLoss) {
      return prev.status().WithContext("previous tree of " + f.path);
    }
    // A previous tree that is gone or corrupt is not needed: every entry is built from Stat.
  }
  ++result_.trees_rebuilt;
  stack_.push_back(std::move(f));
  return Status::Ok();
}

Status TreeBuild::PrefetchWindow(Frame& f) {
  const size_t end = std::min(f.listing.size(), f.next + kPrefetchWindow);
  std::vector<NodeId> to_stat;
  const TreeEntry* old = nullptr;
  for (size_t i = f.next; i < end; ++i) {
    if (NeedsStat(f, f.listing[i], &old)) to_stat.push_back(f.listing[i].node);
  }
  f.prefetched_to = end;
  if (to_stat.empty()) return Status::Ok();
  Status prefetched = source_.Prefetch(to_stat);
  if (!prefetched.ok()) return prefetched.WithContext("reading the entries of " + f.path);
  return Status::Ok();
}

bool TreeBuild::NeedsStat(const Frame& f, const SourceEntry& se, const TreeEntry** old) const {
  const bool dirty = everything_ || dirty_.count(se.node) > 0;
  const bool on_path = on_path_.count(se.node) > 0;
  *old = f.prev ? f.prev->Find(se.name) : nullptr;
  // Clean: exactly as in the previous snapshot (TreeSource's invariant). A clean directory
  // above a dirty node keeps its metadata and gets its subtree rebuilt.
  return dirty || *old == nullptr || (on_path && !(*old)->is_dir());
}

Status TreeBuild::Run(ChunkId* root, Totals* totals) {
  RETURN_IF_ERROR(PushFrame(source_.root(), "/"));
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    if (f.next < f.listing.size()) {
      if (f.next == f.prefetched_to) RETURN_IF_ERROR(PrefetchWindow(f));
      const SourceEntry& se = f.listing[f.next++];
      bool descend = false;
      RETURN_IF_ERROR(BuildEntry(f, se, &descend));
      if (descend) {
        // Copies first: pushing a frame moves the stack, and `f` and `se` with it.
        NodeId child = se.node;
        std::string child_path = ChildPath(f.path, se.name);
        RETURN_IF_ERROR(PushFrame(child, std::move(child_path)));
      }
      continue;
    }
    auto encoded = EncodeTreeObjects(f.tree, hasher_);
    if (!encoded.ok()) return encoded.status().WithContext("tree of " + f.path);
    const ChunkId id = encoded->id;
    Totals t = f.tree.totals();
    rebuilt_.emplace_back(f.dir, id);
    for (auto& [page_id, page] : encoded->pages) {
      objects_.push_back(EncodedObject{page_id, storage::ChunkKind::kTree, std::move(page)});
    }
    objects_.push_back(EncodedObject{id, storage::ChunkKind::kTree, std::move(encoded->bytes)});
    stack_.pop_back();
    if (stack_.empty()) {
      *root = id;
      *totals = t;
    } else {
      TreeEntry& parent_entry = stack_.back().tree.entries.back();
      parent_entry.subtree = id;
      parent_entry.subtree_totals = t;
    }
  }
  return Status::Ok();
}

Status TreeBuild::BuildEntry(Frame& f, const SourceEntry& se, bool* descend) {
  const bool dirty = everything_ || dirty_.count(se.node) > 0;
  const bool on_path = on_path_.count(se.node) > 0;
  const TreeEntry* old = nullptr;
  if (!NeedsStat(f, se, &old)) {
    f.tree.entries.push_back(*old);
    ++result_.entries_copied;
    *descend = on_path;
    return Status::Ok();
  }
  const std::string path = ChildPath(f.path, se.name);
  auto meta = source_.Stat(se.node);
  if (!meta.ok()) return meta.status().WithContext("stat " + path);
  ++result_.entries_statted;
  TreeEntry e;
  RETURN_IF_ERROR(EntryFromMeta(path, se, *meta, old, &e));
  if (e.is_dir()) {
    *descend = true;
    if (!dirty && !on_path) {
      // A clean directory with no previous entry to copy: its cached tree, if still stored.
      ASSIGN_OR_RETURN(std::optional<ChunkId> cached, source_.CachedTreeId(se.node));
      if (cached) {
        auto totals = LoadTreeTotals(chunks_, *cached);
        if (totals.ok()) {
          e.subtree = *cached;
          e.subtree_totals = *totals;
          *descend = false;
        } else if (totals.status().code() != StatusCode::kNotFound &&
                   totals.status().code() != StatusCode::kDataLoss) {
          return totals.status().WithContext("cached tree of " + path);
        }
      }
    }
  }
  f.tree.entries.push_back(std::move(e));
  return Status::Ok();
}

Status TreeBuild::EntryFromMeta(const std::string& path, const SourceEntry& se,
                                const NodeMeta& meta, const TreeEntry* old, TreeEntry* e) {
  auto type = EntryTypeOfMode(meta.mode);
  if (!type.ok()) return type.status().WithContext(path);
  e->name = se.name;
  e->type = *type;
  e->perms = meta.mode & 07777;
  e->uid = meta.uid;
  e->gid = meta.gid;
  e->mtime_ns = meta.mtime_ns;
  e->link_group = (!e->is_dir() && meta.nlink > 1) ? se.node : 0;
  e->xattrs = meta.xattrs;
  std::sort(e->xattrs.begin(), e->xattrs.end());
  switch (e->type) {
    case EntryType::kRegular: {
      e->size = meta.size;
      auto pieces = PiecesFromExtents(meta.extents, meta.size);
      if (!pieces.ok()) return pieces.status().WithContext(path);
      const size_t first_list_object = objects_.size();
      auto data = BuildChunkList(*pieces, hasher_, &objects_);
      if (!data.ok()) return data.status().WithContext(path);
      e->data = std::move(data).value();
      auto fresh = NewDataBytes(old, e->data, *pieces, first_list_object);
      if (!fresh.ok()) return fresh.status().WithContext("previous version of " + path);
      new_data_bytes_ += *fresh;
      break;
    }
    case EntryType::kSymlink:
      e->target = meta.symlink_target;
      break;
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
      e->rdev = meta.rdev;
      break;
    default:
      break;
  }
  Status valid = ValidateEntry(*e);
  if (!valid.ok()) return valid.WithContext(path);
  return Status::Ok();
}

Result<uint64_t> TreeBuild::NewDataBytes(const TreeEntry* old, const ChunkList& data,
                                         const std::vector<Piece>& pieces,
                                         size_t first_list_object) {
  if (old != nullptr && old->type == EntryType::kRegular && old->data == data) return 0;
  // The new version's list objects, by id, with their level (byte 1 of a list object).
  std::unordered_map<ChunkId, size_t, storage::ChunkIdHash> new_lists;
  for (size_t i = first_list_object; i < objects_.size(); ++i) new_lists[objects_[i].id] = i;

  // Chunk ids of the old version, skipping leaves both versions share: an edit of a huge file
  // costs the leaves around it, not the whole list.
  storage::ChunkIdSet old_chunks, shared_leaves;
  if (old != nullptr && old->type == EntryType::kRegular) {
    for (const Piece& p : old->data.pieces) {
      if (!p.hole()) old_chunks.insert(*p.chunk);
    }
    std::vector<ChunkId> todo;
    if (old->data.list) todo.push_back(*old->data.list);
    while (!todo.empty()) {
      ChunkId id = todo.back();
      todo.pop_back();
      auto shared = new_lists.find(id);
      if (shared != new_lists.end() && objects_[shared->second].bytes[1] == 0) {
        shared_leaves.insert(id);
        continue;
      }
      ASSIGN_OR_RETURN(ListObject list, LoadList(chunks_, id));
      for (const Piece& p : list.pieces) {
        if (!p.hole()) old_chunks.insert(*p.chunk);
      }
      for (const ListChild& c : list.children) todo.push_back(c.id);
    }
  }
  uint64_t fresh = 0;
  storage::ChunkIdSet counted;
  auto count = [&](const std::vector<Piece>& ps) {
    for (const Piece& p : ps) {
      if (!p.hole() && !old_chunks.count(*p.chunk) && counted.insert(*p.chunk).second) {
        fresh += p.length;
      }
    }
  };
  if (!data.list) {
    count(pieces);
    return fresh;
  }
  for (size_t i = first_list_object; i < objects_.size(); ++i) {
    const EncodedObject& o = objects_[i];
    if (o.bytes[1] != 0 || shared_leaves.count(o.id)) continue;
    ASSIGN_OR_RETURN(ListObject leaf, DecodeListObject(o.bytes));
    count(leaf.pieces);
  }
  return fresh;
}

}  // namespace

Result<WriteResult> SnapshotWriter::Write(TreeSource& source, const WriteOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t created_ns = options.clock->NowNanos();
  WriteResult result;
  auto finish = [&]() -> Result<WriteResult> {
    result.elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    return result;
  };
  if (!options.label.empty()) {
    RETURN_IF_ERROR(ValidateLabel(options.label));
    ASSIGN_OR_RETURN(std::vector<SnapshotRecord> all, snapshots_->List(options.project));
    for (const SnapshotRecord& r : all) {
      if (r.label == options.label) {
        return AlreadyExistsError("label '" + options.label + "' names snapshot " +
                                  r.id.ToString() + " already");
      }
    }
  }

  ASSIGN_OR_RETURN(std::vector<DirtyMark> marks, source.DirtyNodes());
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> latest, snapshots_->Latest(options.project));
  result.dirty_marks = marks.size();
  if (marks.empty() && latest && !options.force) {
    result.root = latest->root;
    return finish();
  }

  TreeBuild build(source, *chunks_, &result);
  ASSIGN_OR_RETURN(std::optional<ChunkId> root_cached, source.CachedTreeId(source.root()));
  if (root_cached) {
    RETURN_IF_ERROR(build.MarkPaths(marks));
  } else {
    build.MarkEverything();
  }
  Totals totals;
  RETURN_IF_ERROR(build.Run(&result.root, &totals));
  if (options.before_write) RETURN_IF_ERROR(options.before_write());

  const bool unchanged = latest && latest->root == result.root;
  // Every object reachable from an unchanged root is stored already; otherwise store them,
  // children first, in batches, the last one together with the record: nothing ever refers to a
  // missing object, and a snapshot costs one sync.
  ObjectWriter writer(chunks_, options.batch_bytes);
  if (!unchanged) {
    for (const EncodedObject& o : build.objects()) RETURN_IF_ERROR(writer.Add(o));
    result.objects_written = writer.written();
    result.objects_reused = writer.reused();
    result.bytes_written = writer.bytes_written();
  }
  if (!unchanged || options.force) {
    SnapshotRecord record;
    record.project = options.project;
    ASSIGN_OR_RETURN(record.id, snapshots_->NextId(options.project, created_ns / 1'000'000));
    record.root = result.root;
    if (latest) record.parent = latest->id;
    record.host = options.host;
    record.label = options.label;
    record.kind = options.kind;
    record.files = totals.files;
    record.directories = totals.dirs + 1;
    record.bytes = totals.bytes;
    record.new_bytes = build.new_data_bytes() + result.bytes_written;
    record.created_ns = created_ns;
    RETURN_IF_ERROR(snapshots_->PutWithObjects(record, writer.pending_batch(),
                                               writer.Pending(result.root), options.sync));
    result.record = std::move(record);
  }
  // Marks are cleared only once the record is stored: a crash before this point leaves them,
  // and the next snapshot rebuilds the same paths.
  RETURN_IF_ERROR(source.Complete(build.rebuilt(), marks));
  return finish();
}

}  // namespace berth::snapshot
