#include "fs/file_data.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "storage/chunk_store.h"
#include "storage/database.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::fs {
namespace {

using berth::testing::RandomBytes;
using berth::testing::TempDir;
using berth::testing::TextBytes;

class FileDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.extra_families = LiveTreeFamilies();
    auto db = storage::Database::Open(dir_.Sub("db"), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    storage::StoreOptions store;
    store.dedup_key = storage::SecretKey::Generate();
    auto chunks = storage::ChunkStore::Open(db_.get(), store);
    ASSERT_TRUE(chunks.ok());
    chunks_ = std::move(chunks).value();
    ASSERT_OK(Reopen());
  }
  Status Reopen() {
    data_.reset();
    tree_.reset();
    ASSIGN_OR_RETURN(tree_, LiveTree::Open(db_.get(), project_, Caller{}, &clock_));
    FileDataOptions options;
    options.dirty_dir = dir_.Sub("dirty");
    options.clock = &clock_;
    options.cache_bytes = 1 << 20;  // small, so reads go to the store too
    ASSIGN_OR_RETURN(data_, FileData::Open(tree_.get(), chunks_.get(), &chunker_, options));
    return Status::Ok();
  }
  Ino NewFile(const std::string& name) {
    auto f = tree_->MakeNode(kRootIno, name, S_IFREG | 0644, 0, Caller{});
    EXPECT_TRUE(f.ok());
    return f.ok() ? f->ino : 0;
  }
  Bytes ReadAll(Ino ino) {
    auto inode = tree_->GetAttr(ino);
    EXPECT_TRUE(inode.ok());
    Inode seen = *inode;
    data_->Overlay(&seen);
    Bytes out(seen.size + 10);  // asks past the end: the read stops at the size
    auto n = data_->Read(ino, 0, out);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  void Write(Ino ino, uint64_t offset, const Bytes& bytes) {
    ASSERT_OK(data_->Write(ino, offset, bytes));
  }

  TempDir dir_;
  ManualClock clock_;
  ProjectId project_ = ProjectId::Generate();
  storage::Chunker chunker_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::ChunkStore> chunks_;
  std::unique_ptr<LiveTree> tree_;
  std::unique_ptr<FileData> data_;
};

TEST_F(FileDataTest, WritesReadBackBeforeAndAfterCommitAndReopen) {
  Ino f = NewFile("f");
  Bytes content = TextBytes(3 << 20, 1);
  Write(f, 0, content);
  EXPECT_EQ(ReadAll(f), content);
  ASSERT_OK(data_->Commit(f));
  EXPECT_EQ(ReadAll(f), content);
  ASSERT_OK_AND_ASSIGN(Inode inode, tree_->GetAttr(f));
  EXPECT_EQ(inode.size, content.size());
  EXPECT_EQ(inode.allocated, content.size());
  ASSERT_OK(Reopen());
  EXPECT_EQ(ReadAll(f), content);
}

TEST_F(FileDataTest, UncommittedWritesAreLostOnlyIfNotCommitted) {
  Ino f = NewFile("f");
  Write(f, 0, TextBytes(1000, 2));
  ASSERT_OK(data_->Commit(f));
  Write(f, 0, TextBytes(1000, 3));
  ASSERT_OK(Reopen());  // as after a crash: the second write was never committed
  EXPECT_EQ(ReadAll(f), TextBytes(1000, 2));
}

TEST_F(FileDataTest, SmallOverwriteRewritesFewChunks) {
  Ino f = NewFile("f");
  Bytes content = RandomBytes(16 << 20, 4);
  Write(f, 0, content);
  ASSERT_OK(data_->Commit(f));
  ASSERT_OK_AND_ASSIGN(auto before, data_->Extents(f));
  Bytes patch = RandomBytes(100, 5);
  Write(f, 8 << 20, patch);
  ASSERT_OK(data_->Commit(f));
  ASSERT_OK_AND_ASSIGN(auto after, data_->Extents(f));
  std::copy(patch.begin(), patch.end(), content.begin() + (8 << 20));
  EXPECT_EQ(ReadAll(f), content);
  size_t changed = 0;
  std::set<std::pair<uint64_t, std::string>> old_set;
  for (const auto& e : before) old_set.insert({e.offset, e.id.ToHex()});
  for (const auto& e : after) changed += old_set.count({e.offset, e.id.ToHex()}) == 0;
  EXPECT_GE(changed, 1u);
  EXPECT_LE(changed, 3u);
}

TEST_F(FileDataTest, SparseFilesAreCheapAndReadZeros) {
  Ino f = NewFile("f");
  const uint64_t far = 5ull << 30;  // past 4 GiB
  Bytes tail = TextBytes(70000, 6);
  Write(f, far, tail);
  ASSERT_OK(data_->Commit(f));
  ASSERT_OK_AND_ASSIGN(Inode inode, tree_->GetAttr(f));
  EXPECT_EQ(inode.size, far + tail.size());
  EXPECT_LE(inode.allocated, 2 * tail.size());  // the hole costs nothing
  Bytes out(1000);
  ASSERT_OK_AND_ASSIGN(size_t n, data_->Read(f, far - 500, out));
  EXPECT_EQ(n, 1000u);
  EXPECT_TRUE(std::all_of(out.begin(), out.begin() + 500, [](uint8_t b) { return b == 0; }));
  EXPECT_TRUE(std::equal(out.begin() + 500, out.end(), tail.begin()));
  ASSERT_OK_AND_ASSIGN(auto extents, data_->Extents(f));
  EXPECT_LE(extents.size(), 3u);
}

TEST_F(FileDataTest, TruncateBothWays) {
  Ino f = NewFile("f");
  Bytes content = RandomBytes(1 << 20, 7);
  Write(f, 0, content);
  ASSERT_OK(data_->Commit(f));
  ASSERT_OK(data_->Truncate(f, 300000));
  content.resize(300000);
  EXPECT_EQ(ReadAll(f), content);
  ASSERT_OK(data_->Truncate(f, 2 << 20));
  content.resize(2 << 20, 0);
  EXPECT_EQ(ReadAll(f), content);
  ASSERT_OK(data_->Truncate(f, 0));
  EXPECT_TRUE(ReadAll(f).empty());
  ASSERT_OK_AND_ASSIGN(Inode inode, tree_->GetAttr(f));
  EXPECT_EQ(inode.allocated, 0u);
  ASSERT_OK_AND_ASSIGN(auto extents, data_->Extents(f));
  EXPECT_TRUE(extents.empty());
}

TEST_F(FileDataTest, ByteQuotaIsEdquotAndKeepsTheCommittedContent) {
  tree_->set_limits(Limits{.max_bytes = 1 << 20});
  Ino f = NewFile("f");
  Bytes first = RandomBytes(600000, 8);
  Write(f, 0, first);
  ASSERT_OK(data_->Commit(f));
  // The write that would pass the quota fails at once, before anything is buffered.
  Status s = data_->Write(f, 600000, RandomBytes(600000, 9));
  EXPECT_EQ(s.ToErrno(), EDQUOT) << s.ToString();
  ASSERT_OK(data_->Commit(f));
  ASSERT_OK(Reopen());
  EXPECT_EQ(ReadAll(f), first);
  EXPECT_EQ(tree_->usage().bytes, first.size());
}

TEST_F(FileDataTest, CommitPastTheQuotaIsEdquotAndWritesNothing) {
  Ino f = NewFile("f");
  Bytes first = RandomBytes(300000, 13);
  Write(f, 0, first);
  ASSERT_OK(data_->Commit(f));
  Write(f, 300000, RandomBytes(300000, 14));  // buffered while there is no quota
  tree_->set_limits(Limits{.max_bytes = 400000});
  Status s = data_->Commit(f);
  EXPECT_EQ(s.ToErrno(), EDQUOT) << s.ToString();
  ASSERT_OK(Reopen());
  EXPECT_EQ(ReadAll(f), first);
  EXPECT_EQ(tree_->usage().bytes, first.size());
}

TEST_F(FileDataTest, MtimeSetAfterUncommittedWritesWins) {
  Ino f = NewFile("f");
  Write(f, 0, TextBytes(100, 15));
  data_->SetMtime(f, 1'000'000'000'000'000'000);
  ASSERT_OK_AND_ASSIGN(Inode seen, tree_->GetAttr(f));
  data_->Overlay(&seen);
  EXPECT_EQ(seen.mtime_ns, 1'000'000'000'000'000'000);
  ASSERT_OK(data_->Commit(f));
  ASSERT_OK_AND_ASSIGN(Inode committed, tree_->GetAttr(f));
  EXPECT_EQ(committed.mtime_ns, 1'000'000'000'000'000'000);
}

TEST_F(FileDataTest, OrphanReleaseFreesItsBytes) {
  Ino f = NewFile("f");
  Write(f, 0, RandomBytes(500000, 10));
  ASSERT_OK(data_->Commit(f));
  EXPECT_EQ(tree_->usage().bytes, 500000u);
  ASSERT_OK(tree_->Unlink(kRootIno, "f"));
  // Still open: writes and reads go on.
  Write(f, 0, RandomBytes(10, 11));
  ASSERT_OK(data_->Commit(f));
  EXPECT_EQ(ReadAll(f).size(), 500000u);
  ASSERT_OK(tree_->ReleaseOrphan(f));
  EXPECT_EQ(tree_->usage().bytes, 0u);
  ASSERT_OK_AND_ASSIGN(auto extents, data_->Extents(f));
  EXPECT_TRUE(extents.empty());
}

// Random writes, truncates and commits against an in-memory model of the file.
TEST_F(FileDataTest, RandomOperationsMatchAModel) {
  Ino f = NewFile("f");
  Bytes model;
  std::mt19937_64 rng(12);
  for (int step = 0; step < 300; ++step) {
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {
        const uint64_t size = model.size();
        uint64_t offset = rng() % (size + 300000);
        Bytes bytes = (rng() % 2) ? RandomBytes(1 + rng() % 200000, rng())
                                  : TextBytes(1 + rng() % 200000, rng());
        if (rng() % 5 == 0) std::fill(bytes.begin(), bytes.end(), 0);  // zeros become holes
        Write(f, offset, bytes);
        if (model.size() < offset + bytes.size()) model.resize(offset + bytes.size(), 0);
        std::copy(bytes.begin(), bytes.end(), model.begin() + static_cast<ptrdiff_t>(offset));
        break;
      }
      case 5: {
        uint64_t size = rng() % (model.size() + 400000);
        ASSERT_OK(data_->Truncate(f, size));
        model.resize(size, 0);
        break;
      }
      case 6:
        ASSERT_OK(data_->Commit(f));  // as close would; then a restart
        ASSERT_OK(Reopen());
        break;
      default:
        ASSERT_OK(data_->Commit(f));
    }
    if (rng() % 6 == 0 || step % 50 == 49) {
      ASSERT_OK(data_->Commit(f));
    }
    ASSERT_EQ(ReadAll(f), model) << "step " << step;
  }
  ASSERT_OK(data_->Commit(f));
  // The extents tile the file without overlap and account for the allocated bytes.
  ASSERT_OK_AND_ASSIGN(auto extents, data_->Extents(f));
  uint64_t end = 0, allocated = 0;
  for (const auto& e : extents) {
    EXPECT_GE(e.offset, end);
    end = e.offset + e.length;
    allocated += e.length;
  }
  EXPECT_LE(end, model.size());
  ASSERT_OK_AND_ASSIGN(Inode inode, tree_->GetAttr(f));
  EXPECT_EQ(inode.allocated, allocated);
  EXPECT_EQ(tree_->usage().bytes, allocated);
}

