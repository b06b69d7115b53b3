#include "runtime/network.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "base/file.h"

namespace berth::runtime {

namespace {

// The classic ioctl interface (bridge-utils' and ifconfig's) does all a bridge with one address
// needs; netlink would be the choice for routes or several addresses.
class IoctlSocket {
 public:
  IoctlSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~IoctlSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  IoctlSocket(const IoctlSocket&) = delete;
  IoctlSocket& operator=(const IoctlSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

ifreq RequestFor(const std::string& name) {
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());  // validated: < IFNAMSIZ
  return request;
}

sockaddr_in SocketAddress(uint32_t address) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(address);
  return in;
}

uint32_t AddressOf(const sockaddr& addr) {
  sockaddr_in in;
  std::memcpy(&in, &addr, sizeof(in));
  return ntohl(in.sin_addr.s_addr);
}

bool IsBridge(const std::string& name) { return PathExists("/sys/class/net/" + name + "/bridge"); }
bool InterfaceExists(const std::string& name) { return PathExists("/sys/class/net/" + name); }

Status SetAddress(int fd, const std::string& name, const Ipv4Net& gateway) {
  ifreq request = RequestFor(name);
  sockaddr_in address = SocketAddress(gateway.address);
  std::memcpy(&request.ifr_addr, &address, sizeof(address));
  if (::ioctl(fd, SIOCSIFADDR, &request) != 0) {
    return PosixError("set the address of bridge " + name, errno);
  }
  request = RequestFor(name);
  sockaddr_in mask = SocketAddress(gateway.mask());
  std::memcpy(&request.ifr_netmask, &mask, sizeof(mask));
  if (::ioctl(fd, SIOCSIFNETMASK, &request) != 0) {
    return PosixError("set the netmask of bridge " + name, errno);
  }
  return Status::Ok();
}

Status SetUp(int fd, const std::string& name, bool up) {
  ifreq request = RequestFor(name);
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) return PosixError("flags of " + name, errno);
  const short flags = up ? (request.ifr_flags | IFF_UP) : (request.ifr_flags & ~IFF_UP);
  if (flags == request.ifr_flags) return Status::Ok();
  request.ifr_flags = flags;
  if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
    return PosixError(std::string(up ? "bring up " : "bring down ") + name, errno);
  }
  return Status::Ok();
}

}  // namespace

Result<Ipv4Net> Ipv4Net::Parse(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("\"" + std::string(text) + "\" is not an IPv4 address/prefix");
  };
  Ipv4Net net;
  const size_t slash = text.find('/');
  std::string address(text.substr(0, slash));
  in_addr parsed{};
  if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1) return bad();
  net.address = ntohl(parsed.s_addr);
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), net.prefix);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty() || net.prefix < 0 ||
        net.prefix > 32) {
      return bad();
    }
  }
  return net;
}

std::string FormatIpv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

std::string Ipv4Net::ToString() const { return FormatIpv4(address) + "/" + std::to_string(prefix); }

Result<Ipv4Net> SubnetGateway(const Ipv4Net& subnet) {
  if (subnet.prefix < 8 || subnet.prefix > 30) {
    return InvalidArgumentError("container subnet " + subnet.ToString() +
                                ": the prefix must be between /8 and /30");
  }
  return Ipv4Net{subnet.network() + 1, subnet.prefix};
}

Result<Ipv4Net> AllocateAddress(const Ipv4Net& subnet, const std::set<uint32_t>& used) {
  ASSIGN_OR_RETURN(Ipv4Net gateway, SubnetGateway(subnet));
  for (uint32_t a = gateway.address + 1; a < subnet.broadcast(); ++a) {
    if (!used.count(a)) return Ipv4Net{a, subnet.prefix};
  }
  return ResourceExhaustedError("container subnet " + subnet.ToString() +
                                ": every address is taken");
}

Status ValidateInterfaceName(std::string_view name) {
  bool ok = !name.empty() && name.size() < IFNAMSIZ;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-');
  }
  if (ok) return Status::Ok();
  return InvalidArgumentError("interface name \"" + std::string(name) +
                              "\": 1-15 bytes of letters, digits, '_', '.', '-'");
}

Status EnsureBridge(const std::string& name, const Ipv4Net& gateway) {
  RETURN_IF_ERROR(ValidateInterfaceName(name));
  IoctlSocket sock;
  if (sock.fd() < 0) return PosixError("socket for bridge " + name, errno);
  if (InterfaceExists(name) && !IsBridge(name)) {
    return FailedPreconditionError("network interface " + name + " exists and is not a bridge");
  }
  if (!InterfaceExists(name) && ::ioctl(sock.fd(), SIOCBRADDBR, name.c_str()) != 0 &&
      errno != EEXIST) {
    return PosixError("create bridge " + name, errno);
  }
  ifreq request = RequestFor(name);
  if (::ioctl(sock.fd(), SIOCGIFADDR, &request) == 0) {
    const uint32_t current = AddressOf(request.ifr_addr);
    ifreq mask_request = RequestFor(name);
    uint32_t mask = 0;
    if (::ioctl(sock.fd(), SIOCGIFNETMASK, &mask_request) == 0) {
      mask = AddressOf(mask_request.ifr_netmask);
    }
    if (current != gateway.address || mask != gateway.mask()) {
      return FailedPreconditionError("bridge " + name + " has address " + FormatIpv4(current) +
                                     " (netmask " + FormatIpv4(mask) + "), not " +
                                     gateway.ToString() + " as configured");
    }
  } else if (errno == EADDRNOTAVAIL) {
    RETURN_IF_ERROR(SetAddress(sock.fd(), name, gateway));
  } else {
    return PosixError("address of bridge " + name, errno);
  }
  return SetUp(sock.fd(), name, true);
}

Status DeleteBridge(const std::string& name) {
  RETURN_IF_ERROR(ValidateInterfaceName(name));
  if (!InterfaceExists(name)) return Status::Ok();
  IoctlSocket sock;
  if (sock.fd() < 0) return PosixError("socket for bridge " + name, errno);
  RETURN_IF_ERROR(SetUp(sock.fd(), name, false));
  if (::ioctl(sock.fd(), SIOCBRDELBR, name.c_str()) != 0 && errno != ENXIO) {
    return PosixError("delete bridge " + name, errno);
  }
  return Status::Ok();
}

}  // namespace berth::runtime
