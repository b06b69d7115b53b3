// Directory listings through the mount: exactly the entries, across many getdents calls, and no
// entry twice when the directory changes during a listing.

#include <dirent.h>
#include <sys/syscall.h>

#include <map>
#include <set>
#include <vector>

#include "tests/integration/mount_fixture.h"

namespace berth::testing {
namespace {

struct Dirent {
  std::string name;
  ino_t ino;
  unsigned char type;
};

// One getdents64 call with a buffer of `bytes`; empty at the end of the directory.
std::vector<Dirent> GetDents(int fd, size_t bytes) {
  std::vector<char> buf(bytes);
  const long n = syscall(SYS_getdents64, fd, buf.data(), buf.size());
  EXPECT_GE(n, 0) << strerror(errno);
  std::vector<Dirent> out;
  for (long pos = 0; pos < n;) {
    const auto* d = reinterpret_cast<const dirent64*>(buf.data() + pos);
    out.push_back(Dirent{d->d_name, static_cast<ino_t>(d->d_ino), d->d_type});
    pos += d->d_reclen;
  }
  return out;
}

std::vector<Dirent> ListAll(const std::string& path, size_t bytes, int* calls = nullptr) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
  EXPECT_GE(fd, 0);
  std::vector<Dirent> all;
  for (int n = 0;; ++n) {
    std::vector<Dirent> got = GetDents(fd, bytes);
    if (got.empty()) {
      if (calls) *calls = n;
      break;
    }
    all.insert(all.end(), got.begin(), got.end());
  }
  close(fd);
  return all;
}

void Touch(const std::string& path) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  close(fd);
}

class FuseReadDirTest : public MountTest {};

TEST_F(FuseReadDirTest, ListsExactlyTheEntries) {
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(M("d/sub").c_str(), 0755), 0);
  Touch(M("d/file"));
  ASSERT_EQ(symlink("file", M("d/link").c_str()), 0);
  ASSERT_EQ(mknod(M("d/fifo").c_str(), S_IFIFO | 0644, 0), 0);
  std::map<std::string, unsigned char> types;
  std::map<std::string, ino_t> inos;
  for (const Dirent& d : ListAll(M("d"), 4096)) {
    EXPECT_TRUE(types.emplace(d.name, d.type).second) << "twice: " << d.name;
    inos[d.name] = d.ino;
  }
  const std::map<std::string, unsigned char> expected = {{".", DT_DIR},    {"..", DT_DIR},
                                                         {"sub", DT_DIR},  {"file", DT_REG},
                                                         {"link", DT_LNK}, {"fifo", DT_FIFO}};
  EXPECT_EQ(types, expected);
  struct stat st {};
  ASSERT_EQ(stat(M("d").c_str(), &st), 0);
  EXPECT_EQ(inos["."], st.st_ino);
  ASSERT_EQ(stat(mnt().c_str(), &st), 0);
  EXPECT_EQ(inos[".."], st.st_ino);
  ASSERT_EQ(lstat(M("d/link").c_str(), &st), 0);
  EXPECT_EQ(inos["link"], st.st_ino);
  // An empty directory holds "." and "..", also at the root.
  ASSERT_EQ(mkdir(M("empty").c_str(), 0755), 0);
  EXPECT_EQ(ListAll(M("empty"), 4096).size(), 2u);
  ASSERT_EQ(stat(mnt().c_str(), &st), 0);
  for (const Dirent& d : ListAll(mnt(), 4096)) {
    if (d.name == "..") {
      EXPECT_EQ(d.ino, st.st_ino);  // the root is its own parent
    }
  }
}

TEST_F(FuseReadDirTest, ThousandsOfEntriesAcrossManyCalls) {
  constexpr int kFiles = 3000;
  ASSERT_EQ(mkdir(M("big").c_str(), 0755), 0);
  std::set<std::string> created = {".", ".."};
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = "entry-" + std::to_string(i) + std::string(i % 40, 'x');
    Touch(M("big/" + name));
    created.insert(name);
  }
  int calls = 0;
  std::set<std::string> seen;
  for (const Dirent& d : ListAll(M("big"), 2048, &calls)) {
    EXPECT_TRUE(seen.insert(d.name).second) << "twice: " << d.name;
  }
  EXPECT_EQ(seen, created);
  EXPECT_GT(calls, 20);
  // readdir(3) and a native listing agree.
  DIR* dir = opendir(M("big").c_str());
  ASSERT_NE(dir, nullptr);
  size_t count = 0;
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  EXPECT_EQ(count, created.size());
}

TEST_F(FuseReadDirTest, ChangesDuringAListingRepeatNothing) {
  constexpr int kFiles = 600;
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  for (int i = 0; i < kFiles; ++i) Touch(M("d/f" + std::to_string(i)));

  int fd = open(M("d").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  std::vector<Dirent> first = GetDents(fd, 1024);
  ASSERT_FALSE(first.empty());
  std::set<std::string> seen;
  for (const Dirent& d : first) seen.insert(d.name);
  ASSERT_LT(seen.size(), 100u);

  // Remove some already listed and some not yet listed, rename one of each, add new ones.
  std::set<std::string> removed_unseen, stayed;
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = "f" + std::to_string(i);
    if (i % 7 == 0) {
      ASSERT_EQ(unlink(M("d/" + name).c_str()), 0);
      if (!seen.count(name)) removed_unseen.insert(name);
    } else {
      stayed.insert(name);
    }
  }
  for (int i = 0; i < 50; ++i) Touch(M("d/new" + std::to_string(i)));
  ASSERT_EQ(rename(M("d/f1").c_str(), M("d/renamed1").c_str()), 0);  // listed already
  stayed.erase("f1");
  ASSERT_EQ(rename(M("d/f599").c_str(), M("d/renamed599").c_str()), 0);  // not yet listed
  stayed.erase("f599");
  removed_unseen.insert("f599");

  std::vector<Dirent> rest;
  for (;;) {
    std::vector<Dirent> got = GetDents(fd, 1024);
    if (got.empty()) break;
    rest.insert(rest.end(), got.begin(), got.end());
  }
  close(fd);
  for (const Dirent& d : rest) {
    EXPECT_TRUE(seen.insert(d.name).second) << "listed twice: " << d.name;
    EXPECT_FALSE(removed_unseen.count(d.name)) << "listed after removal: " << d.name;
  }
  for (const std::string& name : stayed) EXPECT_TRUE(seen.count(name)) << "missed " << name;
  // Entries added during the listing come after the existing ones, so they are all seen.
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(seen.count("new" + std::to_string(i)));
}

TEST_F(FuseReadDirTest, RemovedDirectoryListsNothingLikeNative) {
  for (const std::string& root : {mnt(), native()}) {
    ASSERT_EQ(mkdir((root + "/gone").c_str(), 0755), 0);
  }
  int mount_fd = open(M("gone").c_str(), O_RDONLY | O_DIRECTORY);
  int native_fd = open(N("gone").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(mount_fd, 0);
  ASSERT_GE(native_fd, 0);
  ASSERT_EQ(rmdir(M("gone").c_str()), 0);
  ASSERT_EQ(rmdir(N("gone").c_str()), 0);
  char buf[4096];
  EXPECT_EQ(Call(syscall(SYS_getdents64, mount_fd, buf, sizeof(buf))),
            Call(syscall(SYS_getdents64, native_fd, buf, sizeof(buf))));
  close(mount_fd);
  close(native_fd);
}

}  // namespace
}  // namespace berth::testing
