// The address arithmetic behind containers' networks (runtime/network.h); the bridge itself is
// exercised with real containers in network_test.cc.
#include <gtest/gtest.h>

#include "runtime/network.h"
#include "tests/testing/status_matchers.h"

namespace berth::runtime {
namespace {

using ::berth::testing::StatusIs;

uint32_t Addr(const char* text) { return Ipv4Net::Parse(text).value_or(Ipv4Net{}).address; }

TEST(NetworkTest, ParsesAndFormatsAddresses) {
  ASSERT_OK_AND_ASSIGN(Ipv4Net net, Ipv4Net::Parse("100.80.3.7/16"));
  EXPECT_EQ(net.address, (100u << 24) | (80u << 16) | (3u << 8) | 7u);
  EXPECT_EQ(net.prefix, 16);
  EXPECT_EQ(net.ToString(), "100.80.3.7/16");
  EXPECT_EQ(FormatIpv4(net.network()), "100.80.0.0");
  EXPECT_EQ(FormatIpv4(net.broadcast()), "100.80.255.255");
  EXPECT_TRUE(net.Contains(Addr("100.80.200.1")));
  EXPECT_FALSE(net.Contains(Addr("100.81.0.1")));
  ASSERT_OK_AND_ASSIGN(Ipv4Net host, Ipv4Net::Parse("1.2.3.4"));
  EXPECT_EQ(host.prefix, 32);
  for (const char* bad : {"", "1.2.3", "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/8x",
                          "256.0.0.1/8", "a.b.c.d/8", "1.2.3.4 /8"}) {
    EXPECT_THAT(Ipv4Net::Parse(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(NetworkTest, GatewayIsTheFirstHost) {
  ASSERT_OK_AND_ASSIGN(Ipv4Net gateway, SubnetGateway(*Ipv4Net::Parse("100.80.0.0/16")));
  EXPECT_EQ(gateway.ToString(), "100.80.0.1/16");
  // Any address of the subnet names it.
  ASSERT_OK_AND_ASSIGN(gateway, SubnetGateway(*Ipv4Net::Parse("100.80.9.9/16")));
  EXPECT_EQ(gateway.ToString(), "100.80.0.1/16");
  EXPECT_THAT(SubnetGateway(*Ipv4Net::Parse("100.80.0.0/31")),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SubnetGateway(*Ipv4Net::Parse("100.0.0.0/7")),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(NetworkTest, AllocatesTheLowestFreeHostAddress) {
  const Ipv4Net subnet = *Ipv4Net::Parse("100.80.0.0/29");  // hosts .1 (gateway) to .6
  std::set<uint32_t> used;
  ASSERT_OK_AND_ASSIGN(Ipv4Net a, AllocateAddress(subnet, used));
  EXPECT_EQ(a.ToString(), "100.80.0.2/29");
  used = {Addr("100.80.0.2"), Addr("100.80.0.4")};
  ASSERT_OK_AND_ASSIGN(a, AllocateAddress(subnet, used));
  EXPECT_EQ(a.ToString(), "100.80.0.3/29");
  used = {Addr("100.80.0.2"), Addr("100.80.0.3"), Addr("100.80.0.4"), Addr("100.80.0.5")};
  ASSERT_OK_AND_ASSIGN(a, AllocateAddress(subnet, used));
  EXPECT_EQ(a.ToString(), "100.80.0.6/29");
  // The broadcast address is never handed out.
  used.insert(Addr("100.80.0.6"));
  EXPECT_THAT(AllocateAddress(subnet, used), StatusIs(StatusCode::kResourceExhausted));
}

TEST(NetworkTest, InterfaceNames) {
  EXPECT_OK(ValidateInterfaceName("berth0"));
  EXPECT_OK(ValidateInterfaceName("br-1.a_b"));
  EXPECT_OK(ValidateInterfaceName(std::string(15, 'x')));
  EXPECT_THAT(ValidateInterfaceName(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateInterfaceName(std::string(16, 'x')), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateInterfaceName("a/b"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateInterfaceName("a b"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::runtime
