#include "fs/file_data.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"
#include "fs/internal/keys.h"
#include "fs/internal/prefix_iterator.h"
#include "storage/rechunk.h"

namespace berth::fs {

using internal::EncodeExtentValue;
using internal::ExtentKey;
using internal::InodeKey;
using internal::kExtentValueSize;
using storage::ChunkId;

namespace {

// The extent record under `it`, whose key starts with the file's `prefix_size`-byte prefix.
// DATA_LOSS for a malformed record.
Result<Extent> ExtentAt(const rocksdb::Iterator& it, size_t prefix_size, Ino ino) {
  if (it.key().size() != prefix_size + 8 || it.value().size() != kExtentValueSize) {
    return DataLossError("corrupt extent of inode " + std::to_string(ino));
  }
  const auto* v = reinterpret_cast<const uint8_t*>(it.value().data());
  Extent e;
  e.offset = DecodeBigEndian64(reinterpret_cast<const uint8_t*>(it.key().data()) + prefix_size);
  e.id = ChunkId::FromBytes(ByteView(v, ChunkId::kSize));
  e.length = DecodeFixed32(v + ChunkId::kSize);
  return e;
}

// Prefetch bounds: chunk ids waiting to be fetched, and files whose read position is tracked.
constexpr size_t kMaxPrefetchQueue = 256;
constexpr size_t kMaxStreams = 4096;

// New chunks are written in batches of about this many bytes during a commit.
constexpr size_t kChunkBatchBytes = 8u << 20;

bool AllZero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

Status PreadAll(int fd, uint8_t* out, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return PosixError("read dirty buffer", errno);
    if (got == 0) {  // past the scratch file's end: never written, so zeros
      std::memset(out, 0, n);
      return Status::Ok();
    }
    out += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return Status::Ok();
}

// One piece of a file's committed content: a chunk or a hole.
struct Segment {
  uint64_t offset = 0;
  uint32_t length = 0;
  bool hole = false;
};

}  // namespace

FileData::FileData(LiveTree* tree, storage::ChunkStore* chunks, const storage::Chunker* chunker,
                   const FileDataOptions& options)
    : tree_(tree), chunks_(chunks), chunker_(chunker), options_(options) {
  if (options_.prefetch_bytes > 0 && options_.prefetch_threads > 0) {
    prefetcher_ = std::make_unique<ChunkPrefetcher>(
        [this](const ChunkId& id) { (void)Chunk(id); }, options_.prefetch_threads,
        kMaxPrefetchQueue);
  }
}

Result<std::unique_ptr<FileData>> FileData::Open(LiveTree* tree, storage::ChunkStore* chunks,
                                                 const storage::Chunker* chunker,
                                                 const FileDataOptions& options) {
  if (options.dirty_dir.empty()) return InvalidArgumentError("file data: no dirty_dir");
  RETURN_IF_ERROR(MakeDirs(options.dirty_dir, 0700));
  return std::unique_ptr<FileData>(new FileData(tree, chunks, chunker, options));
}

FileData::~FileData() {
  for (auto& [ino, dirty] : dirty_) ::unlink(ScratchPath(ino).c_str());
}

std::string FileData::ScratchPath(Ino ino) const {
  return options_.dirty_dir + "/" + tree_->project().ToString() + "-" + std::to_string(ino);
}

Result<FileData::Dirty*> FileData::DirtyFor(Ino ino) {
  auto it = dirty_.find(ino);
  if (it != dirty_.end()) return it->second.get();
  ASSIGN_OR_RETURN(Inode inode, tree_->GetAttr(ino));
  if (!inode.is_regular()) return PosixError("write", inode.is_dir() ? EISDIR : EINVAL);
  const std::string path = ScratchPath(ino);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return PosixError("create dirty buffer " + path, errno);
  auto dirty = std::make_shared<Dirty>();
  dirty->fd = std::move(fd);
  dirty->size = dirty->committed_size = inode.size;
  dirty->mtime_ns = inode.mtime_ns;
  dirty->ctime_ns = inode.ctime_ns;
  return dirty_.emplace(ino, std::move(dirty)).first->second.get();
}

Status FileData::Write(Ino ino, uint64_t offset, ByteView data) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Dirty * dirty, DirtyFor(ino));
  // The byte quota is exact at commit; here a write that grows the project past it fails at
  // once with EDQUOT, so the writer learns it from write(2) rather than from close or fsync.
  const uint64_t max_bytes = tree_->limits().max_bytes;
  const uint64_t end = offset + data.size();
  if (max_bytes != 0 && end > dirty->size) {
    uint64_t pending = 0;
    for (const auto& [other, d] : dirty_) pending += d->size - std::min(d->size, d->committed_size);
    if (tree_->usage().bytes + pending + (end - dirty->size) > max_bytes) {
      return PosixError("write past the byte quota", EDQUOT);
    }
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(dirty->fd.get(), data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    // ENOSPC on the dirty disk reaches the writer; what was committed stays as it was.
    if (n < 0) return PosixError("write dirty buffer", errno);
    done += static_cast<size_t>(n);
  }
  dirty->ranges.Add(offset, offset + data.size());
  if (dirty->committing) dirty->written_during_commit.Add(offset, offset + data.size());
  dirty->size = std::max(dirty->size, offset + data.size());
  dirty->mtime_ns = dirty->ctime_ns = options_.clock->NowNanos();
  ++dirty->version;
  return Status::Ok();
}

