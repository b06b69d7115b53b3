// Snapshots through the daemon and its CLI, against a real mount: taking, browsing (ls, cat,
// diff, versions), restore in place and elsewhere, automatic snapshots, gc and fsck, and a
// daemon killed in the middle of a snapshot.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/integration/daemon_fixture.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

class SnapshotDaemonTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    if (IsSkipped()) return;
  }
  // Starts the daemon, creates and mounts project "doc"; returns its mountpoint.
  void Begin(const std::string& config = "snapshot_interval_s = 0\n") {
    StartDaemon(200, config);
    ASSERT_EQ(Berth({"project", "create", "doc"}).exit_code, 0);
    nlohmann::json mounted = BerthJson({"mount", "doc"});
    mount_ = mounted["mountpoint"];
    ASSERT_FALSE(mount_.empty());
  }
  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(mount_ + "/" + path).parent_path());
    std::ofstream(mount_ + "/" + path, std::ios::trunc) << text;
  }
  std::string Snapshot(const std::string& label = "") {
    std::vector<std::string> args = {"snapshot", "doc"};
    if (!label.empty()) args.insert(args.end(), {"--label", label});
    nlohmann::json s = BerthJson(args);
    return s.value("id", "");
  }
  CommandResult Cat(const std::string& ref) { return Berth({"cat", ref}); }
  size_t SnapshotCount() { return BerthJson({"snapshots", "doc"}).size(); }

  std::string mount_;
};

TEST_F(SnapshotDaemonTest, BrowseWhatEachSnapshotHeld) {
  Begin();
  Write("paper/main.tex", "\\title{Draft}");
  Write("data.csv", "1,2,3\n");
  ASSERT_EQ(::symlink("paper/main.tex", (mount_ + "/main").c_str()), 0);
  const std::string first = Snapshot("draft");
  Write("paper/main.tex", "\\title{Final}");
  fs::remove(mount_ + "/data.csv");
  Write("paper/refs.bib", "@book{x}");
  const std::string second = Snapshot();
  ASSERT_NE(first, second);

  nlohmann::json list = BerthJson({"snapshots", "doc"});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], first);
  EXPECT_EQ(list[0]["label"], "draft");
  EXPECT_EQ(list[0]["files"], 3);  // main.tex, data.csv, the symlink
  EXPECT_EQ(list[1]["files"], 3);

  EXPECT_EQ(Cat("doc@draft:paper/main.tex").out, "\\title{Draft}");
  EXPECT_EQ(Cat("doc@latest:paper/main.tex").out, "\\title{Final}");
  EXPECT_EQ(Cat("doc@-1:/data.csv").out, "1,2,3\n");
  EXPECT_EQ(Cat("doc@" + first + ":data.csv").out, "1,2,3\n");  // a full id
  // A time prefix names the newest snapshot in that minute: both were taken within it.
  EXPECT_EQ(Cat("doc@" + second.substr(0, 16) + ":paper/main.tex").out, "\\title{Final}");

  nlohmann::json ls = BerthJson({"ls", "doc@draft"});
  std::vector<std::string> names;
  for (const auto& e : ls["entries"]) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"data.csv", "main", "paper"}));
  EXPECT_EQ(ls["entries"][1]["target"], "paper/main.tex");

  nlohmann::json diff = BerthJson({"diff", "doc@draft", "doc@latest"});
  EXPECT_EQ(diff["added"], nlohmann::json::array({"/paper/refs.bib"}));
  EXPECT_EQ(diff["removed"], nlohmann::json::array({"/data.csv"}));
  // The directories' own mtimes moved: the root's when data.csv went, paper's when refs.bib came.
  EXPECT_EQ(diff["modified"], nlohmann::json::array({"/", "/paper", "/paper/main.tex"}));

  nlohmann::json versions = BerthJson({"versions", "doc", "paper/main.tex"});
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["snapshot"], first);
  EXPECT_EQ(versions[1]["snapshot"], second);

  // Names that match nothing, or several, say so and list what there is.
  CommandResult none = Berth({"ls", "doc@nosuch"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("draft"), std::string::npos) << none.err;
  CommandResult missing = Cat("doc@latest:paper/nothing.tex");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nothing.tex"), std::string::npos) << missing.err;
  EXPECT_EQ(Berth({"ls", "nosuchproject@latest"}).exit_code, 1);
}