// A commit runs without FileData's lock (others go on meanwhile): writes to the file being
// committed, writes to other files, truncates and reads that race with it must all end up in
// the committed content, and the usage must match the extents.
TEST_F(FileDataTest, WritesTruncatesAndReadsRacingCommitsLoseNothing) {
  const Ino files[2] = {NewFile("a"), NewFile("b")};
  Bytes models[2];
  std::atomic<bool> done{false};
  // The committer and the reader race each step of the writer, once per step: left to spin,
  // they run thousands of commits per step on a slow machine, and the test's time with them.
  std::atomic<int> steps{0};
  auto once_per_step = [&](const std::function<void()>& fn) {
    for (int seen = -1; !done.load();) {
      const int now = steps.load();
      if (now == seen) {
        std::this_thread::yield();
        continue;
      }
      seen = now;
      fn();
    }
  };
  std::thread committer([&] {
    once_per_step([&] {
      for (Ino f : files) EXPECT_OK(data_->Commit(f));
      EXPECT_OK(data_->CommitAll());
    });
  });
  std::thread reader([&] {
    std::vector<uint8_t> buf(200000);
    once_per_step([&] {
      for (Ino f : files) EXPECT_TRUE(data_->Read(f, 1000, buf).ok());
    });
  });
  std::mt19937_64 rng(34);
  for (int step = 0; step < 2000; ++step, ++steps) {
    const int i = static_cast<int>(rng() % 2);
    Bytes& model = models[i];
    if (rng() % 8 == 0) {
      const uint64_t size = rng() % (model.size() + 100000);
      ASSERT_OK(data_->Truncate(files[i], size));
      model.resize(size, 0);
      continue;
    }
    const uint64_t offset = rng() % (model.size() + 200000);
    Bytes bytes = RandomBytes(1 + rng() % 150000, rng());
    Write(files[i], offset, bytes);
    if (model.size() < offset + bytes.size()) model.resize(offset + bytes.size(), 0);
    std::copy(bytes.begin(), bytes.end(), model.begin() + static_cast<ptrdiff_t>(offset));
  }
  done = true;
  committer.join();
  reader.join();
  ASSERT_OK(data_->CommitAll());
  ASSERT_OK(Reopen());
  uint64_t allocated = 0;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ReadAll(files[i]), models[i]) << "file " << i;
    ASSERT_OK_AND_ASSIGN(auto extents, data_->Extents(files[i]));
    for (const auto& e : extents) allocated += e.length;
  }
  EXPECT_EQ(tree_->usage().bytes, allocated);
}

}  // namespace
}  // namespace berth::fs
