// The client `s3cors doctor` sends its requests with (net/http_client.hpp), over plain http
// against the real server: host names resolved, extra headers out, the response's header fields
// back, the body only when asked for, and its one-line errors. Its https path (SNI, certificate
// verification, --ca-file, --insecure) is tested end to end: tests/e2e/doctor_tls_test.sh.
#include "loopback_listener.hpp"
#include "server_fixture.hpp"

#include "s3cors/doctor/url.hpp"
#include "s3cors/net/http_client.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

using s3cors::test::server_fixture;
namespace doctor = s3cors::doctor;
namespace net = s3cors::net;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

doctor::http_url url_of(const std::string& text) {
  auto parsed = doctor::parse_http_url(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

std::string header(const net::client_response& r, std::string_view name) {
  const auto it =
      std::find_if(r.headers.begin(), r.headers.end(), [&](const auto& h) { return h.first == name; });
  return it == r.headers.end() ? std::string("(none)") : it->second;
}

}  // namespace

TEST_CASE("doctor client: a Range GET by host name, the head only or the body too",
          "[integration][doctor_client]") {
  server_fixture server;
  server.write("media/a.ts", "0123456789");
  server.set_file_cors("media",
                       R"({"CORSRules":[{"AllowedOrigins":["http://a.example"],"AllowedMethods":["GET"]}]})");
  net::http_client client({});
  const auto url = url_of(fmt::format("http://localhost:{}/media/a.ts", server.port()));
  const header_list headers{{"Origin", "http://a.example"}, {"Range", "bytes=2-3"}};

  const auto head_only = client.exchange(url, "GET", headers);
  REQUIRE(head_only.has_value());
  CHECK(head_only->status == 206);
  CHECK(head_only->status_line == "HTTP/1.1 206 Partial Content");
  CHECK(header(*head_only, "Content-Range") == "bytes 2-3/10");
  CHECK(header(*head_only, "Access-Control-Allow-Origin") == "http://a.example");
  CHECK(head_only->body.empty());

  const auto whole = client.exchange(url, "GET", headers, 1024);
  REQUIRE(whole.has_value());
  CHECK(whole->body == "23");

  const auto too_big =
      client.exchange(url_of(fmt::format("http://127.0.0.1:{}/media/a.ts", server.port())), "GET", {}, 4);
  REQUIRE_FALSE(too_big.has_value());
  CHECK_THAT(too_big.error(), Catch::Contains("larger than 4 bytes"));

  const auto head = client.exchange(url, "HEAD", {}, 1024);
  REQUIRE(head.has_value());
  CHECK(head->status == 200);
  CHECK(header(*head, "Content-Length") == "10");
  CHECK(head->body.empty());
}

TEST_CASE("doctor client: failures are one line each", "[integration][doctor_client]") {
  server_fixture server;
  SECTION("https to a plain http server: the TLS handshake fails") {
    net::http_client client({});
    const auto r =
        client.exchange(url_of(fmt::format("https://127.0.0.1:{}/media/a.ts", server.port())), "GET", {});
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error(),
               Catch::StartsWith(fmt::format("TLS handshake with 127.0.0.1:{} failed: ", server.port())));
  }
  SECTION("a server that accepts and never answers: timed out") {
    const auto listening = s3cors::test::listen_on_loopback(4);
    const int listener = listening.fd;
    const std::uint16_t port = listening.port;
    net::client_options options;
    options.timeout = std::chrono::milliseconds(300);
    net::http_client client(options);
    const auto r = client.exchange(url_of(fmt::format("http://127.0.0.1:{}/x", port)), "GET", {});
    ::close(listener);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == fmt::format("127.0.0.1:{}: timed out after 300 ms", port));
  }
  SECTION("a CA file that does not exist: the constructor throws naming it") {
    net::client_options options;
    options.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_WITH(net::http_client(options), Catch::StartsWith("--ca-file /nonexistent/ca.pem: "));
  }
}