Result<std::shared_ptr<const Bytes>> FileData::Chunk(const ChunkId& id) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto hit = cache_.find(id);
    if (hit != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, hit->second);
      return hit->second->second;
    }
  }
  // Fetched and decompressed without the lock, so that readers of different chunks overlap; two
  // readers of one missing chunk may both fetch it, and the second insert is dropped.
  ASSIGN_OR_RETURN(Bytes plain, chunks_->Get(id));
  auto bytes = std::make_shared<const Bytes>(std::move(plain));
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (auto raced = cache_.find(id); raced != cache_.end()) return raced->second->second;
  lru_.emplace_front(id, bytes);
  cache_[id] = lru_.begin();
  cached_bytes_ += bytes->size();
  while (cached_bytes_ > options_.cache_bytes && lru_.size() > 1) {
    cached_bytes_ -= lru_.back().second->size();
    cache_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return bytes;
}

bool FileData::Cached(const ChunkId& id) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return cache_.count(id) > 0;
}

Status FileData::ReadCommitted(Ino ino, uint64_t offset, std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  if (out.empty()) return Status::Ok();
  rocksdb::DB* db = chunks_->database()->db();
  const std::string prefix = InodeKey(tree_->project(), ino);
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), tree_->extents_family()));
  // The extent holding `offset` starts at or before it.
  it->SeekForPrev(ExtentKey(tree_->project(), ino, offset));
  if (!it->Valid() || !it->key().starts_with(prefix)) it->Seek(prefix);
  const uint64_t end = offset + out.size();
  // A reader that continues where its last read ended gets the chunks after this read fetched
  // ahead; the kernel's own readahead keeps at most two of its requests in flight here.
  uint64_t prefetch_end = end;
  if (prefetcher_) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto [last, inserted] = read_end_.try_emplace(ino, end);
    if (!inserted && last->second == offset) prefetch_end = end + options_.prefetch_bytes;
    last->second = end;
    if (read_end_.size() > kMaxStreams) read_end_.clear();
  }
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(const Extent extent, ExtentAt(*it, prefix.size(), ino));
    const uint64_t ext_begin = extent.offset, ext_end = extent.offset + extent.length;
    if (ext_begin >= prefetch_end) break;
    if (ext_end <= offset) continue;
    const ChunkId& id = extent.id;
    if (ext_begin >= end) {
      if (!Cached(id)) prefetcher_->Enqueue(id);
      continue;
    }
    ASSIGN_OR_RETURN(auto chunk, Chunk(id));
    if (chunk->size() != ext_end - ext_begin) {
      return DataLossError("extent of inode " + std::to_string(ino) + " disagrees with chunk " +
                           id.ToHex());
    }
    const uint64_t from = std::max(offset, ext_begin), to = std::min(end, ext_end);
    std::memcpy(out.data() + (from - offset), chunk->data() + (from - ext_begin), to - from);
  }
  if (!it->status().ok()) return UnavailableError("read extents: " + it->status().ToString());
  return Status::Ok();
}

