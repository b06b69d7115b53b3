// File contents through a real mount, compared with a native directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

std::string ReadWhole(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<open failed>";
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

void WriteAt(const std::string& path, off_t offset, const std::string& data, int flags = 0) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | flags, 0644);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(pwrite(fd, data.data(), data.size(), offset), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(close(fd), 0);
}

using FuseDataTest = MountTest;

TEST_F(FuseDataTest, RandomWritesAndTruncatesMatchNative) {
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200; ++step) {
    const off_t offset = static_cast<off_t>(rng() % (3 << 20));
    std::string data(1 + rng() % 100000, '\0');
    for (char& c : data) c = static_cast<char>('a' + rng() % 26);
    if (rng() % 4 == 0) {
      const off_t size = static_cast<off_t>(rng() % (4 << 20));
      ExpectSame([&](const std::string& root) { return truncate((root + "/f").c_str(), size); },
                 "truncate");
    } else {
      WriteAt(M("f"), offset, data);
      WriteAt(N("f"), offset, data);
    }
    if (step % 20 == 19) {
      ASSERT_EQ(ReadWhole(M("f")), ReadWhole(N("f"))) << "step " << step;
    }
  }
  struct stat a, b;
  ASSERT_EQ(stat(M("f").c_str(), &a), 0);
  ASSERT_EQ(stat(N("f").c_str(), &b), 0);
  EXPECT_EQ(a.st_size, b.st_size);
  EXPECT_EQ(ReadWhole(M("f")), ReadWhole(N("f")));
}

TEST_F(FuseDataTest, AppendAndTruncateOnOpen) {
  for (const std::string& root : {mnt(), native()}) {
    WriteAt(root + "/log", 0, "one\n");
    int fd = open((root + "/log").c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "two\n", 4), 4);
    ASSERT_EQ(pwrite(fd, "three\n", 6, 0), 6);  // O_APPEND: Linux appends even with pwrite
    close(fd);
  }
  EXPECT_EQ(ReadWhole(M("log")), ReadWhole(N("log")));
  EXPECT_EQ(ReadWhole(M("log")), "one\ntwo\nthree\n");
  WriteAt(M("log"), 0, "new", O_TRUNC);
  EXPECT_EQ(ReadWhole(M("log")), "new");
}

