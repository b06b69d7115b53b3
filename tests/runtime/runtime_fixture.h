#ifndef BERTH_TESTS_RUNTIME_RUNTIME_FIXTURE_H_
#define BERTH_TESTS_RUNTIME_RUNTIME_FIXTURE_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "runtime/image.h"
#include "runtime/internal/cgroup_dirs.h"
#include "runtime/internal/mount_table.h"
#include "runtime/lxc_handle.h"
#include "runtime/project_mounts.h"
#include "runtime/runtime.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::runtime::testing {

inline std::string ReadAll(const std::string& path) {
  Result<std::string> s = ReadFileToString(path);
  return s.ok() ? *s : "";
}

// Polls `done` every 10 ms until it holds or `timeout` passes; returns whether it held. For
// conditions only observable by looking (a cgroup counter, a process gone).
template <typename F>
bool Eventually(F done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// The content of cgroup file `key` ("memory.limit_in_bytes") of the cgroup process `pid` is in,
// read straight from the host's hierarchy (not through liblxc). Empty if there is none.
inline std::string CgroupFile(pid_t pid, const std::string& key) {
  for (const std::string& dir : internal::ProcessCgroupDirs(pid)) {
    if (PathExists(dir + "/" + key)) return ReadAll(dir + "/" + key);
  }
  return "";
}

struct ExecResult {
  int code = -1;
  std::string out;
  std::string err;
};

// The pid in a test container's name ("bt-<pid>-tag"), or 0 for any other name.
inline pid_t TestPidOf(const std::string& name) {
  if (name.rfind("bt-", 0) != 0) return 0;
  const size_t dash = name.find('-', 3);
  if (dash == std::string::npos || dash == 3) return 0;
  pid_t pid = 0;
  for (size_t i = 3; i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

// What a test process killed mid-test (by ctest's timeout: SIGKILL, so no TearDown) left under
// $TMPDIR: its containers, still running, and its mounts. A data dir qualifies when every
// container in it is named for a process that is gone; its containers are killed and cleaned up
// (Runtime::Open removes the leftovers of stopped ones), its mounts unmounted, the dir removed.
// Data dirs of live processes (tests running in parallel) are left alone.
inline void SweepLeftoversOfDeadTests(const std::string& images_dir) {
  const char* base = std::getenv("TMPDIR");
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator(base ? base : "/tmp", ec)) {
    if (dir.path().filename().string().rfind("berth-test-", 0) != 0) continue;
    const std::string lxc_path = dir.path().string() + "/containers";
    std::vector<std::string> names;
    bool dead = true;
    std::error_code list_ec;
    for (const auto& c : std::filesystem::directory_iterator(lxc_path, list_ec)) {
      const std::string name = c.path().filename().string();
      const pid_t pid = TestPidOf(name);
      if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) dead = false;
      names.push_back(name);
    }
    if (names.empty() || !dead) continue;
    for (const std::string& name : names) {
      Result<LxcHandle> h = LxcHandle::Open(name, lxc_path);
      if (h.ok() && h->IsRunning()) {
        h->Kill().IgnoreError();
        h->WaitForState("STOPPED", std::chrono::seconds(5)).IgnoreError();
      }
    }
    RuntimeOptions options;
    options.lxc_path = lxc_path;
    options.images_dir = images_dir;
    options.lxc_helper = BERTH_LXC_HELPER;
    const Status cleaned = Runtime::Open(options).status();
    Result<std::vector<std::string>> mounts = internal::MountsUnder(dir.path().string());
    if (mounts.ok()) {
      for (const std::string& m : *mounts) ::umount2(m.c_str(), MNT_DETACH);
    }
    std::error_code rm_ec;
    std::filesystem::remove_all(dir.path(), rm_ec);
    std::string note = "swept " + std::to_string(names.size()) +
                       " containers of a killed test in " + dir.path().string();
    if (!cleaned.ok()) note += " (" + cleaned.ToString() + ")";
    std::fprintf(stderr, "%s\n", note.c_str());
  }
}

// A data dir, a busybox image and a Runtime over them, plus helpers to make projects and run
// commands. Every container started through Start() and every mount made through the helpers is
// stopped/unmounted in TearDown, also when the test failed. Tests are skipped unless run as root.
class RuntimeTest : public ::testing::Test {
 protected:
  // One busybox image for all the tests of a process (images are shared read-only).
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    images_ = new berth::testing::TempDir();
    ::chmod(images_->path().c_str(), 0755);
    image_status_ = new Status(BuildBusyboxImage(images_->Sub("images"), "busybox"));
    SweepLeftoversOfDeadTests(images_->Sub("images"));
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
    delete image_status_;
    image_status_ = nullptr;
  }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (LXC containers and mounts)";
    ASSERT_FALSE(data_.path().empty());
    // The containers' mapped root must traverse the data dir (mkdtemp makes it 0700).
    ASSERT_EQ(::chmod(data_.path().c_str(), 0755), 0);
    ASSERT_NE(image_status_, nullptr);
    ASSERT_OK(*image_status_);
    images_dir_ = images_->Sub("images");
    runtime_ = OpenRuntime();
    ASSERT_NE(runtime_, nullptr);
  }

  void TearDown() override {
    for (const std::string& name : started_) {
      if (runtime_ == nullptr) {
        Result<std::unique_ptr<Runtime>> r = Runtime::Open(Options());
        if (r.ok()) runtime_ = std::move(*r);
      }
      if (runtime_ != nullptr) EXPECT_OK(runtime_->Stop(name, std::chrono::seconds(2)));
    }
    runtime_.reset();
    for (auto it = parents_.rbegin(); it != parents_.rend(); ++it) {
      EXPECT_OK(ReleaseProjectParent(*it));
    }
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  }

  RuntimeOptions Options() const {
    RuntimeOptions o;
    o.lxc_path = data_.Sub("containers");
    o.images_dir = images_dir_;
    o.lxc_helper = BERTH_LXC_HELPER;
    return o;
  }

  std::unique_ptr<Runtime> OpenRuntime() {
    Result<std::unique_ptr<Runtime>> r = Runtime::Open(Options());
    EXPECT_OK(r);
    return r.ok() ? std::move(*r) : nullptr;
  }

  // A unique container name: tests of this binary may run in parallel processes.
  std::string Name(const std::string& tag) {
    return "bt-" + std::to_string(::getpid()) + "-" + tag;
  }

  // Mounts a tmpfs at `dir` (created) with mode 0777, so the container's root and user can write.
  void MountTmpfs(const std::string& dir) {
    ASSERT_OK(MakeDirs(dir, 0755));
    ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "mode=0777,size=64m"), 0) << dir;
    mounts_.push_back(dir);
  }

  // A project: its parent dir P prepared and, standing in for the FUSE mount, a tmpfs bound at
  // P/user. Returns P.
  std::string MakeProject(const std::string& id) {
    const std::string parent = data_.Sub("homes/" + id);
    const std::string fuse = data_.Sub("mnt/" + id);
    EXPECT_OK(PrepareProjectParent(parent));
    parents_.push_back(parent);
    MountTmpfs(fuse);
    EXPECT_OK(BindProject(fuse, parent));
    return parent;
  }
  std::string ProjectMount(const std::string& id) { return data_.Sub("mnt/" + id); }

  ContainerSpec Spec(const std::string& tag, const std::string& parent) {
    ContainerSpec spec;
    spec.name = Name(tag);
    spec.project_id = "p" + tag;
    spec.image = "busybox";
    spec.project_parent_dir = parent;
    return spec;
  }

  // Starts `spec` and registers it for cleanup.
  Result<StartResult> Start(const ContainerSpec& spec) {
    started_.push_back(spec.name);
    return runtime_->Start(spec);
  }

  // Runs argv in `name` with stdin from `input`, capturing stdout and stderr.
  ExecResult Exec(const std::string& name, const std::vector<std::string>& argv,
                  uint32_t uid = 1000, const std::string& input = "") {
    ExecResult result;
    const std::string in = io_.Sub("in"), out = io_.Sub("out"), err = io_.Sub("err");
    EXPECT_OK(WriteFileAtomically(in, AsBytes(input)));
    UniqueFd in_fd(::open(in.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd out_fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    UniqueFd err_fd(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ExecOptions options;
    options.stdin_fd = in_fd.get();
    options.stdout_fd = out_fd.get();
    options.stderr_fd = err_fd.get();
    options.uid = uid;
    options.gid = uid;
    Result<int> code = runtime_->Exec(name, argv, options);
    EXPECT_OK(code);
    result.code = code.ok() ? *code : -1;
    result.out = ReadAll(out);
    result.err = ReadAll(err);
    return result;
  }
  ExecResult Sh(const std::string& name, const std::string& script, uint32_t uid = 1000) {
    return Exec(name, {"/bin/sh", "-c", script}, uid);
  }

  // What a stopped container must not leave: its init, mounts under its directory, the
  // directory, and cgroups.
  void ExpectNothingLeft(const std::string& name, pid_t init_pid,
                         const std::vector<std::string>& cgroup_dirs) {
    if (init_pid > 0) {
      EXPECT_TRUE(Eventually([&] { return ::kill(init_pid, 0) != 0 && errno == ESRCH; }))
          << "init " << init_pid << " still exists";
    }
    const std::string dir = Options().lxc_path + "/" + name;
    EXPECT_FALSE(PathExists(dir)) << dir;
    Result<std::vector<std::string>> mounts = internal::MountsUnder(data_.Sub("containers"));
    ASSERT_OK(mounts);
    for (const std::string& m : *mounts) EXPECT_EQ(m.find(name), std::string::npos) << m;
    for (const std::string& d : cgroup_dirs) EXPECT_FALSE(PathExists(d)) << d;
    EXPECT_TRUE(internal::FindContainerCgroups(name).empty());
  }

  static inline berth::testing::TempDir* images_ = nullptr;
  static inline Status* image_status_ = nullptr;
  berth::testing::TempDir data_;
  berth::testing::TempDir io_;
  std::string images_dir_;
  std::unique_ptr<Runtime> runtime_;
  std::vector<std::string> started_;
  std::vector<std::string> parents_;
  std::vector<std::string> mounts_;
};

}  // namespace berth::runtime::testing

#endif  // BERTH_TESTS_RUNTIME_RUNTIME_FIXTURE_H_
