#ifndef BERTH_TESTS_TESTING_TCP_H_
#define BERTH_TESTS_TESTING_TCP_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "base/file.h"

namespace berth::testing {

// An IPv4 endpoint ("a.b.c.d", port).
inline sockaddr_in Ipv4Endpoint(const std::string& address, uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  ::inet_pton(AF_INET, address.c_str(), &in.sin_addr);
  return in;
}

// Sends `request` to address:port over TCP through the network interface `device` only, and
// returns everything the peer sent back before closing; empty when it could not connect. Tests
// point it only at network namespaces they made themselves, behind a bridge they made: bound to
// that bridge, a connection can never leave the host, even while the bridge or its route is
// missing (then it fails instead of following the default route).
inline std::string TcpExchange(const std::string& address, uint16_t port,
                               const std::string& request, const std::string& device) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (device.empty() || ::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                                     static_cast<socklen_t>(device.size())) != 0) {
    return "";
  }
  const sockaddr_in to = Ipv4Endpoint(address, port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0) return "";
  if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "";
  }
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof(buf))) > 0;) reply.append(buf, n);
  return reply;
}

}  // namespace berth::testing

#endif  // BERTH_TESTS_TESTING_TCP_H_
