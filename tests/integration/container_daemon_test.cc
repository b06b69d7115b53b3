// Project containers through the daemon and its CLI: `berth image build`, `start`, `exec`,
// `ps`, `limits`, `stop`, with real LXC containers and the project's real FUSE mount inside.
#include <sys/stat.h>

#include <filesystem>

#include "runtime/network.h"
#include "runtime/runtime.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tcp.h"
#include "tests/integration/daemon_fixture.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

// Containers' network in these tests: a bridge of their own on a subnet no uplink carries.
constexpr char kBridge[] = "berthtestd";

class ContainerDaemonTest : public DaemonTest {
 protected:
  bool uses_network_ = false;  // the test starts a container with --network
  void StartNode() {
    StartDaemon(200, std::string("container_network_bridge = \"") + kBridge +
                         "\"\ncontainer_network_subnet = \"100.82.0.0/24\"\n");
  }
  void SetUp() override {
    DaemonTest::SetUp();
    if (IsSkipped()) return;
    if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "needs busybox-static";
    // The containers' mapped root walks from / to their root filesystems in the data dir.
    ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
    StartNode();
    ASSERT_EQ(Berth({"project", "create", "lab"}).exit_code, 0);
    CommandResult built = Berth({"image", "build", "busybox", "--busybox"});
    ASSERT_EQ(built.exit_code, 0) << built.err;
  }
  void TearDown() override {
    // Whatever happened, no container may outlive the test: stop them through the runtime
    // itself, which adopts what runs in the data dir.
    if (pid_ > 0) KillDaemon();
    runtime::RuntimeOptions options;
    options.lxc_path = data_dir_ + "/containers";
    options.images_dir = data_dir_ + "/images";
    options.lxc_helper = BERTH_LXC_HELPER;
    if (fs::exists(options.lxc_path)) {
      auto rt = runtime::Runtime::Open(options);
      EXPECT_OK(rt);  // ignored once, this left the containers of every test running
      if (rt.ok()) {
        for (const auto& spec : (*rt)->Running()) {
          EXPECT_OK((*rt)->Stop(spec.name, std::chrono::milliseconds(0)));
        }
      }
    }
    std::error_code ec;
    if (fs::exists(data_dir_ + "/homes", ec)) {
      for (const auto& home : fs::directory_iterator(data_dir_ + "/homes", ec)) {
        umount2((home.path() / "user").c_str(), MNT_DETACH);
        umount2(home.path().c_str(), MNT_DETACH);
      }
    }
    DaemonTest::TearDown();
    // Only the test that made it: ctest runs these tests in parallel processes.
    if (uses_network_) EXPECT_OK(runtime::DeleteBridge(kBridge));
  }
  CommandResult Exec(const std::string& project, const std::string& script) {
    return RunCommand({BERTH_BINARY, "exec", "--socket", data_dir_ + "/berth.sock", project, "--",
                       "sh", "-c", script});
  }
  std::string Mountpoint(const std::string& project) {
    for (const auto& p : BerthJson({"project", "list"})) {
      if (p["name"] == project) return p["mountpoint"];
    }
    return "";
  }
  // Mounts under the data dir's per-project parents (the binds into containers).
  int HomeMounts() {
    int n = 0;
    for (const std::string& line : Lines(Slurp("/proc/self/mounts"))) {
      if (line.find(data_dir_ + "/homes") != std::string::npos) ++n;
    }
    return n;
  }
  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < text.size()) {
      size_t nl = text.find('\n', at);
      if (nl == std::string::npos) nl = text.size();
      out.push_back(text.substr(at, nl - at));
      at = nl + 1;
    }
    return out;
  }
};

