// Snapshots of a real mount under random changes: after each batch of random operations
// (applied to the mount and, in lockstep, to a native directory), a snapshot is taken and the
// native directory copied aside; at the end every snapshot is exported and compared, file by
// file, with its copy. Between batches gc runs, and old snapshots' objects must survive it
// (fsck --deep clean).
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <random>

#include "tests/integration/daemon_fixture.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

// What a tree holds, for comparison: path -> type, mode bits and content or target.
std::map<std::string, std::string> Describe(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string path = it->path().string().substr(root.size());
    struct stat st;
    EXPECT_EQ(::lstat(it->path().c_str(), &st), 0) << path;
    std::string what = std::to_string(st.st_mode) + " ";
    if (S_ISREG(st.st_mode)) what += Slurp(it->path());
    if (S_ISLNK(st.st_mode)) what += fs::read_symlink(it->path()).string();
    out[path] = what;
  }
  return out;
}

class SnapshotModelTest : public DaemonTest {};

TEST_F(SnapshotModelTest, EverySnapshotHoldsTheTreeOfItsMoment) {
  StartDaemon(200, "snapshot_interval_s = 0\n");
  ASSERT_EQ(Berth({"project", "create", "model"}).exit_code, 0);
  const std::string mount = BerthJson({"mount", "model"})["mountpoint"];
  const std::string native = dir_.Sub("native");
  fs::create_directories(native);

  const char* seed_text = std::getenv("BERTH_MODEL_SEED");
  const uint64_t seed = seed_text ? std::stoull(seed_text) : 20261125;
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> dirs = {"", "a/", "a/b/", "c/"};
  for (const std::string& d : dirs) {
    fs::create_directories(mount + "/" + d);
    fs::create_directories(native + "/" + d);
  }
  auto both = [&](const std::function<void(const std::string&)>& op) {
    op(mount);
    op(native);
  };

  std::vector<std::pair<std::string, std::string>> taken;  // snapshot id, copy of the tree
  for (int batch = 0; batch < 12; ++batch) {
    for (int i = 0; i < 40; ++i) {
      const std::string name = dirs[pick(dirs.size())] + "f" + std::to_string(pick(12));
      switch (pick(6)) {
        case 0:
        case 1: {  // write at a random offset (files grow, get holes, are overwritten)
          std::string bytes(1 + pick(70000), static_cast<char>('a' + pick(26)));
          const off_t at = static_cast<off_t>(pick(3) == 0 ? pick(200000) : 0);
          both([&](const std::string& root) {
            int fd = ::open((root + "/" + name).c_str(), O_WRONLY | O_CREAT, 0644);
            ASSERT_GE(fd, 0);
            ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), at), static_cast<ssize_t>(bytes.size()));
            ::close(fd);
          });
          break;
        }
        case 2:  // truncate
          if (fs::exists(native + "/" + name) && fs::is_regular_file(native + "/" + name)) {
            const auto size = pick(50000);
            both([&](const std::string& root) { fs::resize_file(root + "/" + name, size); });
          }
          break;
        case 3: {  // rename over another name
          const std::string to = dirs[pick(dirs.size())] + "f" + std::to_string(pick(12));
          if (fs::is_regular_file(native + "/" + name) && !fs::is_directory(native + "/" + to)) {
            both([&](const std::string& root) { fs::rename(root + "/" + name, root + "/" + to); });
          }
          break;
        }
        case 4:  // unlink
          if (fs::is_regular_file(native + "/" + name)) {
            both([&](const std::string& root) { fs::remove(root + "/" + name); });
          }
          break;
        case 5:  // chmod
          if (fs::is_regular_file(native + "/" + name)) {
            const mode_t mode = pick(2) ? 0600 : 0755;
            both([&](const std::string& root) { ::chmod((root + "/" + name).c_str(), mode); });
          }
          break;
      }
    }
    nlohmann::json snapshot = BerthJson({"snapshot", "model"});
    const std::string copy = dir_.Sub("copy" + std::to_string(batch));
    fs::copy(native, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    taken.emplace_back(snapshot["id"], copy);
    if (batch % 4 == 3) {
      ASSERT_EQ(Berth({"gc"}).exit_code, 0);
    }
  }

  CommandResult fsck = Berth({"fsck", "--deep"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  for (const auto& [id, copy] : taken) {
    const std::string out = dir_.Sub("export-" + id);
    CommandResult exported = Berth({"export", "model@" + id, out});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(Describe(out), Describe(copy)) << "snapshot " << id << ", seed " << seed;
  }
}

}  // namespace
}  // namespace berth::testing
