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

constexpr char kBridge[] = "berthtest0";
constexpr char kGateway[] = "100.81.0.1";

class NetworkTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_OK(DeleteBridge(kBridge));  // a crashed earlier run's
  }
  void TearDown() override {
    RuntimeTest::TearDown();  // containers first: their veths leave the bridge
    if (::geteuid() == 0) EXPECT_OK(DeleteBridge(kBridge));
  }

  ContainerSpec NetworkedSpec(const std::string& tag, const std::string& address) {
    ContainerSpec spec = Spec(tag, MakeProject(tag));
    spec.network = {kBridge, address, kGateway};
    return spec;
  }
};

TEST_F(NetworkTest, HostAndContainerReachEachOtherOverTheBridge) {
  ContainerSpec spec = NetworkedSpec("net", "100.81.0.2/24");
  ASSERT_OK(Start(spec));
  // The bridge was made with the gateway's address.
  EXPECT_TRUE(PathExists(std::string("/sys/class/net/") + kBridge + "/bridge"));

  ExecResult r = Sh(spec.name, "ls /sys/class/net; ip -4 addr show eth0; ip route");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("eth0\nlo\n"));
  EXPECT_THAT(r.out, HasSubstr("inet 100.81.0.2/24"));
  EXPECT_THAT(r.out, HasSubstr("default via 100.81.0.1 dev eth0"));

  // The project user serves its project's files; the host fetches one.
  r = Sh(spec.name, "echo served from the project > hello.txt && httpd -p 8080 -h /home/user");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string reply;
  ASSERT_TRUE(Eventually([&] {
    reply = TcpExchange("100.81.0.2", 8080, "GET /hello.txt HTTP/1.0\r\n\r\n");
    return !reply.empty();
  }));
  EXPECT_THAT(reply, HasSubstr("200 OK"));
  EXPECT_THAT(reply, HasSubstr("served from the project\n"));

  // And the container reaches the host at the gateway.
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in at = Ipv4Endpoint(kGateway, 0);
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
  r = Sh(spec.name, "echo hello host | nc " + std::string(kGateway) + " " +
                        std::to_string(ntohs(at.sin_port)));
  server.join();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(received, "hello host\n");

  // Stopping removes the host end of the veth from the bridge.
  ASSERT_OK(runtime_->Stop(spec.name, std::chrono::seconds(2)));
  const std::string ports = std::string("/sys/class/net/") + kBridge + "/brif";
  EXPECT_TRUE(Eventually([&] {
    std::error_code ec;
    return std::filesystem::is_empty(ports, ec);
  }));
}

TEST_F(NetworkTest, TwoContainersShareTheBridge) {
  ContainerSpec a = NetworkedSpec("neta", "100.81.0.2/24");
  ContainerSpec b = NetworkedSpec("netb", "100.81.0.3/24");
  ASSERT_OK(Start(a));
  ASSERT_OK(Start(b));
  ASSERT_EQ(Sh(a.name, "echo from a > a.txt && httpd -p 8080 -h /home/user").code, 0);
  std::string fetched;
  ASSERT_TRUE(Eventually([&] {
    ExecResult r = Sh(b.name, "wget -q -O - http://100.81.0.2:8080/a.txt");
    fetched = r.out;
    return r.code == 0;
  }));
  EXPECT_EQ(fetched, "from a\n");
}

TEST_F(NetworkTest, ABridgeWithAnotherAddressIsRefused) {
  ASSERT_OK(EnsureBridge(kBridge, *Ipv4Net::Parse("100.81.1.1/24")));
  ContainerSpec spec = NetworkedSpec("netbad", "100.81.0.2/24");
  EXPECT_THAT(Start(spec), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(runtime_->Stats(spec.name), StatusIs(StatusCode::kNotFound));
  // Ensuring the configured address again is a no-op.
  EXPECT_OK(EnsureBridge(kBridge, *Ipv4Net::Parse("100.81.1.1/24")));
  EXPECT_THAT(EnsureBridge("lo", *Ipv4Net::Parse("100.81.1.1/24")),
              StatusIs(StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace berth::runtime::testing
