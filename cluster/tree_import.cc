#include "cluster/tree_import.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/file.h"
#include "storage/chunk_stream.h"

namespace berth::cluster {

namespace {

using storage::ChunkId;

// Inode numbers are reserved from the tree this many at a time (one small write each).
constexpr uint64_t kInoBlock = 4096;
// The walker stays at most this many entries ahead of the metadata writes.
constexpr size_t kMaxQueuedJobs = 16384;

int64_t Nanos(const struct timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

// The extended attributes of `path` itself (not a symlink's target); none where the filesystem
// has none. A list or value that changes while it is read is read again.
Status ReadXattrs(const std::string& path, std::vector<std::pair<std::string, std::string>>* out) {
  for (;;) {
    out->clear();
    const ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
    if (size < 0 && (errno == ENOTSUP || errno == ENODATA)) return Status::Ok();
    if (size < 0) return PosixError("list xattrs of " + path, errno);
    if (size == 0) return Status::Ok();
    std::string names(static_cast<size_t>(size), '\0');
    const ssize_t listed = ::llistxattr(path.c_str(), names.data(), names.size());
    if (listed < 0 && errno == ERANGE) continue;
    if (listed < 0) return PosixError("list xattrs of " + path, errno);
    names.resize(static_cast<size_t>(listed));
    bool changed = false;
    for (size_t at = 0; at < names.size() && !changed;) {
      const std::string name(names.c_str() + at);
      at += name.size() + 1;
      std::string value(64 * 1024, '\0');
      const ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (n < 0 && errno == ENODATA) {  // removed meanwhile
        changed = true;
        break;
      }
      if (n < 0) return PosixError("read xattr " + name + " of " + path, errno);
      value.resize(static_cast<size_t>(n));
      out->emplace_back(name, std::move(value));
    }
    if (!changed) return Status::Ok();
  }
}

bool AllZero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

// What an entry adds to the report once written.
enum class Counted : uint8_t { kNothing, kFile, kDirectory, kSymlink, kHardLink };

// One entry of the source on its way into the tree. The walker fills `op` (and `path` for a
// regular file, whose bytes a worker then chunks into `chunks` and `op.extents`); the calling
// thread takes it once `ready`.
struct Job {
  fs::ImportOp op;
  Counted counted = Counted::kNothing;
  std::string path;            // a regular file to read; empty: nothing to read
  rocksdb::WriteBatch chunks;  // chunk records the extents reference, not yet written
  size_t chunk_bytes = 0;      // chunks.GetDataSize() when ready
  Status status;               // not ok: the walk or the read failed here; the import stops
  bool ready = false;          // GUARDED_BY(Pipeline::mu_)
};

// Replays chunk records of a worker's batch into the metadata batch.
class Replay : public rocksdb::WriteBatch::Handler {
 public:
  Replay(rocksdb::WriteBatch* into,
         const std::unordered_map<uint32_t, rocksdb::ColumnFamilyHandle*>& families)
      : into_(into), families_(families) {}
  rocksdb::Status PutCF(uint32_t family, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    auto it = families_.find(family);
    if (it == families_.end()) return rocksdb::Status::InvalidArgument("unexpected family");
    return into_->Put(it->second, key, value);
  }

 private:
  rocksdb::WriteBatch* const into_;
  const std::unordered_map<uint32_t, rocksdb::ColumnFamilyHandle*>& families_;
};

// The three stages of one import and the queue between them. Lock order: mu_, then claim_mu_
// (never both held in practice); the tree's lock is taken without either.
class Pipeline {
 public:
  Pipeline(fs::LiveTree& tree, storage::ChunkStore& chunks, const storage::Chunker& chunker,
           const std::string& source, fs::Ino into, const TreeImportOptions& options)
      : tree_(tree),
        chunks_(chunks),
        chunker_(chunker),
        source_(source),
        into_(into),
        options_(options) {
    for (const char* name : {storage::kChunkDataFamily, storage::kChunkIndexFamily}) {
      rocksdb::ColumnFamilyHandle* handle = chunks_.database()->Family(name);
      if (handle != nullptr) families_[handle->GetID()] = handle;
    }
  }

  Result<ImportReport> Run() {
    std::vector<std::thread> threads;
    threads.emplace_back([this] { Walk(); });
    for (int i = 0; i < std::max(options_.workers, 1); ++i) {
      threads.emplace_back([this] { Work(); });
    }
    Status result = Consume();
    {
      std::lock_guard<std::mutex> lock(mu_);
      abort_ = true;
    }
    work_cv_.notify_all();
    space_cv_.notify_all();
    for (std::thread& t : threads) t.join();
    RETURN_IF_ERROR(result);
    return report_;
  }

 private:
  // --- walker thread ---

  void Walk() {
    Status s = WalkDir(source_, into_);
    std::lock_guard<std::mutex> lock(mu_);
    if (!s.ok() && !abort_) {
      auto failed = std::make_unique<Job>();
      failed->status = s;
      failed->ready = true;
      jobs_.push_back(std::move(failed));
    }
    walked_ = true;
    ready_cv_.notify_one();
    work_cv_.notify_all();
  }

  // Queues `job`; blocks while the queue is full. Cancelled once the import stops.
  Status Push(std::unique_ptr<Job> job) {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [&] { return abort_ || jobs_.size() < kMaxQueuedJobs; });
    if (abort_) return FailedPreconditionError("import stopped");
    job->ready = job->path.empty();
    jobs_.push_back(std::move(job));
    if (jobs_.back()->ready && jobs_.size() == 1) ready_cv_.notify_one();
    work_cv_.notify_one();
    return Status::Ok();
  }

  Result<fs::Ino> NextIno() {
    if (next_ino_ == end_ino_) {
      ASSIGN_OR_RETURN(next_ino_, tree_.ReserveInodes(kInoBlock));
      end_ino_ = next_ino_ + kInoBlock;
    }
    return next_ino_++;
  }

  // Queues the entries of `dir` for berth directory `into`, depth first, each directory's
  // kSetTimes after its entries.
  Status WalkDir(const std::string& dir, fs::Ino into) {
    std::vector<std::string> names;
    {
      DIR* d = ::opendir(dir.c_str());
      if (d == nullptr) return PosixError("read directory " + dir, errno);
      std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
      errno = 0;
      while (struct dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
          names.emplace_back(e->d_name);
        }
      }
      if (errno != 0) return PosixError("read directory " + dir, errno);
    }
    for (std::string& name : names) {
      std::string path = dir + "/" + name;
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) return PosixError("stat " + path, errno);
      auto job = std::make_unique<Job>();
      fs::ImportOp& op = job->op;
      op.parent = into;
      op.name = std::move(name);
      const bool linkable = !S_ISDIR(st.st_mode);  // symlinks too, as ext4 allows
      if (linkable && st.st_nlink > 1) {
        auto linked = seen_.find({st.st_dev, st.st_ino});
        if (linked != seen_.end()) {
          op.kind = fs::ImportOp::Kind::kLink;
          op.ino = linked->second;
          job->counted = Counted::kHardLink;
          RETURN_IF_ERROR(Push(std::move(job)));
          continue;
        }
      }
      op.kind = fs::ImportOp::Kind::kCreate;
      ASSIGN_OR_RETURN(op.ino, NextIno());
      op.attrs.mode = st.st_mode;
      op.attrs.uid = st.st_uid;
      op.attrs.gid = st.st_gid;
      op.attrs.rdev = st.st_rdev;
      op.attrs.atime_ns = Nanos(st.st_atim);
      op.attrs.mtime_ns = Nanos(st.st_mtim);
      RETURN_IF_ERROR(ReadXattrs(path, &op.xattrs));
      const fs::Ino ino = op.ino;
      if (S_ISDIR(st.st_mode)) {
        job->counted = Counted::kDirectory;
        RETURN_IF_ERROR(Push(std::move(job)));
        RETURN_IF_ERROR(WalkDir(path, ino));
        auto times = std::make_unique<Job>();
        times->op.kind = fs::ImportOp::Kind::kSetTimes;
        times->op.ino = ino;
        times->op.attrs.atime_ns = Nanos(st.st_atim);
        times->op.attrs.mtime_ns = Nanos(st.st_mtim);
        RETURN_IF_ERROR(Push(std::move(times)));
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
        if (n < 0) return PosixError("readlink " + path, errno);
        target.resize(static_cast<size_t>(n));
        op.attrs.symlink_target = std::move(target);
        job->counted = Counted::kSymlink;
        if (st.st_nlink > 1) seen_[{st.st_dev, st.st_ino}] = ino;
      } else {
        job->counted = Counted::kFile;
        if (S_ISREG(st.st_mode)) job->path = std::move(path);
        if (st.st_nlink > 1) seen_[{st.st_dev, st.st_ino}] = ino;
      }
      RETURN_IF_ERROR(Push(std::move(job)));
    }
    return Status::Ok();
  }