Result<size_t> FileData::Read(Ino ino, uint64_t offset, std::span<uint8_t> out) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = dirty_.find(ino);
  uint64_t size = 0, committed = 0;
  if (it != dirty_.end()) {
    size = it->second->size;
    committed = it->second->committed_size;
  } else {
    // A file without uncommitted writes: its committed extents are all there is, and they are
    // read without mu_, so that reads overlap with each other, with commits and with writes to
    // other files. A write or commit that starts meanwhile is ordered after this read.
    lock.unlock();
    ASSIGN_OR_RETURN(Inode inode, tree_->GetAttr(ino));
    if (offset >= inode.size) return size_t{0};
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), inode.size - offset));
    RETURN_IF_ERROR(ReadCommitted(ino, offset, out.first(n)));
    return n;
  }
  if (offset >= size) return size_t{0};
  const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), size - offset));
  out = out.first(n);
  // Committed bytes first (zeros past the committed end), then the dirty ranges over them.
  const size_t from_committed =
      offset < committed ? static_cast<size_t>(std::min<uint64_t>(n, committed - offset)) : 0;
  RETURN_IF_ERROR(ReadCommitted(ino, offset, out.first(from_committed)));
  std::fill(out.begin() + static_cast<ptrdiff_t>(from_committed), out.end(), 0);
  if (it != dirty_.end()) {
    const Dirty& dirty = *it->second;
    for (auto r = dirty.ranges.FindFrom(offset); r != dirty.ranges.end() && r->first < offset + n;
         ++r) {
      const uint64_t from = std::max(offset, r->first), to = std::min(offset + n, r->second);
      RETURN_IF_ERROR(PreadAll(dirty.fd.get(), out.data() + (from - offset), to - from, from));
    }
  }
  return n;
}

Result<std::vector<Extent>> FileData::Extents(Ino ino) {
  const std::string prefix = InodeKey(tree_->project(), ino);
  internal::PrefixIterator it(chunks_->database()->db(), tree_->extents_family(), prefix);
  std::vector<Extent> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Extent e, ExtentAt(*it, prefix.size(), ino));
    out.push_back(e);
  }
  if (!it->status().ok()) return UnavailableError("read extents: " + it->status().ToString());
  return out;
}

