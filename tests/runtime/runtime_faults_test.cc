// Bad input and faults (root only): a second start, a missing image, nonsensical limits, an init
// that dies or never runs, a halt signal ignored, the daemon killed with -9, and concurrency.
#include <gmock/gmock.h>
#include <sys/wait.h>

#include "tests/runtime/runtime_fixture.h"

namespace berth::runtime::testing {
namespace {

using ::berth::testing::StatusIs;
using ::berth::testing::StatusMessageHas;

TEST_F(RuntimeTest, StartingARunningContainerIsAlreadyExists) {
  ContainerSpec spec = Spec("twice", MakeProject("twice"));
  ASSERT_OK_AND_ASSIGN(StartResult first, Start(spec));
  EXPECT_THAT(runtime_->Start(spec), StatusIs(StatusCode::kAlreadyExists));
  // The running one is untouched.
  ASSERT_OK_AND_ASSIGN(ContainerStats stats, runtime_->Stats(spec.name));
  EXPECT_EQ(stats.init_pid, first.init_pid);
  EXPECT_EQ(Sh(spec.name, "echo still").out, "still\n");
}

TEST_F(RuntimeTest, MissingImageIsNotFoundNamingIt) {
  ContainerSpec spec = Spec("noimage", MakeProject("noimage"));
  spec.image = "no-such-image";
  EXPECT_THAT(runtime_->Start(spec), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(runtime_->Start(spec), StatusMessageHas("\"no-such-image\""));
  EXPECT_FALSE(PathExists(Options().lxc_path + "/" + spec.name));
}

TEST_F(RuntimeTest, MissingLxcHelperFailsOpenNamingIt) {
  RuntimeOptions options = Options();
  options.lxc_helper = data_.Sub("no-such-helper");
  EXPECT_THAT(Runtime::Open(options), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(Runtime::Open(options), StatusMessageHas(options.lxc_helper));
}

TEST_F(RuntimeTest, NonsensicalLimitsAreInvalidArgument) {
  const std::string parent = MakeProject("badlimits");
  const HostResources host = HostResources::Detect();
  std::vector<ResourceLimits> bad(5);
  bad[0].memory_bytes = -1;
  bad[1].cpu_cores = std::nan("");
  bad[2].cpu_cores = host.cpus + 1;
  bad[3].memory_bytes = host.memory_bytes * 2;
  bad[4].pids = 0;
  for (const ResourceLimits& limits : bad) {
    ContainerSpec spec = Spec("badlimits", parent);
    spec.limits = limits;
    EXPECT_THAT(runtime_->Start(spec), StatusIs(StatusCode::kInvalidArgument)) << limits.ToString();
    EXPECT_FALSE(PathExists(Options().lxc_path + "/" + spec.name));
  }
}

TEST_F(RuntimeTest, InitThatDiesIsReportedAndStopCleansUp) {
  ContainerSpec spec = Spec("dies", MakeProject("dies"));
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(started.init_pid);
  ASSERT_EQ(::kill(started.init_pid, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] {
    return runtime_->Stats(spec.name).status().code() == StatusCode::kFailedPrecondition;
  }));
  EXPECT_THAT(runtime_->Stats(spec.name), StatusMessageHas("init exited"));
  std::vector<ContainerStats> list = runtime_->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].running);
  EXPECT_THAT(runtime_->Exec(spec.name, {"true"}), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(runtime_->Stop(spec.name));
  ExpectNothingLeft(spec.name, started.init_pid, cgroups);
  // Starting it again works, as it would after Stop (and Start also cleans up a dead one).
  ASSERT_OK_AND_ASSIGN(StartResult again, Start(spec));
  ASSERT_EQ(::kill(again.init_pid, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return !runtime_->Stats(spec.name).ok(); }));
  ASSERT_OK(Start(spec));
  EXPECT_EQ(Sh(spec.name, "echo back").out, "back\n");
}

TEST_F(RuntimeTest, InitThatCannotRunFailsStartAndLeavesNothing) {
  ContainerSpec spec = Spec("noinit", MakeProject("noinit"));
  spec.init_argv = {"/no/such/init"};
  Result<StartResult> r = runtime_->Start(spec);
  EXPECT_THAT(r, StatusIs(StatusCode::kFailedPrecondition));
  std::printf("start with a missing init: %s\n", r.status().ToString().c_str());
  ExpectNothingLeft(spec.name, -1, {});
  EXPECT_TRUE(runtime_->List().empty());
  spec.init_argv = {"/sbin/init"};
  ASSERT_OK(Start(spec));
}

TEST_F(RuntimeTest, StopKillsAContainerThatIgnoresTheHaltSignal) {
  ContainerSpec spec = Spec("stubborn", MakeProject("stubborn"));
  // As PID 1 of its namespace, sleep ignores every signal it has no handler for.
  spec.init_argv = {"/bin/sleep", "1000"};
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(started.init_pid);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK(runtime_->Stop(spec.name, std::chrono::milliseconds(300)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  ExpectNothingLeft(spec.name, started.init_pid, cgroups);
}

TEST_F(RuntimeTest, AdoptsRunningContainersAfterTheDaemonIsKilled) {
  ContainerSpec spec = Spec("adopt", MakeProject("adopt"));
  runtime_.reset();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The "daemon": starts the container, says so, and waits to be killed.
    ::close(ready[0]);
    Result<std::unique_ptr<Runtime>> rt = Runtime::Open(Options());
    if (!rt.ok() || !(*rt)->Start(spec).ok()) ::_exit(1);
    char ok = 'k';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  started_.push_back(spec.name);  // cleanup, whatever happens below
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child failed to start the container";
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);

  // The restarted daemon finds the container and the project it belongs to.
  runtime_ = OpenRuntime();
  ASSERT_NE(runtime_, nullptr);
  std::vector<ContainerSpec> running = runtime_->Running();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].name, spec.name);
  EXPECT_EQ(running[0].project_id, spec.project_id);
  EXPECT_EQ(running[0].project_parent_dir, spec.project_parent_dir);
  EXPECT_EQ(Sh(spec.name, "echo adopted > /home/user/a; cat /home/user/a").out, "adopted\n");
  ASSERT_OK_AND_ASSIGN(ContainerStats stats, runtime_->Stats(spec.name));
  EXPECT_TRUE(stats.running);
  EXPECT_THAT(runtime_->Start(spec), StatusIs(StatusCode::kAlreadyExists));
  // The node stops what it no longer serves.
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(stats.init_pid);
  ASSERT_OK(runtime_->Stop(spec.name));
  ExpectNothingLeft(spec.name, stats.init_pid, cgroups);
}

