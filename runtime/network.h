#ifndef BERTH_RUNTIME_NETWORK_H_
#define BERTH_RUNTIME_NETWORK_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace berth::runtime {

// An IPv4 address with a prefix length, e.g. 100.80.0.7/16. Addresses are host-order integers.
struct Ipv4Net {
  uint32_t address = 0;
  int prefix = 32;

  // "a.b.c.d/n" (or "a.b.c.d", meaning /32). InvalidArgument naming the text otherwise.
  static Result<Ipv4Net> Parse(std::string_view text);
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t network() const { return address & mask(); }
  uint32_t broadcast() const { return network() | ~mask(); }
  bool Contains(uint32_t a) const { return (a & mask()) == network(); }
  // "a.b.c.d/n".
  std::string ToString() const;

  bool operator==(const Ipv4Net&) const = default;
};

// "a.b.c.d".
std::string FormatIpv4(uint32_t address);

// A subnet's gateway: its first host address (100.80.0.1/16 for 100.80.0.0/16), which the host
// bridge holds. Subnets are /8../30.
Result<Ipv4Net> SubnetGateway(const Ipv4Net& subnet);

// The lowest address of `subnet` that is not its network, gateway or broadcast address and not in
// `used`, with the subnet's prefix. ResourceExhausted when none is left.
Result<Ipv4Net> AllocateAddress(const Ipv4Net& subnet, const std::set<uint32_t>& used);

// A host network interface name: 1-15 bytes of [A-Za-z0-9_.-].
Status ValidateInterfaceName(std::string_view name);

// Makes sure the Linux bridge `name` exists, holds `gateway` (address and prefix) and is up.
// Idempotent; an existing bridge with another address is refused (FailedPrecondition), so two
// configurations never share one bridge silently. Needs CAP_NET_ADMIN.
//
// The bridge reaches nothing but its containers: berth adds no uplink, forwarding or NAT (an
// operator who wants containers on a network adds those; doc/runtime.md).
Status EnsureBridge(const std::string& name, const Ipv4Net& gateway);

// Brings the bridge down and deletes it. OK when it does not exist.
Status DeleteBridge(const std::string& name);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_NETWORK_H_