Status FileData::CommitRanges(Ino ino, const CommitInput& dirty) {
  const uint64_t old_size = dirty.committed_size, new_size = dirty.size;
  if (old_size == new_size && dirty.ranges.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<Extent> extents, Extents(ino));
  const uint64_t max_piece = chunker_->options().max_size;

  // The committed content as a tiling of chunks and holes: what the re-chunker edits. Holes are
  // cut into max-size pieces, so re-chunking a write inside a large hole starts near it.
  std::vector<Segment> segments;
  uint64_t pos = 0;
  auto add_hole = [&](uint64_t until) {
    while (pos < until) {
      uint32_t len = static_cast<uint32_t>(std::min(until - pos, max_piece));
      segments.push_back({pos, len, true});
      pos += len;
    }
  };
  for (const Extent& e : extents) {
    if (e.offset >= old_size) break;
    add_hole(e.offset);
    segments.push_back({e.offset, e.length, false});
    pos = e.offset + e.length;
  }
  add_hole(old_size);

  // The content after the commit: committed bytes (zeros past the old end) under dirty ranges.
  // Extents in the database are not touched until the batch is written.
  storage::ReadAt read_new = [&](uint64_t offset, std::span<uint8_t> out) -> Status {
    const size_t from_committed =
        offset < old_size ? static_cast<size_t>(std::min<uint64_t>(out.size(), old_size - offset))
                          : 0;
    RETURN_IF_ERROR(ReadCommitted(ino, offset, out.first(from_committed)));
    std::fill(out.begin() + static_cast<ptrdiff_t>(from_committed), out.end(), 0);
    for (auto r = dirty.ranges.FindFrom(offset);
         r != dirty.ranges.end() && r->first < offset + out.size(); ++r) {
      const uint64_t from = std::max(offset, r->first);
      const uint64_t to = std::min<uint64_t>(offset + out.size(), r->second);
      RETURN_IF_ERROR(PreadAll(dirty.fd, out.data() + (from - offset), to - from, from));
    }
    return Status::Ok();
  };

  // Everything slow (re-chunking, hashing, compressing, storing new chunks) happens here, before
  // the tree's lock is taken: UpdateData then only replays the extent changes into its batch, so
  // metadata requests of the project do not wait for a large commit.
  //
  // New chunks go to the store in batches of their own, ahead of the one batch that swaps
  // extents, size and usage: memory stays bounded however large the file, and a crash in between
  // leaves only unreferenced chunks, which the next sweep takes. Never the reverse.
  struct ExtentOp {
    bool put = false;  // else delete
    std::string key;
    std::string value;
  };
  std::vector<ExtentOp> extent_ops;
  rocksdb::WriteBatch chunk_batch;
  storage::ChunkIdSet in_batch;  // chunks in chunk_batch, which the store cannot see yet
  auto flush_chunks = [&]() -> Status {
    if (chunk_batch.Count() == 0) return Status::Ok();
    RETURN_IF_ERROR(chunks_->database()->Write(&chunk_batch));
    chunk_batch.Clear();
    in_batch.clear();
    return Status::Ok();
  };
  int64_t allocated_delta = 0;
  // Re-chunks one edit against the current tiling and splices the result in. Each dirty range
  // is its own edit, so a write far into a large file does not re-chunk what lies between.
  auto apply = [&](const storage::Edit& edit) -> Status {
    struct Piece {
      Segment segment;
      ChunkId id;
    };
    std::vector<Piece> fresh;
    storage::EmitChunk emit = [&](uint64_t offset, ByteView chunk) -> Status {
      const uint32_t len = static_cast<uint32_t>(chunk.size());
      if (AllZero(chunk)) {  // a hole: no extent, no chunk
        fresh.push_back({{offset, len, true}, ChunkId()});
        return Status::Ok();
      }
      ChunkId id = chunks_->IdOf(chunk);
      if (in_batch.insert(id).second) {
        RETURN_IF_ERROR(chunks_->AddToBatch(&chunk_batch, storage::ChunkKind::kData, chunk, id));
        if (chunk_batch.GetDataSize() >= kChunkBatchBytes) RETURN_IF_ERROR(flush_chunks());
      }
      fresh.push_back({{offset, len, false}, id});
      return Status::Ok();
    };
    std::vector<uint32_t> lengths;
    lengths.reserve(segments.size());
    for (const Segment& s : segments) lengths.push_back(s.length);
    ASSIGN_OR_RETURN(storage::RechunkResult result,
                     storage::Rechunk(*chunker_, lengths, edit, read_new, emit));
    // Deletes first, then puts: a new extent may start where a replaced one did.
    for (size_t i = result.replace_begin; i < result.replace_end; ++i) {
      if (segments[i].hole) continue;
      allocated_delta -= segments[i].length;
      extent_ops.push_back({false, ExtentKey(tree_->project(), ino, segments[i].offset), {}});
    }
    std::vector<Segment> replacement;
    for (const Piece& p : fresh) {
      replacement.push_back(p.segment);
      if (p.segment.hole) continue;
      allocated_delta += p.segment.length;
      extent_ops.push_back({true, ExtentKey(tree_->project(), ino, p.segment.offset),
                            EncodeExtentValue(p.id, p.segment.length)});
    }
    segments.erase(segments.begin() + static_cast<ptrdiff_t>(result.replace_begin),
                   segments.begin() + static_cast<ptrdiff_t>(result.replace_end));
    segments.insert(segments.begin() + static_cast<ptrdiff_t>(result.replace_begin),
                    replacement.begin(), replacement.end());
    return Status::Ok();
  };

  if (new_size < old_size) {
    const int64_t delta = static_cast<int64_t>(new_size) - static_cast<int64_t>(old_size);
    RETURN_IF_ERROR(apply(storage::Edit{new_size, new_size, delta}));
  } else if (new_size > old_size) {
    pos = old_size;
    add_hole(new_size);  // the new tail reads as zeros until a dirty range says otherwise
  }
  for (const auto& [begin, end] : dirty.ranges.ranges()) {
    // An append re-cuts the old last chunk too (the end of data cut it, not its content), so
    // a file that grows by small appends does not end up in small chunks.
    const uint64_t from = (begin >= old_size && old_size > 0 && begin == dirty.ranges.first())
                              ? std::min(begin, old_size - 1)
                              : begin;
    RETURN_IF_ERROR(apply(storage::Edit{from, end, 0}));
  }
  RETURN_IF_ERROR(flush_chunks());

  // Extents change only in commits, and no other commit of this file runs (CommitRanges'
  // contract), so the ones computed above are still current.
  auto updated = tree_->UpdateData(ino, [&](rocksdb::WriteBatch* batch, Inode* inode) -> Status {
    for (const ExtentOp& op : extent_ops) {
      if (op.put) {
        batch->Put(tree_->extents_family(), op.key, op.value);
      } else {
        batch->Delete(tree_->extents_family(), op.key);
      }
    }
    inode->size = new_size;
    inode->mtime_ns = dirty.mtime_ns;
    // A chmod or an explicit time set after the writes has moved ctime further already.
    inode->ctime_ns = std::max(inode->ctime_ns, dirty.ctime_ns);
    inode->allocated = static_cast<uint64_t>(
        std::max<int64_t>(static_cast<int64_t>(inode->allocated) + allocated_delta, 0));
    return Status::Ok();
  });
  if (!updated.ok()) return updated.status();
  return Status::Ok();
}

