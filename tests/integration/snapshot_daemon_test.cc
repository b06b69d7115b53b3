// Snapshots through the daemon and its CLI, against a real mount: taking, browsing (ls, cat,
// diff, versions), restore in place and elsewhere, automatic snapshots, gc and fsck, and a
// daemon killed in the middle of a snapshot.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
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
  // The directory's own mtime moved when refs.bib was added.
  EXPECT_EQ(diff["modified"], nlohmann::json::array({"/paper", "/paper/main.tex"}));

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
}

TEST_F(SnapshotDaemonTest, AutomaticSnapshotsFollowChanges) {
  Begin("snapshot_interval_s = 0.2\n");
  Write("a", "1");
  ASSERT_TRUE(WaitFor([&] { return SnapshotCount() >= 1; }));
  const size_t after_first = SnapshotCount();
  Write("b", "2");
  ASSERT_TRUE(WaitFor([&] { return SnapshotCount() > after_first; }));
  nlohmann::json list = BerthJson({"snapshots", "doc"});
  EXPECT_EQ(list.back()["kind"], "auto");
  EXPECT_EQ(Cat("doc@latest:b").out, "2");
  // Two changes, at most one snapshot each: unchanged intervals write nothing.
  EXPECT_LE(list.size(), 2u);
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

}  // namespace
}  // namespace berth::testing