TEST_F(FuseDataTest, FilesPastFourGibibytesAndHoles) {
  const off_t far = (off_t{4} << 30) + 12345;
  WriteAt(M("big"), far, "tail");
  struct stat st;
  ASSERT_EQ(stat(M("big").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, far + 4);
  int fd = open(M("big").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char buf[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  ASSERT_EQ(pread(fd, buf, 8, far - 4), 8);
  EXPECT_EQ(std::string(buf, 8), std::string("\0\0\0\0tail", 8));
  ASSERT_EQ(pread(fd, buf, 8, off_t{1} << 30), 8);  // deep in the hole
  EXPECT_EQ(std::string(buf, 8), std::string(8, '\0'));
  close(fd);
  EXPECT_LT(tree()->usage().bytes, 1u << 20);  // the hole costs nothing
}

TEST_F(FuseDataTest, SharedWritableMmap) {
  WriteAt(M("m"), 0, std::string(8192, 'x'));
  int fd = open(M("m").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  void* map = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED) << strerror(errno);
  std::memcpy(static_cast<char*>(map) + 100, "mapped", 6);
  ASSERT_EQ(msync(map, 8192, MS_SYNC), 0);
  munmap(map, 8192);
  close(fd);
  std::string content = ReadWhole(M("m"));
  EXPECT_EQ(content.substr(100, 6), "mapped");
  EXPECT_EQ(content.size(), 8192u);
}

TEST_F(FuseDataTest, ConcurrentWritersOnDifferentAndTheSameFile) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = std::string(50000, static_cast<char>('a' + t));
      for (int i = 0; i < 20; ++i) {
        int fd = open(M("own" + std::to_string(t)).c_str(), O_WRONLY | O_CREAT, 0644);
        (void)!pwrite(fd, own.data(), own.size(), static_cast<off_t>(i) * 50000);
        close(fd);
        // Disjoint regions of one shared file.
        fd = open(M("shared").c_str(), O_WRONLY | O_CREAT, 0644);
        (void)!pwrite(fd, own.data(), 1000, static_cast<off_t>((i * 4 + t) * 1000));
        close(fd);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(ReadWhole(M("own" + std::to_string(t))),
              std::string(20 * 50000, static_cast<char>('a' + t)));
  }
  std::string shared = ReadWhole(M("shared"));
  ASSERT_EQ(shared.size(), 80000u);
  for (int slot = 0; slot < 80; ++slot) {
    EXPECT_EQ(shared.substr(static_cast<size_t>(slot) * 1000, 1000),
              std::string(1000, static_cast<char>('a' + slot % 4)));
  }
}

TEST_F(FuseDataTest, UnlinkedOpenFileKeepsItsData) {
  WriteAt(M("gone"), 0, "still here");
  int fd = open(M("gone").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(unlink(M("gone").c_str()), 0);
  ASSERT_EQ(pwrite(fd, "STILL", 5, 0), 5);
  char buf[16] = {};
  ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 10);
  EXPECT_EQ(std::string(buf, 10), "STILL here");
  close(fd);
}

TEST_F(FuseDataTest, ByteQuotaGivesEdquotAndKeepsWhatWasWritten) {
  tree()->set_limits(fs::Limits{0, 1 << 20});
  WriteAt(M("a"), 0, std::string(600000, 'a'));
  int fd = open(M("b").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  std::string chunk(100000, 'b');
  int err = 0;
  for (int i = 0; i < 10 && err == 0; ++i) {
    if (write(fd, chunk.data(), chunk.size()) < 0) err = errno;
  }
  close(fd);
  EXPECT_EQ(err, EDQUOT);
  EXPECT_EQ(ReadWhole(M("a")), std::string(600000, 'a'));
}

TEST_F(FuseDataTest, FallocateGrowsTheFileWithZeros) {
  WriteAt(M("f"), 0, "abc");
  int fd = open(M("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(posix_fallocate(fd, 0, 1 << 20), 0);
  EXPECT_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 10), -1);  // not yet
  EXPECT_EQ(errno, EOPNOTSUPP);
  close(fd);
  std::string content = ReadWhole(M("f"));
  ASSERT_EQ(content.size(), 1u << 20);
  EXPECT_EQ(content.substr(0, 3), "abc");
  EXPECT_EQ(content.find_first_not_of('\0', 3), std::string::npos);
}

TEST_F(FuseDataTest, FallocateKeepSizeSucceedsAndChangesNothingButTimes) {
  WriteAt(M("f"), 0, "abc");
  int fd = open(M("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 22), 0) << strerror(errno);
  close(fd);
  EXPECT_EQ(ReadWhole(M("f")), "abc");
}

// SEEK_DATA and SEEK_HOLE find what was written and the holes between, before and after the
// commit, as tar --sparse and cp rely on.
TEST_F(FuseDataTest, SeekDataAndSeekHoleFindTheHoles) {
  constexpr off_t kAt = 10 << 20;
  int fd = open(M("sparse").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "x", 1, kAt), 1);
  for (const char* when : {"uncommitted", "committed"}) {
    SCOPED_TRACE(when);
    EXPECT_EQ(lseek(fd, 0, SEEK_DATA), kAt);
    EXPECT_EQ(lseek(fd, 0, SEEK_HOLE), 0);
    EXPECT_EQ(lseek(fd, 4096, SEEK_HOLE), 4096);
    EXPECT_EQ(lseek(fd, kAt, SEEK_DATA), kAt);
    EXPECT_EQ(lseek(fd, kAt, SEEK_HOLE), kAt + 1);  // the end of the file is a hole
    EXPECT_EQ(lseek(fd, kAt + 1, SEEK_DATA), -1);
    EXPECT_EQ(errno, ENXIO);
    EXPECT_EQ(lseek(fd, kAt + 1, SEEK_HOLE), -1);
    EXPECT_EQ(errno, ENXIO);
    ASSERT_EQ(fsync(fd), 0);
  }
  close(fd);

  // Data, a hole, data, a hole: every seek from inside or past each piece.
  fd = open(M("pieces").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  const std::string piece(300000, 'p');
  ASSERT_EQ(pwrite(fd, piece.data(), piece.size(), 0), static_cast<ssize_t>(piece.size()));
  ASSERT_EQ(pwrite(fd, piece.data(), piece.size(), kAt), static_cast<ssize_t>(piece.size()));
  ASSERT_EQ(ftruncate(fd, 2 * kAt), 0);
  ASSERT_EQ(fsync(fd), 0);
  const off_t first_hole = lseek(fd, 0, SEEK_HOLE);
  EXPECT_GE(first_hole, 300000);  // a chunk holding data may hold zeros after it
  EXPECT_LT(first_hole, kAt);
  const off_t second = lseek(fd, first_hole, SEEK_DATA);
  EXPECT_GT(second, first_hole);
  EXPECT_LE(second, kAt);
  const off_t second_hole = lseek(fd, kAt + 1000, SEEK_HOLE);
  EXPECT_GE(second_hole, kAt + 300000);
  EXPECT_LT(second_hole, 2 * kAt);
  EXPECT_EQ(lseek(fd, second_hole, SEEK_DATA), -1);
  EXPECT_EQ(errno, ENXIO);
  EXPECT_EQ(lseek(fd, second_hole, SEEK_HOLE), second_hole);
  // What lies between the data the seeks found reads as zeros.
  std::string between(static_cast<size_t>(second - first_hole), 'x');
  ASSERT_EQ(pread(fd, between.data(), between.size(), first_hole),
            static_cast<ssize_t>(between.size()));
  EXPECT_EQ(between.find_first_not_of('\0'), std::string::npos);
  close(fd);

  WriteAt(M("dense"), 0, std::string(300000, 'd'));
  fd = open(M("dense").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(lseek(fd, 0, SEEK_DATA), 0);
  EXPECT_EQ(lseek(fd, 1000, SEEK_DATA), 1000);
  EXPECT_EQ(lseek(fd, 0, SEEK_HOLE), 300000);
  close(fd);
  // The other whences still move the offset as before.
  fd = open(M("dense").c_str(), O_RDONLY);
  EXPECT_EQ(lseek(fd, -10, SEEK_END), 299990);
  EXPECT_EQ(lseek(fd, 5, SEEK_CUR), 299995);
  close(fd);
}

// st_blocks counts what is stored, so du shows it and tar --sparse and cp look for the holes.
TEST_F(FuseDataTest, BlocksCountStoredBytesNotHoles) {
  auto blocks = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_blocks;
  };
  int fd = open(M("sparse").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 100 << 20), 0);
  ASSERT_EQ(pwrite(fd, "x", 1, 50 << 20), 1);
  const blkcnt_t while_open = blocks(M("sparse"));
  EXPECT_GT(while_open, 0);  // the uncommitted byte counts
  EXPECT_LT(while_open * 512, 1 << 20);
  close(fd);
  EXPECT_GT(blocks(M("sparse")), 0);
  EXPECT_LT(blocks(M("sparse")) * 512, 1 << 20) << "holes were counted";

  WriteAt(M("dense"), 0, std::string(300000, 'd'));
  EXPECT_EQ(blocks(M("dense")), (300000 + 511) / 512);

  WriteAt(M("zeros"), 0, std::string(1 << 20, '\0'));  // stored as a hole
  EXPECT_EQ(blocks(M("zeros")), 0);
  EXPECT_EQ(ReadWhole(M("zeros")), std::string(1 << 20, '\0'));
}

TEST_F(FuseDataTest, CopyFileRangeSharesChunksAndCopiesPieces) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += static_cast<char>('a' + (i * 7919) % 26);
  WriteAt(M("src"), 0, text);
  int in = open(M("src").c_str(), O_RDONLY);
  int out = open(M("dst").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(in, 0);
  ASSERT_GE(out, 0);
  ASSERT_EQ(copy_file_range(in, nullptr, out, nullptr, text.size(), 0),
            static_cast<ssize_t>(text.size()));
  loff_t in_off = 1000, out_off = 5;
  int piece = open(M("piece").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_EQ(copy_file_range(in, &in_off, piece, &out_off, 5000, 0), 5000);
  close(in);
  close(out);
  close(piece);
  EXPECT_EQ(ReadWhole(M("dst")), text);
  EXPECT_EQ(ReadWhole(M("piece")), std::string(5, '\0') + text.substr(1000, 5000));
  struct stat src_st, dst_st;
  ASSERT_EQ(stat(M("src").c_str(), &src_st), 0);
  ASSERT_EQ(stat(M("dst").c_str(), &dst_st), 0);
  ASSERT_OK_AND_ASSIGN(auto src_extents, data()->Extents(src_st.st_ino));
  ASSERT_OK_AND_ASSIGN(auto dst_extents, data()->Extents(dst_st.st_ino));
  ASSERT_EQ(src_extents.size(), dst_extents.size());
  for (size_t i = 0; i < src_extents.size(); ++i) EXPECT_EQ(src_extents[i].id, dst_extents[i].id);
}

TEST_F(FuseDataTest, TimesSetBeforeCloseAreKept) {
  for (const std::string& root : {mnt(), native()}) {
    int fd = open((root + "/t").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "hello", 5), 5);
    struct timespec ts[2] = {{1000000000, 5}, {1000000000, 7}};
    ASSERT_EQ(futimens(fd, ts), 0);
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 7);
    close(fd);
    ASSERT_EQ(stat((root + "/t").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1000000000) << root;
    EXPECT_EQ(st.st_mtim.tv_nsec, 7) << root;
  }
}

TEST_F(FuseDataTest, DfShowsTheQuota) {
  tree()->set_limits(fs::Limits{1000, 100 << 20});
  WriteAt(M("a"), 0, std::string(1 << 20, 'a'));
  struct statvfs st;
  ASSERT_EQ(statvfs(mnt().c_str(), &st), 0);
  EXPECT_EQ(st.f_blocks * st.f_frsize, 100u << 20);
  EXPECT_EQ((st.f_blocks - st.f_bfree) * st.f_frsize, 1u << 20);
  EXPECT_EQ(st.f_files, 1000u);
  EXPECT_EQ(st.f_files - st.f_ffree, 2u);  // the root and a
}

// With the kernel's writeback cache (a config option, off by default) written pages stay in the
// kernel until it sends them; FlushKernelCache hands them to the daemon, as a snapshot needs.
class FuseWritebackTest : public FuseDataTest {
 protected:
  fs::MountOptions Options() const override {
    fs::MountOptions options;
    options.writeback_cache = true;
    return options;
  }
};

TEST_F(FuseWritebackTest, FlushKernelCacheHandsDirtyPagesToTheDaemon) {
  const int fd = open(M("f").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "in the page cache", 17), 17);
  ASSERT_OK(server()->FlushKernelCache());
  // The daemon has the bytes now, while the file is still open and never flushed.
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  std::vector<uint8_t> out(64);
  ASSERT_OK_AND_ASSIGN(size_t n, data()->Read(st.st_ino, 0, out));
  EXPECT_EQ(std::string(out.begin(), out.begin() + static_cast<ptrdiff_t>(n)),
            "in the page cache");
  close(fd);
  EXPECT_EQ(ReadWhole(M("f")), "in the page cache");
}

}  // namespace
}  // namespace berth::testing