Status FileData::Allocate(Ino ino, uint64_t offset, uint64_t length) {
  uint64_t size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = dirty_.find(ino);
    if (it != dirty_.end()) {
      size = it->second->size;
    } else {
      ASSIGN_OR_RETURN(Inode inode, tree_->GetAttr(ino));
      if (!inode.is_regular()) return PosixError("fallocate", inode.is_dir() ? EISDIR : ENODEV);
      size = inode.size;
    }
  }
  if (offset + length <= size) return Status::Ok();
  return Truncate(ino, offset + length);
}

Result<uint64_t> FileData::Seek(Ino ino, uint64_t offset, bool hole) {
  // Uncommitted ranges first, then the extents: a commit that ends in between has moved the
  // ranges it took into extents already, so no data is missed.
  IntervalSet written;
  uint64_t size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = dirty_.find(ino);
    if (it != dirty_.end()) {
      written = it->second->ranges;
      size = it->second->size;
    } else {
      ASSIGN_OR_RETURN(Inode inode, tree_->GetAttr(ino));
      if (!inode.is_regular()) return PosixError("lseek", inode.is_dir() ? EISDIR : EINVAL);
      size = inode.size;
    }
  }
  if (offset >= size) return PosixError("lseek", ENXIO);

  const std::string prefix = InodeKey(tree_->project(), ino);
  std::unique_ptr<rocksdb::Iterator> it(
      chunks_->database()->db()->NewIterator(rocksdb::ReadOptions(), tree_->extents_family()));
  it->SeekForPrev(ExtentKey(tree_->project(), ino, offset));
  if (!it->Valid() || !it->key().starts_with(prefix)) it->Seek(prefix);
  // The committed extents from the one holding `offset` on, in offset order; false at the end.
  auto next_extent = [&](uint64_t* begin, uint64_t* end) -> Result<bool> {
    while (it->Valid() && it->key().starts_with(prefix)) {
      ASSIGN_OR_RETURN(const Extent extent, ExtentAt(*it, prefix.size(), ino));
      it->Next();
      *begin = extent.offset;
      *end = extent.offset + extent.length;
      if (*end > offset) return true;
    }
    if (!it->status().ok()) return UnavailableError("read extents: " + it->status().ToString());
    return false;
  };

  uint64_t ext_begin = 0, ext_end = 0;
  ASSIGN_OR_RETURN(bool have_extent, next_extent(&ext_begin, &ext_end));
  auto range = written.FindFrom(offset);
  if (!hole) {
    uint64_t data = size;
    if (have_extent) data = std::min(data, std::max(offset, ext_begin));
    if (range != written.end()) data = std::min(data, std::max(offset, range->first));
    if (data >= size) return PosixError("lseek", ENXIO);
    return data;
  }
  // Step over data, from extents and uncommitted ranges alike, until neither covers `at`.
  uint64_t at = offset;
  for (;;) {
    while (range != written.end() && range->second <= at) ++range;
    if (range != written.end() && range->first <= at) {
      at = range->second;
      continue;
    }
    while (have_extent && ext_end <= at) {
      ASSIGN_OR_RETURN(have_extent, next_extent(&ext_begin, &ext_end));
    }
    if (have_extent && ext_begin <= at) {
      at = ext_end;
      continue;
    }
    return std::min(at, size);
  }
}