TEST_F(RuntimeTest, OpenCleansUpContainersThatDiedWhileTheDaemonWasDown) {
  ContainerSpec spec = Spec("died", MakeProject("died"));
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(started.init_pid);
  runtime_.reset();  // the daemon goes away; the container keeps running
  ASSERT_EQ(::kill(started.init_pid, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ::kill(started.init_pid, 0) != 0; }));
  ASSERT_TRUE(Eventually([&] {
    Result<LxcHandle> h = LxcHandle::Open(spec.name, Options().lxc_path);
    return h.ok() && !h->IsRunning();
  }));
  runtime_ = OpenRuntime();
  ASSERT_NE(runtime_, nullptr);
  EXPECT_TRUE(runtime_->Running().empty());
  ExpectNothingLeft(spec.name, started.init_pid, cgroups);
}

TEST_F(RuntimeTest, ContainersStartAndStopConcurrently) {
  constexpr int kCount = 3;
  std::vector<ContainerSpec> specs;
  for (int i = 0; i < kCount; ++i) {
    specs.push_back(Spec("par" + std::to_string(i), MakeProject("par" + std::to_string(i))));
    started_.push_back(specs.back().name);
  }
  const std::string own_cgroups = ReadAll("/proc/self/cgroup");
  std::vector<Status> results(kCount);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCount; ++i) {
    threads.emplace_back([&, i] {
      Result<StartResult> r = runtime_->Start(specs[i]);
      if (!r.ok()) {
        results[i] = r.status();
        return;
      }
      Result<int> code = runtime_->Exec(specs[i].name, {"sh", "-c", "test -d /home/user"});
      results[i] = !code.ok()   ? code.status()
                   : *code != 0 ? InternalError("exit " + std::to_string(*code))
                                : Status::Ok();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_OK(s);
  EXPECT_EQ(runtime_->List().size(), static_cast<size_t>(kCount));
  threads.clear();
  for (int i = 0; i < kCount; ++i) {
    threads.emplace_back([&, i] { results[i] = runtime_->Stop(specs[i].name); });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_OK(s);
  for (const ContainerSpec& spec : specs) ExpectNothingLeft(spec.name, -1, {});
  EXPECT_EQ(ReadAll("/proc/self/cgroup"), own_cgroups);
}

}  // namespace
}  // namespace berth::runtime::testing
