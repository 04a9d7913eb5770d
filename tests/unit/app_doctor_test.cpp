#include "s3cors/app/healthcheck.hpp"

#include "loopback_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// The healthcheck's blocking client (healthcheck.hpp http_exchange, also used by the faults and
// edge commands): extra request headers out, the response's header fields back. (`s3cors doctor`
// has its own http/https client: net/http_client.hpp, tests/integration/doctor_client_test.cpp.)

TEST_CASE("app doctor: http_exchange sends extra headers and returns the response's", "[app_doctor]") {
  const auto listening = s3cors::test::listen_on_loopback(1);
  const int listener = listening.fd;
  const std::uint16_t port = listening.port;

  std::string received;
  std::thread server([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    char buffer[4096];
    while (received.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      received.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string answer =
        "HTTP/1.1 206 Partial Content\r\nAccess-Control-Allow-Origin:  http://a.example \r\n"
        "Content-Range: bytes 0-1/10\r\nContent-Length: 2\r\n\r\nok";
    (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(fd);
  });

  s3cors::app::probe_target target;
  target.host = "127.0.0.1";
  target.port = port;
  target.path = "/media/a.ts";
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Origin", "http://a.example"}, {"Range", "bytes=0-1"}, {"Host", "media.example.test"}};
  const auto reply = s3cors::app::http_exchange(target, "GET", {}, std::chrono::seconds(5), headers);
  server.join();
  ::close(listener);

  REQUIRE(reply.has_value());
  CHECK(reply->status == 206);
  CHECK(reply->body == "ok");
  CHECK(reply->headers == std::vector<std::pair<std::string, std::string>>{
                              {"Access-Control-Allow-Origin", "http://a.example"},
                              {"Content-Range", "bytes 0-1/10"},
                              {"Content-Length", "2"},
                          });
  CHECK(received.rfind("GET /media/a.ts HTTP/1.1\r\n", 0) == 0);
  CHECK(received.find("\r\nOrigin: http://a.example\r\n") != std::string::npos);
  CHECK(received.find("\r\nRange: bytes=0-1\r\n") != std::string::npos);
  // The caller's Host (a resolved name) replaces the address-derived one.
  CHECK(received.find("\r\nHost: media.example.test\r\n") != std::string::npos);
  CHECK(received.find("Host: 127.0.0.1") == std::string::npos);
}