Result<uint64_t> FileData::CopyRange(Ino in, uint64_t in_offset, Ino out, uint64_t out_offset,
                                     uint64_t length) {
  RETURN_IF_ERROR(Commit(in));
  RETURN_IF_ERROR(Commit(out));
  ASSIGN_OR_RETURN(Inode source, tree_->GetAttr(in));
  ASSIGN_OR_RETURN(Inode target, tree_->GetAttr(out));
  if (in_offset >= source.size) return uint64_t{0};
  length = std::min(length, source.size - in_offset);

  if (in != out && in_offset == 0 && out_offset == 0 && length == source.size &&
      target.size == 0) {
    // Share the chunks: the target gets the source's extents, no byte is read or written.
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(std::vector<Extent> extents, Extents(in));
    auto updated = tree_->UpdateData(out, [&](rocksdb::WriteBatch* batch, Inode* inode) {
      for (const Extent& e : extents) {
        batch->Put(tree_->extents_family(), ExtentKey(tree_->project(), out, e.offset),
                   EncodeExtentValue(e.id, e.length));
      }
      inode->size = source.size;
      inode->allocated = source.allocated;
      inode->mtime_ns = inode->ctime_ns = options_.clock->NowNanos();
      return Status::Ok();
    });
    if (!updated.ok()) return updated.status();
    return length;
  }
  // Anything else is copied through the dirty buffer.
  std::vector<uint8_t> buffer(std::min<uint64_t>(length, 1u << 20));
  uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - done));
    ASSIGN_OR_RETURN(size_t n, Read(in, in_offset + done, std::span<uint8_t>(buffer).first(want)));
    if (n == 0) break;
    RETURN_IF_ERROR(Write(out, out_offset + done, ByteView(buffer.data(), n)));
    done += n;
  }
  return done;
}

Status FileData::Commit(Ino ino) {
  std::unique_lock<std::mutex> lock(mu_);
  return CommitWithLock(lock, ino);
}