  // --- worker threads ---

  void Work() {
    const size_t buffer_size = std::max<size_t>(4 * chunker_.options().max_size, 1u << 20);
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[buffer_size]);  // filled by read(2)
    for (;;) {
      Job* job = nullptr;
      uint64_t index = 0;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] {
          const bool queued = next_pick_ < base_ + jobs_.size();
          // The file the metadata writer waits for is always taken, however much is pending.
          return abort_ || (walked_ && !queued) ||
                 (queued && (pending_bytes_ < options_.max_pending_bytes || next_pick_ == base_));
        });
        if (abort_ || next_pick_ >= base_ + jobs_.size()) return;
        index = next_pick_++;
        job = jobs_[index - base_].get();
        if (job->path.empty()) continue;
      }
      // The job stays queued (and alive) until it is ready: only the calling thread pops it.
      Status s = ChunkFile(*job, index, buffer.get(), buffer_size);
      {
        std::lock_guard<std::mutex> lock(mu_);
        job->status = s;
        job->chunk_bytes = job->chunks.GetDataSize();
        pending_bytes_ += job->chunk_bytes;
        job->ready = true;
        if (index == base_) ready_cv_.notify_one();
      }
    }
  }

  // Whether job `index` must store chunk `id` itself. A chunk that an earlier job of this import
  // stores is written with or before that job's metadata, so before this one's: a reference is
  // enough. A later job may have taken it first: then both store it (the same record, twice).
  bool Claim(const ChunkId& id, uint64_t index) {
    std::lock_guard<std::mutex> lock(claim_mu_);
    auto [it, inserted] = claimed_.emplace(id, index);
    if (inserted) return true;
    if (it->second <= index) return false;
    it->second = index;
    return true;
  }

  // Reads, chunks, hashes and compresses one regular file straight from its source.
  Status ChunkFile(Job& job, uint64_t index, uint8_t* buffer, size_t buffer_size) {
    UniqueFd fd(::open(job.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return PosixError("open " + job.path, errno);
    auto store = [&](uint64_t offset, ByteView chunk) -> Status {
      if (!AllZero(chunk)) {  // an all-zero chunk is a hole: no extent, no chunk
        const ChunkId id = chunks_.IdOf(chunk);
        if (Claim(id, index)) {
          RETURN_IF_ERROR(chunks_.AddToBatch(&job.chunks, storage::ChunkKind::kData, chunk, id));
        }
        job.op.extents.push_back({offset, id, static_cast<uint32_t>(chunk.size())});
      }
      if (job.chunks.GetDataSize() >= options_.file_chunk_bytes) {
        RETURN_IF_ERROR(chunks_.database()->Write(&job.chunks));
        job.chunks.Clear();
      }
      return Status::Ok();
    };
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return PosixError("stat " + job.path, errno);
    // Holes are skipped, not read: a sparse file costs its data, not its size.
    ASSIGN_OR_RETURN(job.op.attrs.size,
                     storage::ChunkFileData(chunker_, std::span<uint8_t>(buffer, buffer_size),
                                            fd.get(), static_cast<uint64_t>(st.st_size), job.path,
                                            store));
    return Status::Ok();
  }

  // --- the calling thread: metadata ---

  Status Consume() {
    Status failed;
    for (;;) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_cv_.wait(lock, [&] {
          return (!jobs_.empty() && jobs_.front()->ready) || (walked_ && jobs_.empty());
        });
        if (jobs_.empty()) break;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        ++base_;
        // Entries with nothing to chunk (directories, links, empty files' times) are ready when
        // queued and may be taken before a worker looked at them: workers go on after them.
        next_pick_ = std::max(next_pick_, base_);
        pending_bytes_ -= job->chunk_bytes;
      }
      space_cv_.notify_one();
      work_cv_.notify_all();
      if (!job->status.ok()) {
        failed = job->status;
        break;
      }
      if (job->chunks.Count() > 0) {
        Replay replay(&batch_, families_);
        rocksdb::Status s = job->chunks.Iterate(&replay);
        if (!s.ok()) {
          failed = UnavailableError("import: copy chunk records: " + s.ToString());
          break;
        }
      }
      ops_.push_back(std::move(job->op));
      counted_.push_back(job->counted);
      if (ops_.size() >= options_.batch_entries || batch_.GetDataSize() >= options_.batch_bytes) {
        failed = Flush();
        if (!failed.ok()) break;
      }
    }
    // The entries before a failure are imported.
    Status flushed = Flush();
    if (failed.ok()) failed = flushed;
    return failed;
  }

  // Writes the gathered entries in one batch, counts them and tells the kernel.
  Status Flush() {
    if (ops_.empty() && batch_.Count() == 0) return Status::Ok();
    size_t applied = 0;
    Status s = tree_.Import(ops_, &batch_, &applied);
    for (size_t i = 0; i < applied; ++i) {
      switch (counted_[i]) {
        case Counted::kFile:
          ++report_.files;
          report_.bytes += ops_[i].attrs.size;
          break;
        case Counted::kDirectory:
          ++report_.directories;
          break;
        case Counted::kSymlink:
          ++report_.symlinks;
          break;
        case Counted::kHardLink:
          ++report_.hard_links;
          break;
        case Counted::kNothing:
          break;
      }
    }
    if (options_.mounted != nullptr) Announce(applied);
    ops_.clear();
    counted_.clear();
    batch_.Clear();
    if (options_.progress) options_.progress(report_);
    return s;
  }

  // A mounted project changed behind the kernel's back, which may cache names (negative ones
  // too), attributes and pages for a long time (fs/fuse_server.h): drop what the first `applied`
  // ops changed.
  void Announce(size_t applied) {
    std::set<fs::Ino> inodes, dirs;
    Status s;
    for (size_t i = 0; i < applied && s.ok(); ++i) {
      const fs::ImportOp& op = ops_[i];
      if (op.kind != fs::ImportOp::Kind::kSetTimes) {
        s = options_.mounted->InvalidateEntry(op.parent, op.name);
        dirs.insert(op.parent);
      }
      inodes.insert(op.ino);
    }
    for (auto it = inodes.begin(); it != inodes.end() && s.ok(); ++it) {
      s = options_.mounted->InvalidateInode(*it, 0, 0);
    }
    for (auto it = dirs.begin(); it != dirs.end() && s.ok(); ++it) {
      s = options_.mounted->InvalidateInode(*it, -1);
    }
    if (!s.ok()) spdlog::warn("import into a mounted project: {}", s.ToString());
  }

  fs::LiveTree& tree_;
  storage::ChunkStore& chunks_;
  const storage::Chunker& chunker_;
  const std::string source_;
  const fs::Ino into_;
  const TreeImportOptions& options_;
  std::unordered_map<uint32_t, rocksdb::ColumnFamilyHandle*> families_;

  // The walker's own.
  std::map<std::pair<dev_t, ino_t>, fs::Ino> seen_;  // hard links in the source
  fs::Ino next_ino_ = 0, end_ino_ = 0;               // the reserved numbers left

  // The calling thread's own.
  std::vector<fs::ImportOp> ops_;
  std::vector<Counted> counted_;
  rocksdb::WriteBatch batch_;
  ImportReport report_;

  std::mutex mu_;
  std::condition_variable space_cv_;  // the walker waits for room in the queue
  std::condition_variable work_cv_;   // workers wait for a file to chunk
  std::condition_variable ready_cv_;  // the calling thread waits for the next entry
  // Entries in source order; jobs_[0] has index base_. GUARDED_BY(mu_), like the counters.
  std::deque<std::unique_ptr<Job>> jobs_;
  uint64_t base_ = 0;
  uint64_t next_pick_ = 0;    // the next index a worker looks at; never below base_
  size_t pending_bytes_ = 0;  // chunk records of ready jobs not yet taken
  bool walked_ = false;
  bool abort_ = false;

  std::mutex claim_mu_;
  // Chunks this import stores, with the first job (in source order) that stores each.
  std::unordered_map<ChunkId, uint64_t, storage::ChunkIdHash> claimed_;  // GUARDED_BY(claim_mu_)
};

}  // namespace

Result<ImportReport> ImportTree(fs::LiveTree& tree, storage::ChunkStore& chunks,
                                const storage::Chunker& chunker, const std::string& source,
                                fs::Ino into, const TreeImportOptions& options) {
  Pipeline pipeline(tree, chunks, chunker, source, into, options);
  return pipeline.Run();
}

}  // namespace berth::cluster
