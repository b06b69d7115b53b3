#include <algorithm>
#include <vector>

#include "fs/ops/ops.h"

namespace berth::fs::ops {

namespace {

// "." and ".." take cookies 1 and 2; the tree's entries start at 3 (Inode::next_cookie). The
// offset the kernel passes back is the cookie of the last entry it received, so a listing
// resumes after it and, cookies being stable and increasing, never repeats or skips an entry
// that stayed in the directory.
constexpr uint64_t kDotCookie = 1;
constexpr uint64_t kDotDotCookie = 2;
// A lower bound on a packed entry (24-byte fuse_dirent header plus a short name), to size the
// batches read from the tree.
constexpr size_t kMinDirentSize = 32;
constexpr size_t kMaxBatch = 1024;

// Fills one READDIR / READDIRPLUS reply buffer.
class DirBuffer {
 public:
  DirBuffer(fuse_req_t req, size_t size) : req_(req), buf_(size) {}

  // False (and nothing added) when the entry does not fit.
  bool Add(const char* name, const struct stat& st, uint64_t cookie) {
    const size_t room = buf_.size() - used_;
    const size_t need =
        fuse_add_direntry(req_, buf_.data() + used_, room, name, &st, static_cast<off_t>(cookie));
    if (need > room) return false;
    used_ += need;
    return true;
  }
  bool AddPlus(const char* name, const fuse_entry_param& e, uint64_t cookie) {
    const size_t room = buf_.size() - used_;
    const size_t need = fuse_add_direntry_plus(req_, buf_.data() + used_, room, name, &e,
                                               static_cast<off_t>(cookie));
    if (need > room) return false;
    used_ += need;
    return true;
  }
  int Reply() { return fuse_reply_buf(req_, buf_.data(), used_); }

 private:
  fuse_req_t req_;
  std::vector<char> buf_;
  size_t used_ = 0;
};

// An entry for "." or "..": the kernel takes no lookup for these (it skips them in
// READDIRPLUS), so node id 0 tells it there is no entry to hold, only type and number to list.
fuse_entry_param DotEntry(Ino ino) {
  fuse_entry_param e{};
  e.attr.st_ino = ino;
  e.attr.st_mode = S_IFDIR;
  return e;
}

void ServeReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus,
                  const fuse_file_info* fi) {
  Context& ctx = Ctx(req);
  Result<Inode> dir = ctx.tree->GetAttr(ino);
  if (!dir.ok()) return ReplyError(req, dir.status());
  if (!dir->is_dir()) return ReplyError(req, PosixError("readdir", ENOTDIR));

  DirBuffer out(req, size);
  const uint64_t offset = off < 0 ? 0 : static_cast<uint64_t>(off);
  bool full = false;
  auto add_dot = [&](const char* name, Ino dot_ino, uint64_t cookie) {
    if (full || offset >= cookie) return;
    const fuse_entry_param e = DotEntry(dot_ino);
    full = !(plus ? out.AddPlus(name, e, cookie) : out.Add(name, e.attr, cookie));
  };
  add_dot(".", dir->ino, kDotCookie);
  add_dot("..", dir->parent, kDotDotCookie);

  // Inodes handed to the kernel with READDIRPLUS entries; counted only once the reply is built,
  // so an error on the way leaves no count behind.
  std::vector<Ino> handed_out;
  const uint64_t start = std::max(offset, kDotDotCookie);
  uint64_t after = start;
  const size_t batch = std::clamp<size_t>(size / kMinDirentSize + 1, 1, kMaxBatch);
  while (!full) {
    Result<std::vector<DirListing>> entries = ctx.tree->ReadDir(ino, after, batch);
    // An error before the first entry is the answer; after it, answer what we have and let
    // the next call, which starts there, meet the error.
    if (!entries.ok()) {
      if (after == start) return ReplyError(req, entries.status());
      break;
    }
    for (const DirListing& entry : *entries) {
      if (plus) {
        Result<Inode> inode = ctx.tree->GetAttr(entry.ino);
        if (!inode.ok()) {
          if (after == start) return ReplyError(req, inode.status());
          full = true;
          break;
        }
        if (!out.AddPlus(entry.name.c_str(), EntryParam(ctx, *inode), entry.cookie)) {
          full = true;
          break;
        }
        handed_out.push_back(entry.ino);
      } else {
        struct stat st {};
        st.st_ino = entry.ino;
        st.st_mode = static_cast<mode_t>(entry.type) << 12;  // DT_* to S_IF*
        if (!out.Add(entry.name.c_str(), st, entry.cookie)) {
          full = true;
          break;
        }
      }
      after = entry.cookie;
    }
    if (entries->size() < batch) break;  // end of the directory
  }

  for (Ino handed : handed_out) ctx.refs.AddLookups(handed, 1);
  MoveAtimeIfDue(ctx, ino, fi);
  if (out.Reply() != 0) {
    for (Ino handed : handed_out) {
      if (ctx.refs.Forget(handed, 1)) ReleaseIfOrphan(ctx, handed);
    }
  }
}

}  // namespace

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Serve(req, [&] { ServeReadDir(req, ino, size, off, /*plus=*/false, fi); });
}

// Every entry but "." and ".." counts as a lookup: the kernel instantiates it and will FORGET it.
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Serve(req, [&] { ServeReadDir(req, ino, size, off, /*plus=*/true, fi); });
}

}  // namespace berth::fs::ops
