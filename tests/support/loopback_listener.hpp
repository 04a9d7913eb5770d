#pragma once
// A TCP listener on 127.0.0.1 at a port the kernel picks, for tests that play the server's
// side by hand (a server that never answers, one that records what a client sends).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <cstdint>

namespace s3cors::test {

struct loopback_listener {
  int fd = -1;  ///< the caller closes it
  std::uint16_t port = 0;
};

inline loopback_listener listen_on_loopback(int backlog) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, backlog) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  return {fd, ntohs(address.sin_port)};
}

}  // namespace s3cors::test