TEST_F(SnapshotDaemonTest, DotSnapshotsShowsEachSnapshotReadOnly) {
  Begin();
  Write("notes/a.tex", "first");
  ASSERT_EQ(::setxattr((mount_ + "/notes/a.tex").c_str(), "user.k", "v", 1, 0), 0);
  ASSERT_EQ(::symlink("notes/a.tex", (mount_ + "/link").c_str()), 0);
  const std::string id = Snapshot();
  Write("notes/a.tex", "second, changed");

  // Hidden from listings, reachable by name.
  for (const auto& e : fs::directory_iterator(mount_)) {
    EXPECT_NE(e.path().filename(), ".snapshots");
  }
  const std::string snaps = mount_ + "/.snapshots";
  ASSERT_TRUE(fs::is_directory(snaps));
  std::vector<std::string> ids;
  for (const auto& e : fs::directory_iterator(snaps)) ids.push_back(e.path().filename());
  EXPECT_EQ(ids, std::vector<std::string>{id});

  const std::string old = snaps + "/" + id;
  EXPECT_EQ(Slurp(old + "/notes/a.tex"), "first");
  EXPECT_EQ(Slurp(mount_ + "/notes/a.tex"), "second, changed");
  EXPECT_EQ(fs::read_symlink(old + "/link"), "notes/a.tex");
  char value[8] = {};
  EXPECT_EQ(::getxattr((old + "/notes/a.tex").c_str(), "user.k", value, sizeof(value)), 1);
  EXPECT_EQ(value[0], 'v');
  std::vector<std::string> inside;
  for (const auto& e : fs::recursive_directory_iterator(old)) inside.push_back(e.path().filename());
  std::sort(inside.begin(), inside.end());
  EXPECT_EQ(inside, (std::vector<std::string>{"a.tex", "link", "notes"}));
  // A snapshot's file is all data to SEEK_DATA/SEEK_HOLE (what cp and tar ask before copying).
  {
    const int fd = ::open((old + "/notes/a.tex").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::lseek(fd, 0, SEEK_DATA), 0);
    EXPECT_EQ(::lseek(fd, 2, SEEK_DATA), 2);
    EXPECT_EQ(::lseek(fd, 0, SEEK_HOLE), 5);
    errno = 0;
    EXPECT_EQ(::lseek(fd, 5, SEEK_DATA), -1);
    EXPECT_EQ(errno, ENXIO);
    ::close(fd);
  }

  // Every change is EROFS; the live tree is untouched.
  errno = 0;
  EXPECT_LT(::open((old + "/notes/a.tex").c_str(), O_WRONLY), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_NE(::mkdir((old + "/new").c_str(), 0755), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_NE(::unlink((old + "/notes/a.tex").c_str()), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_NE(::rename((mount_ + "/notes").c_str(), (snaps + "/notes").c_str()), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_NE(::rmdir(snaps.c_str()), 0);
  EXPECT_NE(::setxattr((old + "/notes/a.tex").c_str(), "user.k", "w", 1, 0), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_FALSE(fs::exists(snaps + "/2000-01-01T00:00:00.000Z"));
  EXPECT_EQ(Slurp(mount_ + "/notes/a.tex"), "second, changed");
}

TEST_F(SnapshotDaemonTest, RestoreInPlaceShowsAtOnceThroughTheMount) {
  Begin();
  Write("notes/a.txt", "good version");
  Write("notes/b.txt", "b");
  Snapshot("good");
  Write("notes/a.txt", "broken version, longer than the good one");
  fs::remove(mount_ + "/notes/b.txt");
  // The kernel has the broken version cached (attributes and pages).
  ASSERT_EQ(Slurp(mount_ + "/notes/a.txt"), "broken version, longer than the good one");
  ASSERT_FALSE(fs::exists(mount_ + "/notes/b.txt"));

  CommandResult restored = Berth({"restore", "doc@good:notes"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(Slurp(mount_ + "/notes/a.txt"), "good version");
  EXPECT_EQ(Slurp(mount_ + "/notes/b.txt"), "b");
  EXPECT_EQ(fs::file_size(mount_ + "/notes/a.txt"), 12u);

  // A single file, and the whole project after it was emptied.
  Write("notes/a.txt", "again broken");
  ASSERT_EQ(Berth({"restore", "doc@good:notes/a.txt"}).exit_code, 0);
  EXPECT_EQ(Slurp(mount_ + "/notes/a.txt"), "good version");
  fs::remove_all(mount_ + "/notes");
  ASSERT_EQ(Berth({"restore", "doc@good"}).exit_code, 0);
  EXPECT_EQ(Slurp(mount_ + "/notes/b.txt"), "b");
  // No temporary names are left behind.
  for (const auto& e : fs::recursive_directory_iterator(mount_)) {
    EXPECT_EQ(e.path().filename().string().find(".berth-restore"), std::string::npos);
  }
}

TEST_F(SnapshotDaemonTest, RestoreRefusesATypeChangeAndExportsElsewhere) {
  Begin();
  Write("thing", "a file");
  Write("dir/x", "x");
  Snapshot("before");
  fs::remove(mount_ + "/thing");
  fs::create_directories(mount_ + "/thing/inside");
  CommandResult refused = Berth({"restore", "doc@before:thing"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("is a directory now"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::is_directory(mount_ + "/thing/inside"));  // nothing changed

  const std::string out = dir_.Sub("out");
  CommandResult exported = Berth({"export", "doc@before", out});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(Slurp(out + "/thing"), "a file");
  EXPECT_EQ(Slurp(out + "/dir/x"), "x");
  CommandResult again = Berth({"export", "doc@before", out});
  EXPECT_EQ(again.exit_code, 1);  // not into a non-empty directory
  ASSERT_EQ(Berth({"restore", "doc@before:thing", "--to", dir_.Sub("side")}).exit_code, 0);
  EXPECT_EQ(Slurp(dir_.Sub("side") + "/thing"), "a file");

  // The reverse: a directory in the snapshot, a file now.
  fs::remove_all(mount_ + "/dir");
  Write("dir", "a file where a directory was");
  CommandResult reverse = Berth({"restore", "doc@before:dir"});
  EXPECT_EQ(reverse.exit_code, 1);
  EXPECT_NE(reverse.err.find("/dir is a file now"), std::string::npos) << reverse.err;
  EXPECT_EQ(Slurp(mount_ + "/dir"), "a file where a directory was");
  // Below a path that is a file now: refused too, naming it.
  CommandResult below = Berth({"restore", "doc@before:dir/x"});
  EXPECT_EQ(below.exit_code, 1);
  EXPECT_NE(below.err.find("/dir is not a directory"), std::string::npos) << below.err;
  EXPECT_EQ(Slurp(mount_ + "/dir"), "a file where a directory was");
}

// The project's root has a mode, an owner, times and xattrs like any directory: a snapshot
// records them, and export, restore --to, `ls` and an in-place restore of the whole project give
// them back.
TEST_F(SnapshotDaemonTest, RootAttributesSurviveExportAndRestore) {
  Begin();
  Write("f", "content");
  Write("deep/er/file", "deep");
  ASSERT_EQ(::chmod((mount_ + "/deep").c_str(), 0710), 0);
  ASSERT_EQ(::setxattr((mount_ + "/deep").c_str(), "user.d", "1", 1, 0), 0);
  struct timespec deep_times[2] = {{0, UTIME_OMIT}, {1'500'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (mount_ + "/deep").c_str(), deep_times, 0), 0);
  ASSERT_EQ(::chmod(mount_.c_str(), 02750), 0);
  ASSERT_EQ(::chown(mount_.c_str(), 1234, 5678), 0);
  ASSERT_EQ(::setxattr(mount_.c_str(), "user.color", "blue", 4, 0), 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {1'600'000'000, 250'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, mount_.c_str(), times, 0), 0);
  Snapshot("rooted");
  auto expect_root = [&](const std::string& dir) {
    struct stat st;
    ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 07777, 02750u) << dir;
    EXPECT_EQ(st.st_uid, 1234u) << dir;
    EXPECT_EQ(st.st_gid, 5678u) << dir;
    EXPECT_EQ(st.st_mtim.tv_sec, 1'600'000'000) << dir;
    EXPECT_EQ(st.st_mtim.tv_nsec, 250'000'000) << dir;
    char value[16] = {};
    EXPECT_EQ(::getxattr(dir.c_str(), "user.color", value, sizeof(value)), 4) << dir;
    EXPECT_STREQ(value, "blue") << dir;
  };

  nlohmann::json ls = BerthJson({"ls", "doc@rooted:/"});
  EXPECT_EQ(ls["self"]["mode"], S_IFDIR | 02750) << ls.dump();
  EXPECT_EQ(ls["self"]["uid"], 1234);
  EXPECT_EQ(ls["self"]["gid"], 5678);
  EXPECT_EQ(ls["self"]["mtime_ns"], 1'600'000'000'250'000'000);

  const std::string exported = dir_.Sub("exported");
  ASSERT_EQ(Berth({"export", "doc@rooted", exported}).exit_code, 0);
  expect_root(exported);
  EXPECT_EQ(Slurp(exported + "/f"), "content");
  const std::string elsewhere = dir_.Sub("elsewhere");
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);  // an empty directory is a fine target
  ASSERT_EQ(Berth({"restore", "doc@rooted", "--to", elsewhere}).exit_code, 0);
  expect_root(elsewhere);

  // In place: the root's attributes changed since, and come back, at once through the mount.
  ASSERT_EQ(::chmod(mount_.c_str(), 0777), 0);
  ASSERT_EQ(::chown(mount_.c_str(), 0, 0), 0);
  ASSERT_EQ(::removexattr(mount_.c_str(), "user.color"), 0);
  ASSERT_EQ(::setxattr(mount_.c_str(), "user.later", "x", 1, 0), 0);
  Write("g", "new since");
  ASSERT_EQ(Berth({"restore", "doc@rooted"}).exit_code, 0);
  expect_root(mount_);
  EXPECT_LT(::getxattr(mount_.c_str(), "user.later", nullptr, 0), 0);
  EXPECT_EQ(Slurp(mount_ + "/g"), "new since");  // restore brings back, it does not delete

  // One file whose parents are gone: they come back with their mode, times and xattrs.
  fs::remove_all(mount_ + "/deep");
  ASSERT_EQ(Berth({"restore", "doc@rooted:deep/er/file"}).exit_code, 0);
  EXPECT_EQ(Slurp(mount_ + "/deep/er/file"), "deep");
  struct stat deep;
  ASSERT_EQ(::stat((mount_ + "/deep").c_str(), &deep), 0);
  EXPECT_EQ(deep.st_mode & 07777, 0710u);
  EXPECT_EQ(deep.st_mtim.tv_sec, 1'500'000'000);
  EXPECT_EQ(::getxattr((mount_ + "/deep").c_str(), "user.d", nullptr, 0), 1);
}

// Restoring one name of a hard-linked file: the name gets its snapshot version, and the other
// names that were the same file in the snapshot and are still the same file now follow it (one
// file, restored); a name linked only since the snapshot keeps the current file.
TEST_F(SnapshotDaemonTest, RestoringOneNameOfAHardLinkedFileKeepsItsLinks) {
  Begin();
  Write("a", "version 1");
  ASSERT_EQ(::link((mount_ + "/a").c_str(), (mount_ + "/b").c_str()), 0);
  fs::create_directories(mount_ + "/sub");
  ASSERT_EQ(::link((mount_ + "/a").c_str(), (mount_ + "/sub/c").c_str()), 0);
  ASSERT_EQ(::link((mount_ + "/a").c_str(), (mount_ + "/e").c_str()), 0);
  Snapshot("linked");
  // Since: the content changed in place (every name sees it), e is a file of its own now, and
  // d is a new name of the file.
  { std::ofstream(mount_ + "/a", std::ios::in | std::ios::out) << "version 2"; }
  fs::remove(mount_ + "/e");
  Write("e", "a separate file");
  ASSERT_EQ(::link((mount_ + "/a").c_str(), (mount_ + "/d").c_str()), 0);
  ASSERT_EQ(Slurp(mount_ + "/b"), "version 2");

  CommandResult restored = Berth({"restore", "doc@linked:a"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto ino = [&](const std::string& name) {
    struct stat st {};
    EXPECT_EQ(::stat((mount_ + "/" + name).c_str(), &st), 0) << name;
    return st.st_ino;
  };
  EXPECT_EQ(Slurp(mount_ + "/a"), "version 1");
  EXPECT_EQ(Slurp(mount_ + "/b"), "version 1");
  EXPECT_EQ(Slurp(mount_ + "/sub/c"), "version 1");
  EXPECT_EQ(ino("a"), ino("b"));
  EXPECT_EQ(ino("a"), ino("sub/c"));
  struct stat st;
  ASSERT_EQ(::stat((mount_ + "/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);
  EXPECT_EQ(Slurp(mount_ + "/d"), "version 2");  // not a name of the file in the snapshot
  EXPECT_NE(ino("d"), ino("a"));
  EXPECT_EQ(Slurp(mount_ + "/e"), "a separate file");  // not a name of the file now
  // The whole project: the same file again, every name of the group, no temporaries left.
  ASSERT_EQ(Berth({"restore", "doc@linked"}).exit_code, 0);
  EXPECT_EQ(ino("a"), ino("e"));
  EXPECT_EQ(Slurp(mount_ + "/e"), "version 1");
  for (const auto& e : fs::recursive_directory_iterator(mount_)) {
    EXPECT_EQ(e.path().filename().string().find(".berth-restore"), std::string::npos);
  }
}

TEST_F(SnapshotDaemonTest, AutomaticSnapshotsFollowChanges) {
  Begin("snapshot_interval_s = 0.2\n");
  // A snapshot may fall between a file's creation and its write: wait for the written content.
  Write("a", "1");
  ASSERT_TRUE(WaitFor([&] { return Cat("doc@latest:a").out == "1"; }));
  Write("b", "2");
  ASSERT_TRUE(WaitFor([&] { return Cat("doc@latest:b").out == "2"; }));
  nlohmann::json list = BerthJson({"snapshots", "doc"});
  EXPECT_EQ(list.back()["kind"], "auto");
  // Two changes, each made of a create and a write: at most two snapshots each.
  EXPECT_LE(list.size(), 4u);
  // Unchanged intervals write nothing: five intervals later there is no new snapshot. (Waiting
  // out a span is the only way to observe that nothing happens.)
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(SnapshotCount(), list.size());
}

TEST_F(SnapshotDaemonTest, GcReclaimsWhatNothingReferencesAndFsckStaysClean) {
  Begin();
  std::mt19937_64 rng(7);
  std::string kept(3 << 20, '\0'), dropped(3 << 20, '\0');
  for (auto& c : kept) c = static_cast<char>(rng());
  for (auto& c : dropped) c = static_cast<char>(rng());
  Write("kept.bin", kept);
  Snapshot("with-kept");
  fs::remove(mount_ + "/kept.bin");  // only the snapshot holds it now
  Write("dropped.bin", dropped);
  int fd = ::open((mount_ + "/dropped.bin").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fsync(fd), 0);  // committed: its chunks are in the store
  ::close(fd);
  fs::remove(mount_ + "/dropped.bin");  // nothing holds it

  nlohmann::json gc = BerthJson({"gc"});
  EXPECT_GE(gc["erased_bytes"].get<uint64_t>(), 2u << 20) << gc.dump();
  EXPECT_EQ(Cat("doc@with-kept:kept.bin").out, kept);
  CommandResult fsck = Berth({"fsck", "--deep"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  nlohmann::json again = BerthJson({"gc"});
  EXPECT_EQ(again["erased"], 0);
}

TEST_F(SnapshotDaemonTest, DaemonKilledDuringASnapshotLeavesEverySnapshotWhole) {
  Begin();
  Write("first.txt", "first");
  const std::string first = Snapshot("first");
  // Enough change that the snapshot takes a while: 3,000 files in 30 directories.
  for (int d = 0; d < 30; ++d) {
    fs::create_directories(mount_ + "/d" + std::to_string(d));
    for (int f = 0; f < 100; ++f) {
      std::ofstream(mount_ + "/d" + std::to_string(d) + "/f" + std::to_string(f)) << d * 100 + f;
    }
  }
  std::thread snapshot([&] { Berth({"snapshot", "doc"}); });
  KillDaemon();
  snapshot.join();
  StartDaemon(200, "snapshot_interval_s = 0\n");
  CommandResult fsck = Berth({"fsck", "--deep"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  EXPECT_EQ(Cat("doc@first:first.txt").out, "first");
  // Whatever the killed snapshot got to, the next one holds the whole tree.
  ASSERT_EQ(Berth({"mount", "doc"}).exit_code, 0);
  Snapshot("after");
  EXPECT_EQ(Cat("doc@after:d29/f99").out, "2999");
  nlohmann::json ls = BerthJson({"ls", "doc@after"});
  EXPECT_EQ(ls["entries"].size(), 31u);
}

TEST_F(SnapshotDaemonTest, DaemonKilledDuringGcOrRestoreLosesNothing) {
  Begin();
  for (int f = 0; f < 400; ++f) Write("tree/f" + std::to_string(f), std::string(5000 + f, 'x'));
  Snapshot("full");
  fs::remove_all(mount_ + "/tree");
  Write("other", "garbage soon");
  Snapshot();
  for (const char* op : {"gc", "restore"}) {
    std::thread running([&] {
      if (std::string(op) == "gc") {
        Berth({"gc"});
      } else {
        Berth({"restore", "doc@full"});
      }
    });
    KillDaemon();
    running.join();
    StartDaemon(200, "snapshot_interval_s = 0\n");
    CommandResult fsck = Berth({"fsck", "--deep"});
    EXPECT_EQ(fsck.exit_code, 0) << op << ": " << fsck.err;
    EXPECT_EQ(Cat("doc@full:tree/f399").out, std::string(5399, 'x')) << op;
  }
  // A restore run to its end after the interrupted one gives the whole tree back.
  ASSERT_EQ(Berth({"restore", "doc@full"}).exit_code, 0);
  EXPECT_EQ(Slurp(mount_ + "/tree/f123"), std::string(5123, 'x'));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(mount_ + "/tree")) {
    EXPECT_EQ(e.path().filename().string().find(".berth-restore"), std::string::npos);
    ++files;
  }
  EXPECT_EQ(files, 400u);
}

// A restore killed while a file is half built leaves its temporary in the live tree; the next
// start of the daemon removes it before anyone sees the project, and no snapshot records it.
TEST_F(SnapshotDaemonTest, TemporariesOfAKilledRestoreAreGoneAfterARestart) {
  Begin();
  std::mt19937_64 rng(11);
  for (int f = 0; f < 24; ++f) {
    std::string data(6 << 20, '\0');
    for (size_t i = 0; i < data.size(); i += 8) {
      const uint64_t r = rng();
      std::memcpy(&data[i], &r, 8);
    }
    Write("big/f" + std::to_string(f), data);
  }
  Snapshot("full");
  fs::remove_all(mount_ + "/big");
  fs::create_directories(mount_ + "/big");
  Snapshot();
  auto temporaries = [&](const std::string& dir) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind(".berth-restore-", 0) == 0) found.push_back(name);
    }
    return found;
  };

  std::thread restore([&] { Berth({"restore", "doc@full"}); });
  // Kill the daemon the moment a file is being built under its temporary name.
  const bool caught = WaitFor([&] { return !temporaries(mount_ + "/big").empty(); }, 60);
  KillDaemon();
  restore.join();
  ASSERT_TRUE(caught) << "the restore never showed a temporary";

  StartDaemon(200, "snapshot_interval_s = 0\n");
  const std::string log = DaemonOut() + DaemonErr();
  EXPECT_NE(log.find("an interrupted restore left behind"), std::string::npos) << log;
  EXPECT_TRUE(temporaries(mount_).empty());
  CommandResult fsck = Berth({"fsck", "--deep"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  Snapshot("after");
  const nlohmann::json after = BerthJson({"ls", "doc@after:big"});
  for (const auto& e : after["entries"]) {
    EXPECT_EQ(e["name"].get<std::string>().find(".berth-restore"), std::string::npos);
  }
  // Restored to the end now: every file whole, nothing else.
  ASSERT_EQ(Berth({"restore", "doc@full"}).exit_code, 0);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(mount_ + "/big")) {
    EXPECT_EQ(fs::file_size(e.path()), 6u << 20) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 24u);
  EXPECT_TRUE(temporaries(mount_).empty());
}

}  // namespace
}  // namespace berth::testing