Status FileData::CommitWithLock(std::unique_lock<std::mutex>& lock, Ino ino) {
  for (;;) {
    auto it = dirty_.find(ino);
    if (it == dirty_.end()) return Status::Ok();
    const std::shared_ptr<Dirty> dirty = it->second;
    if (dirty->committing) {
      commit_done_.wait(lock);
      continue;  // the state may be gone or changed
    }
    const uint64_t version = dirty->version;
    Status committed;
    if (dirty->size != dirty->committed_size || !dirty->ranges.empty()) {
      CommitInput input;
      input.fd = dirty->fd.get();
      input.ranges = dirty->ranges;
      input.size = dirty->size;
      input.committed_size = dirty->committed_size;
      input.mtime_ns = dirty->mtime_ns;
      input.ctime_ns = dirty->ctime_ns;
      dirty->committing = true;
      dirty->written_during_commit.clear();
      lock.unlock();
      committed = CommitRanges(ino, input);
      lock.lock();
      dirty->committing = false;
      commit_done_.notify_all();
      if (committed.ok()) {
        dirty->committed_size = input.size;
        // Truncates wait for the commit, so every range it did not store, and every byte the
        // scratch file changed under it, was written meanwhile.
        dirty->ranges = std::move(dirty->written_during_commit);
        dirty->written_during_commit.clear();
      }
    }
    if (!committed.ok()) return committed;
    // Writes or times that came during the commit stay for the next one.
    it = dirty_.find(ino);
    if (it != dirty_.end() && it->second == dirty && dirty->version == version) {
      ::unlink(ScratchPath(ino).c_str());
      dirty_.erase(it);
    }
    return Status::Ok();
  }
}

Status FileData::CommitAll() {
  std::vector<Ino> inos;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [ino, dirty] : dirty_) inos.push_back(ino);
  }
  for (Ino ino : inos) RETURN_IF_ERROR(Commit(ino));
  return Status::Ok();
}

Status FileData::Truncate(Ino ino, uint64_t size) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto it = dirty_.find(ino);
    if (it == dirty_.end()) break;
    Dirty& dirty = *it->second;
    if (dirty.committing) {
      commit_done_.wait(lock);
      continue;
    }
    // Writes past the new end are dropped rather than committed and then cut off.
    dirty.ranges.TrimTo(size);
    dirty.size = size;
    dirty.mtime_ns = dirty.ctime_ns = options_.clock->NowNanos();
    ++dirty.version;
    return CommitWithLock(lock, ino);
  }
  // No uncommitted state: a short commit (only the chunk at the new end is re-cut, or holes
  // added), under mu_, so no commit of this file can start meanwhile.
  ASSIGN_OR_RETURN(Inode inode, tree_->GetAttr(ino));
  if (inode.is_dir()) return PosixError("truncate", EISDIR);
  if (!inode.is_regular()) return PosixError("truncate", EINVAL);
  CommitInput change;
  change.committed_size = inode.size;
  change.size = size;
  change.mtime_ns = change.ctime_ns = options_.clock->NowNanos();
  return CommitRanges(ino, change);
}

void FileData::Overlay(Inode* inode) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = dirty_.find(inode->ino);
  if (it == dirty_.end()) return;
  const Dirty& dirty = *it->second;
  inode->size = dirty.size;
  inode->mtime_ns = dirty.mtime_ns;
  inode->ctime_ns = std::max(inode->ctime_ns, dirty.ctime_ns);
  // Uncommitted writes count as stored until the commit says what they cost (at most this).
  uint64_t written = 0;
  for (const auto& [begin, end] : dirty.ranges.ranges()) written += end - begin;
  inode->allocated = std::min(inode->allocated + written, dirty.size);
}

Status FileData::SyncLog() { return chunks_->database()->SyncWal(); }

void FileData::SetMtime(Ino ino, int64_t mtime_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = dirty_.find(ino);
  if (it == dirty_.end()) return;
  it->second->mtime_ns = mtime_ns;
  ++it->second->version;
}

bool FileData::HasUncommitted(Ino ino) {
  std::lock_guard<std::mutex> lock(mu_);
  return dirty_.count(ino) > 0;
}

void FileData::Forget(Ino ino) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dirty_.erase(ino) > 0) ::unlink(ScratchPath(ino).c_str());
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  read_end_.erase(ino);
}

}  // namespace berth::fs
