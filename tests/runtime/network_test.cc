// Containers' optional network against real LXC containers and a real host bridge (root only).
// Traffic goes only between the host and the network namespaces these tests' containers have,
// on a subnet of the shared address space (100.64.0.0/10) that no uplink carries.
#include <gmock/gmock.h>

#include "runtime/network.h"
#include "tests/runtime/runtime_fixture.h"
#include "tests/testing/tcp.h"

namespace berth::runtime::testing {
namespace {

using ::berth::testing::Ipv4Endpoint;
using ::berth::testing::StatusIs;
using ::berth::testing::TcpExchange;
using ::testing::HasSubstr;

// Each test has a bridge and a /24 of its own (100.81.N.0/24 on berthtestN): ctest runs the
// tests of this file in parallel processes.
class NetworkTest : public RuntimeTest {
 protected:
  void TearDown() override {
    RuntimeTest::TearDown();  // containers first: their veths leave the bridge
    if (!bridge_.empty()) EXPECT_OK(DeleteBridge(bridge_));
  }

  void UseNetwork(int n) {
    bridge_ = "berthtest" + std::to_string(n);
    prefix_ = "100.81." + std::to_string(n) + ".";
    ASSERT_OK(DeleteBridge(bridge_));  // a crashed earlier run's
  }
  std::string Address(int host) const { return prefix_ + std::to_string(host); }

  ContainerSpec NetworkedSpec(const std::string& tag, int host) {
    ContainerSpec spec = Spec(tag, MakeProject(tag));
    spec.network = {bridge_, Address(host) + "/24", Address(1)};
    return spec;
  }

  std::string bridge_;
  std::string prefix_;
};

TEST_F(NetworkTest, HostAndContainerReachEachOtherOverTheBridge) {
  UseNetwork(1);
  ContainerSpec spec = NetworkedSpec("net", 2);
  ASSERT_OK(Start(spec));
  // The bridge was made with the gateway's address.
  EXPECT_TRUE(PathExists("/sys/class/net/" + bridge_ + "/bridge"));

  ExecResult r = Sh(spec.name, "ls /sys/class/net; ip -4 addr show eth0; ip route");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("eth0\nlo\n"));
  EXPECT_THAT(r.out, HasSubstr("inet " + Address(2) + "/24"));
  EXPECT_THAT(r.out, HasSubstr("default via " + Address(1) + " dev eth0"));

  // The project user serves its project's files; the host fetches one.
  r = Sh(spec.name, "echo served from the project > hello.txt && httpd -p 8080 -h /home/user");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string reply;
  ASSERT_TRUE(Eventually([&] {
    reply = TcpExchange(Address(2), 8080, "GET /hello.txt HTTP/1.0\r\n\r\n", bridge_);
    return !reply.empty();
  }));
  EXPECT_THAT(reply, HasSubstr("200 OK"));
  EXPECT_THAT(reply, HasSubstr("served from the project\n"));

  // And the container reaches the host at the gateway.
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in at = Ipv4Endpoint(Address(1), 0);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&at), sizeof(at)), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  socklen_t len = sizeof(at);
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&at), &len), 0);
  std::string received;
  std::thread server([&] {
    UniqueFd peer(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[256];
    for (ssize_t n; peer.valid() && (n = ::read(peer.get(), buf, sizeof(buf))) > 0;) {
      received.append(buf, n);
    }
  });
  r = Sh(spec.name, "echo hello host | nc " + Address(1) + " " + std::to_string(ntohs(at.sin_port)));
  server.join();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(received, "hello host\n");

  // Stopping removes the host end of the veth from the bridge: the kernel deletes the pair with
  // the container's network namespace, asynchronously (seconds when namespaces die in parallel).
  ASSERT_OK(runtime_->Stop(spec.name, std::chrono::seconds(2)));
  const std::string ports = "/sys/class/net/" + bridge_ + "/brif";
  EXPECT_TRUE(Eventually(
      [&] {
        std::error_code ec;
        return std::filesystem::is_empty(ports, ec);
      },
      std::chrono::seconds(60)));
}

TEST_F(NetworkTest, TwoContainersShareTheBridge) {
  UseNetwork(2);
  ContainerSpec a = NetworkedSpec("neta", 2);
  ContainerSpec b = NetworkedSpec("netb", 3);
  ASSERT_OK(Start(a));
  ASSERT_OK(Start(b));
  ASSERT_EQ(Sh(a.name, "echo from a > a.txt && httpd -p 8080 -h /home/user").code, 0);
  std::string fetched;
  ASSERT_TRUE(Eventually([&] {
    ExecResult r = Sh(b.name, "wget -q -O - http://" + Address(2) + ":8080/a.txt");
    fetched = r.out;
    return r.code == 0;
  }));
  EXPECT_EQ(fetched, "from a\n");
}

TEST_F(NetworkTest, ABridgeWithAnotherAddressIsRefused) {
  UseNetwork(3);
  ASSERT_OK(EnsureBridge(bridge_, *Ipv4Net::Parse("100.81.99.1/24")));
  ContainerSpec spec = NetworkedSpec("netbad", 2);
  EXPECT_THAT(Start(spec), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(runtime_->Stats(spec.name), StatusIs(StatusCode::kNotFound));
  // Ensuring the configured address again is a no-op.
  EXPECT_OK(EnsureBridge(bridge_, *Ipv4Net::Parse("100.81.99.1/24")));
  EXPECT_THAT(EnsureBridge("lo", *Ipv4Net::Parse("100.81.1.1/24")),
              StatusIs(StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace berth::runtime::testing
