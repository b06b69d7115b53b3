#include "snapshot/native_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "storage/chunk_stream.h"

namespace berth::snapshot {

namespace {

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

Result<std::vector<std::pair<std::string, std::string>>> ReadXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string names;
  for (;;) {
    ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) {
      if (errno == ENOTSUP) return out;
      return PosixError("llistxattr " + path, errno);
    }
    if (n == 0) return out;
    names.resize(static_cast<size_t>(n));
    n = ::llistxattr(path.c_str(), names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) return PosixError("llistxattr " + path, errno);
  }
  for (size_t at = 0; at < names.size();) {
    std::string name(names.c_str() + at);
    at += name.size() + 1;
    if (name.empty()) continue;
    std::string value;
    for (;;) {
      ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (n < 0) {
        if (errno == ENODATA) break;  // removed meanwhile
        return PosixError("lgetxattr " + path + " " + name, errno);
      }
      value.resize(static_cast<size_t>(n));
      n = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (n >= 0) {
        value.resize(static_cast<size_t>(n));
        out.emplace_back(std::move(name), std::move(value));
        break;
      }
      if (errno != ERANGE) return PosixError("lgetxattr " + path + " " + name, errno);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

NativeTreeSource::NativeTreeSource(std::string root_path, storage::ChunkStore* chunks,
                                   const storage::Chunker& chunker, size_t batch_bytes)
    : root_path_(std::move(root_path)),
      chunks_(chunks),
      chunker_(chunker),
      batch_bytes_(batch_bytes),
      buffer_size_(std::max<size_t>(4 * chunker.options().max_size, 1u << 20)) {
  buffer_.reset(new uint8_t[buffer_size_]);
  Node root;
  root.path = root_path_;
  std::memset(&root.st, 0, sizeof(root.st));
  nodes_[kRoot] = std::move(root);
}

NativeTreeSource::~NativeTreeSource() = default;

Result<std::vector<DirtyMark>> NativeTreeSource::DirtyNodes() {
  return std::vector<DirtyMark>{DirtyMark{kRoot, 0}};
}

Result<const NativeTreeSource::Node*> NativeTreeSource::Find(NodeId node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return NotFoundError("node " + std::to_string(node) + " unknown");
  return &it->second;
}

Result<std::vector<NodeId>> NativeTreeSource::ParentsOf(NodeId node) {
  ASSIGN_OR_RETURN(const Node* n, Find(node));
  if (node == kRoot || n->parent == 0) return std::vector<NodeId>{};
  return std::vector<NodeId>{n->parent};
}

Result<std::vector<SourceEntry>> NativeTreeSource::ListDir(NodeId dir) {
  ASSIGN_OR_RETURN(const Node* d, Find(dir));
  const std::string dir_path = d->path;
  DIR* stream = ::opendir(dir_path.c_str());
  if (stream == nullptr) return PosixError("opendir " + dir_path, errno);
  std::vector<std::string> names;
  Status status;
  for (;;) {
    errno = 0;
    struct dirent* de = ::readdir(stream);
    if (de == nullptr) {
      if (errno != 0) status = PosixError("readdir " + dir_path, errno);
      break;
    }
    std::string name = de->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  // Node numbers (and so link groups) follow name order, not the directory's hash order, so
  // the same tree gets the same snapshot wherever it lies.
  std::sort(names.begin(), names.end());
  std::vector<SourceEntry> out;
  out.reserve(names.size());
  for (std::string& name : names) {
    if (!status.ok()) break;
    Node node;
    node.path = JoinPath(dir_path, name);
    node.parent = dir;
    if (::fstatat(dirfd(stream), name.c_str(), &node.st, AT_SYMLINK_NOFOLLOW) != 0) {
      status = PosixError("lstat " + node.path, errno);
      break;
    }
    NodeId id;
    if (!S_ISDIR(node.st.st_mode) && node.st.st_nlink > 1) {
      auto [it, fresh] = links_.emplace(std::make_pair(node.st.st_dev, node.st.st_ino), next_node_);
      id = it->second;
      if (fresh) {
        ++next_node_;
        nodes_[id] = std::move(node);
      }
    } else {
      id = next_node_++;
      nodes_[id] = std::move(node);
    }
    out.push_back(SourceEntry{std::move(name), id});
  }
  ::closedir(stream);
  RETURN_IF_ERROR(status);
  return out;
}

Result<NodeMeta> NativeTreeSource::Stat(NodeId node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return NotFoundError("node " + std::to_string(node) + " unknown");
  Node& n = it->second;
  if (node == kRoot && ::lstat(n.path.c_str(), &n.st) != 0) {
    return PosixError("lstat " + n.path, errno);
  }
  NodeMeta meta;
  meta.mode = n.st.st_mode;
  meta.uid = n.st.st_uid;
  meta.gid = n.st.st_gid;
  meta.nlink = static_cast<uint32_t>(n.st.st_nlink);
  meta.size = S_ISREG(n.st.st_mode) ? static_cast<uint64_t>(n.st.st_size) : 0;
  meta.rdev = (S_ISCHR(n.st.st_mode) || S_ISBLK(n.st.st_mode)) ? n.st.st_rdev : 0;
  meta.mtime_ns = static_cast<int64_t>(n.st.st_mtim.tv_sec) * 1'000'000'000 + n.st.st_mtim.tv_nsec;
  ASSIGN_OR_RETURN(meta.xattrs, ReadXattrs(n.path));
  if (S_ISLNK(n.st.st_mode)) {
    std::string target(4097, '\0');
    ssize_t len = ::readlink(n.path.c_str(), target.data(), target.size());
    if (len < 0) return PosixError("readlink " + n.path, errno);
    target.resize(static_cast<size_t>(len));
    meta.symlink_target = std::move(target);
  } else if (S_ISREG(n.st.st_mode)) {
    RETURN_IF_ERROR(ReadData(n, &meta));
  }
  // A file named once is asked about once; a directory is listed right after. Keep the map small.
  if (!S_ISDIR(n.st.st_mode) && n.st.st_nlink <= 1) nodes_.erase(it);
  return meta;
}

Status NativeTreeSource::ReadData(const Node& node, NodeMeta* meta) {
  ++files_read_;
  if (meta->size == 0) return Status::Ok();
  UniqueFd fd(::open(node.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return PosixError("open " + node.path, errno);
  // Holes are skipped, not read; bytes_read_ counts the data read.
  auto add = [&](uint64_t offset, ByteView chunk) -> Status {
    bytes_read_ += chunk.size();
    storage::ChunkId id;
    RETURN_IF_ERROR(AddChunk(chunk, &id));
    meta->extents.push_back(SourceExtent{offset, chunk.size(), id});
    return Status::Ok();
  };
  return storage::ChunkFileData(chunker_, std::span<uint8_t>(buffer_.get(), buffer_size_), fd.get(),
                                meta->size, node.path, add)
      .status();
}

Status NativeTreeSource::AddChunk(ByteView chunk, storage::ChunkId* id) {
  *id = chunks_->IdOf(chunk);
  if (!in_batch_.insert(*id).second) return Status::Ok();
  ASSIGN_OR_RETURN(storage::PutResult put,
                   chunks_->AddToBatch(&batch_, storage::ChunkKind::kData, chunk, *id));
  if (put.added) {
    ++new_chunks_;
    new_stored_bytes_ += put.stored_size;
    pending_bytes_ += put.stored_size;
  }
  if (pending_bytes_ >= batch_bytes_) return Flush();
  return Status::Ok();
}

Status NativeTreeSource::Flush() {
  if (batch_.Count() > 0) RETURN_IF_ERROR(chunks_->database()->Write(&batch_));
  batch_.Clear();
  in_batch_.clear();
  pending_bytes_ = 0;
  return Status::Ok();
}

Result<std::optional<storage::ChunkId>> NativeTreeSource::CachedTreeId(NodeId) {
  return std::optional<storage::ChunkId>();
}

Status NativeTreeSource::Complete(std::span<const std::pair<NodeId, storage::ChunkId>>,
                                  std::span<const DirtyMark>) {
  return Status::Ok();
}

Result<WriteResult> SnapshotDirectory(const std::string& path, storage::ChunkStore* chunks,
                                      SnapshotStore* snapshots, WriteOptions options,
                                      const storage::ChunkerOptions& chunking) {
  RETURN_IF_ERROR(chunking.Validate());
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return PosixError("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError(path + " is not a directory");
  storage::Chunker chunker(chunking);
  NativeTreeSource source(path, chunks, chunker, options.batch_bytes);
  auto user_hook = std::move(options.before_write);
  options.before_write = [&]() -> Status {
    RETURN_IF_ERROR(source.Flush());
    return user_hook ? user_hook() : Status::Ok();
  };
  SnapshotWriter writer(chunks, snapshots);
  auto result = writer.Write(source, options);
  if (!result.ok()) return result.status().WithContext("snapshot of " + path);
  return result;
}

}  // namespace berth::snapshot