TEST_F(ContainerDaemonTest, StartExecStopWithTheProjectMountedAtHome) {
  CommandResult started = Berth({"start", "lab"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(started.out.find("berth exec lab -- sh"), std::string::npos) << started.out;

  // The project user, at home in the project; what it writes is on the host's mount.
  CommandResult r = Exec("lab", "id -u; pwd; echo written-inside > notes.txt; exit 3");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "1000\n/home/user\n");
  const std::string host_file = Mountpoint("lab") + "/notes.txt";
  EXPECT_EQ(Slurp(host_file), "written-inside\n");
  struct stat st;
  ASSERT_EQ(stat(host_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 101000u);  // uid 1000 inside, shifted by the id map: not a host user
  // ... and in the next snapshot.
  ASSERT_EQ(Berth({"snapshot", "lab"}).exit_code, 0);
  EXPECT_EQ(Berth({"cat", "lab@latest:notes.txt"}).out, "written-inside\n");

  // What the host writes, the container reads; df shows the project's filesystem.
  std::ofstream(Mountpoint("lab") + "/from-host.txt") << "hello container";
  r = Exec("lab", "cat /home/user/from-host.txt; df /home/user | tail -1 | cut -d' ' -f1");
  EXPECT_EQ(r.out, "hello containerberth\n");

  nlohmann::json ps = BerthJson({"ps"});
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["name"], "lab");
  EXPECT_EQ(ps[0]["state"], "running");
  EXPECT_GT(ps[0]["memory_bytes"].get<uint64_t>(), 0u);

  CommandResult again = Berth({"start", "lab"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("running already"), std::string::npos) << again.err;
  CommandResult umount = Berth({"umount", "lab"});
  EXPECT_EQ(umount.exit_code, 1);
  EXPECT_NE(umount.err.find("stop it first"), std::string::npos) << umount.err;

  ASSERT_EQ(Berth({"stop", "lab", "--timeout", "5"}).exit_code, 0);
  EXPECT_TRUE(BerthJson({"ps"}).empty());
  EXPECT_EQ(HomeMounts(), 0);
  CommandResult after = Exec("lab", "true");
  EXPECT_EQ(after.exit_code, 1);
  EXPECT_NE(after.err.find("not running"), std::string::npos) << after.err;
  EXPECT_EQ(Berth({"umount", "lab"}).exit_code, 0);
}

TEST_F(ContainerDaemonTest, NetworkOnRequestWithAnAddressKeptAcrossStarts) {
  uses_network_ = true;
  ASSERT_OK(runtime::DeleteBridge(kBridge));  // a crashed earlier run's
  ASSERT_EQ(Berth({"project", "create", "web"}).exit_code, 0);
  // Without --network: loopback only.
  ASSERT_EQ(Berth({"start", "web"}).exit_code, 0);
  EXPECT_EQ(Exec("web", "ls /sys/class/net").out, "lo\n");

  CommandResult started = Berth({"start", "lab", "--network"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(started.out.find("address 100.82.0.2/24"), std::string::npos) << started.out;
  CommandResult r = Exec("lab", "ip -4 addr show eth0 | grep -o 'inet [0-9./]*'");
  EXPECT_EQ(r.out, "inet 100.82.0.2/24\n") << r.err;
  for (const auto& c : BerthJson({"ps"})) {
    EXPECT_EQ(c["address"], c["name"] == "lab" ? "100.82.0.2/24" : "") << c.dump();
  }

  // The host reaches what the project user serves from its home.
  ASSERT_EQ(Exec("lab", "echo hello web > index.html && httpd -p 8080 -h /home/user").exit_code,
            0);
  std::string reply;
  ASSERT_TRUE(WaitFor([&] {
    reply = TcpExchange("100.82.0.2", 8080, "GET /index.html HTTP/1.0\r\n\r\n", kBridge);
    return !reply.empty();
  }));
  EXPECT_NE(reply.find("hello web\n"), std::string::npos) << reply;

  // The address is the project's: a later start without the flag keeps the network and the
  // address, another project gets the next one, and --no-network takes it away.
  ASSERT_EQ(Berth({"stop", "lab", "--timeout", "0"}).exit_code, 0);
  ASSERT_EQ(Berth({"stop", "web", "--timeout", "0"}).exit_code, 0);
  ASSERT_EQ(Berth({"start", "web", "--network"}).exit_code, 0);
  ASSERT_EQ(Berth({"start", "lab"}).exit_code, 0);
  EXPECT_EQ(Exec("lab", "ip -4 addr show eth0 | grep -o 'inet [0-9./]*'").out,
            "inet 100.82.0.2/24\n");
  EXPECT_EQ(Exec("web", "ip -4 addr show eth0 | grep -o 'inet [0-9./]*'").out,
            "inet 100.82.0.3/24\n");
  EXPECT_EQ(Exec("web", "wget -q -O - http://100.82.0.2:8080/index.html").exit_code, 1)
      << "lab's httpd died with its container";
  ASSERT_EQ(Berth({"stop", "lab", "--timeout", "0"}).exit_code, 0);
  ASSERT_EQ(Berth({"start", "lab", "--no-network"}).exit_code, 0);
  EXPECT_EQ(Exec("lab", "ls /sys/class/net").out, "lo\n");
  for (const auto& c : BerthJson({"ps"})) {
    EXPECT_EQ(c["address"], c["name"] == "web" ? "100.82.0.3/24" : "") << c.dump();
  }
  CommandResult both = Berth({"start", "lab", "--network", "--no-network"});
  EXPECT_NE(both.exit_code, 0);
}

TEST_F(ContainerDaemonTest, DaemonKilledWhileTheContainerRunsHealsItsMountOnRestart) {
  ASSERT_EQ(Berth({"start", "lab"}).exit_code, 0);
  ASSERT_EQ(Exec("lab", "echo before > before.txt").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(Mountpoint("lab") + "/before.txt"); }));
  const std::string mountpoint = Mountpoint("lab");
  KillDaemon();
  StartNode();
  // The same container (never restarted) sees the new mount at its home.
  nlohmann::json ps = BerthJson({"ps"});
  ASSERT_EQ(ps.size(), 1u);
  CommandResult r = Exec("lab", "cat before.txt && echo after > after.txt && ls");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "before\nafter.txt\nbefore.txt\n");
  EXPECT_EQ(Slurp(mountpoint + "/after.txt"), "after\n");
}

TEST_F(ContainerDaemonTest, CleanShutdownStopsContainersAndTheNextStartRestartsThem) {
  ASSERT_EQ(Berth({"start", "lab"}).exit_code, 0);
  StopDaemon();
  EXPECT_EQ(HomeMounts(), 0);
  StartNode();
  nlohmann::json ps = BerthJson({"ps"});
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(Exec("lab", "test -d /home/user").exit_code, 0);
}

TEST_F(ContainerDaemonTest, LimitsAreStoredAppliedLiveAndChecked) {
  ASSERT_EQ(Berth({"limits", "lab", "--memory", "512M", "--pids", "200"}).exit_code, 0);
  ASSERT_EQ(Berth({"start", "lab"}).exit_code, 0);
  ASSERT_EQ(Berth({"limits", "lab", "--pids", "64", "--cpu", "0.5"}).exit_code, 0);
  nlohmann::json ps = BerthJson({"ps"});
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["limits"]["memory_bytes"], 512u << 20);
  EXPECT_EQ(ps[0]["limits"]["pids"], 64);
  EXPECT_EQ(ps[0]["limits"]["cpu_cores"], 0.5);
  // A fork bomb stays under the live pids limit of 64: the shell fails to fork past it.
  CommandResult bomb = Exec("lab", "i=0; while [ $i -lt 200 ]; do sleep 60 & i=$((i+1)); done");
  EXPECT_NE(bomb.exit_code, 0);
  const uint64_t pids = BerthJson({"ps"})[0]["pids"];
  EXPECT_LE(pids, 64u);
  EXPECT_GE(pids, 32u);

  for (auto bad : {std::vector<std::string>{"--cpu", "100000"}, {"--cpu", "-1"},
                   {"--memory", "100000T"}, {"--cpu", "lots"}}) {
    std::vector<std::string> args = {"limits", "lab"};
    args.insert(args.end(), bad.begin(), bad.end());
    CommandResult r = Berth(args);
    EXPECT_NE(r.exit_code, 0) << bad[0] << " " << bad[1];
    EXPECT_FALSE(r.err.empty());
  }
  EXPECT_EQ(BerthJson({"ps"})[0]["limits"]["pids"], 64);  // nothing changed by the bad ones
  EXPECT_EQ(Berth({"stop", "lab", "--timeout", "1"}).exit_code, 0);  // the bomb does not hold it
}

TEST_F(ContainerDaemonTest, MissingImageAndUnknownProjectAreClearErrors) {
  CommandResult unknown = Berth({"start", "nosuch"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("nosuch"), std::string::npos) << unknown.err;
  // A second image name that was never built.
  StopDaemon();
  StartDaemon(200, "container_image = \"debian-sage\"\n");
  CommandResult missing = Berth({"start", "lab"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("debian-sage"), std::string::npos) << missing.err;
  EXPECT_EQ(HomeMounts(), 0);
}

}  // namespace
}  // namespace berth::testing
