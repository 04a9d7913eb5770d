// The inspector through the real server: the live stream (server-sent events), its timeouts
// and shutdown, a refused preflight's detail, and access (off, credentials).
#include "s3cors/net/inspector_handler.hpp"

#include "http_client.hpp"
#include "s3cors/config/config.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/edge/gateway.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/net/edge_handler.hpp"
#include "s3cors/net/service_handler.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>

using namespace s3cors;
using test::send_request;

namespace {

// The S3 service with the inspector in front, as main wires them.
class inspector_server {
 public:
  explicit inspector_server(net::server_options options = quiet(), bool enabled = true,
                            auth::credential_set keys = {}) {
    net::set_log_level(options.level);
    root_.make_dir("media");
    root_.write("media/a.txt", "hello");
    store_ = std::make_unique<store::fs_store>(store::fs_store_options{root_.path(), false});
    s3::service_options service_options;
    service_options.credentials = keys;
    service_ = std::make_unique<s3::service>(*store_, cors_, service_options);
    inspector::endpoint_options inspect;
    inspect.enabled = enabled;
    inspect.credentials = [this] { return service_->credentials(); };
    inspect.files = {{"index.html", "<!doctype html><title>s3cors inspector</title>"}};
    endpoints_ = std::make_unique<inspector::endpoints>(*capture_, cors_, std::move(inspect));
    options.inspector = capture_;
    server_ = std::make_unique<net::http_server>(
        options, net::with_inspector(net::service_handler(*service_), *endpoints_));
    port_ = server_->start();
  }
  static net::server_options quiet() {
    net::server_options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.level = net::log_level::warn;
    options.shutdown_grace = std::chrono::milliseconds(3000);
    return options;
  }
  void set_cors(std::string_view json) {
    auto parsed = cors::parse_any(json);
    REQUIRE(parsed.has_value());
    cors_.set_file_configs({{"media", std::make_shared<const cors::cors_configuration>(std::move(*parsed))}},
                           nullptr);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] inspector::capture& records() { return *capture_; }
  void stop() { server_->stop(); }

 private:
  test::temp_dir root_;
  cors::cors_registry cors_;
  std::shared_ptr<inspector::capture> capture_ = std::make_shared<inspector::capture>();
  std::unique_ptr<store::fs_store> store_;
  std::unique_ptr<s3::service> service_;
  std::unique_ptr<inspector::endpoints> endpoints_;
  std::unique_ptr<net::http_server> server_;
  std::uint16_t port_ = 0;
};

// A client of an event stream: reads what comes, a little at a time.
class sse_client {
 public:
  sse_client(std::uint16_t port, std::string_view target, std::string_view extra_headers = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval tick{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    const std::string request = "GET " + std::string(target) +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" +
                                std::string(extra_headers) + "\r\n";
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  ~sse_client() { ::close(fd_); }
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  /// Reads until text has arrived (true) or timeout passes or the server closes (false).
  bool wait_for(std::string_view text, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline || !read_some()) return false;
    }
    return true;
  }
  /// Reads until the server closes the connection (true) or timeout passes (false).
  bool wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!read_some()) return true;
    }
    return false;
  }
  std::string received;

 private:
  // False once the server closed the connection.
  bool read_some() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    if (n == 0) return false;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    return true;
  }
  int fd_ = -1;
};

// The id of the first event whose data contains text.
std::uint64_t event_id_with(const std::string& stream, std::string_view text) {
  const auto at = stream.find(text);
  REQUIRE(at != std::string::npos);
  const auto id = stream.rfind("id: ", at);
  REQUIRE(id != std::string::npos);
  return std::stoull(stream.substr(id + 4));
}

}  // namespace

TEST_CASE("inspector: an open stream receives the requests answered after it subscribed",
          "[integration][inspector]") {
  inspector_server server;
  CHECK_FALSE(server.records().is_active());
  sse_client page(server.port(), "/_s3cors/inspector/events");
  REQUIRE(page.wait_for(": s3cors inspector\n\n"));
  CHECK(page.received.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(page.received.find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(page.received.find("Content-Length") == std::string::npos);
  CHECK(server.records().is_active());
  CHECK(send_request(server.port(), "GET", "/media/a.txt", {{"Origin", "http://player.example"}}).status ==
        200);
  REQUIRE(page.wait_for("\"key\":\"a.txt\""));
  CHECK(page.received.find("event: request\n") != std::string::npos);
  CHECK(page.received.find("\"status\":200") != std::string::npos);
  CHECK(page.received.find("\"origin\":\"http://player.example\"") != std::string::npos);
  // The bucket has no CORS configuration: the decision is in the row.
  CHECK(page.received.find("no CORS configuration") != std::string::npos);
  // The inspector's own requests are not shown.
  CHECK(send_request(server.port(), "GET", "/_s3cors/inspector").status == 200);
  CHECK(send_request(server.port(), "GET", "/media/missing").status == 404);
  REQUIRE(page.wait_for("\"key\":\"missing\""));
  CHECK(page.received.find("\"target\":\"/_s3cors/inspector\"") == std::string::npos);
  SECTION("filters in the query") {
    sse_client refused_only(server.port(), "/_s3cors/inspector/events?refused=1&bucket=media");
    REQUIRE(refused_only.wait_for(": s3cors inspector\n\n"));
    // The backlog: the refused GET above, not the 404 without Origin.
    REQUIRE(refused_only.wait_for("\"key\":\"a.txt\""));
    CHECK(send_request(server.port(), "GET", "/media/a.txt?second").status == 200);
    CHECK(send_request(server.port(), "GET", "/media/a.txt?third", {{"Origin", "http://x.example"}}).status ==
          200);
    REQUIRE(refused_only.wait_for("?third"));
    CHECK(refused_only.received.find("?second") == std::string::npos);
    CHECK(refused_only.received.find("\"key\":\"missing\"") == std::string::npos);
  }
}

TEST_CASE("inspector: the idle timeout does not end a stream, the heartbeat keeps it written",
          "[integration][inspector]") {
  auto options = inspector_server::quiet();
  options.idle_timeout = std::chrono::milliseconds(200);
  options.stream_heartbeat = std::chrono::milliseconds(300);
  inspector_server server(options);
  sse_client page(server.port(), "/_s3cors/inspector/events");
  REQUIRE(page.wait_for(": s3cors inspector\n\n"));
  CHECK_FALSE(page.wait_closed(std::chrono::milliseconds(1000)));
  CHECK(page.received.find(": keep-alive\n\n") != std::string::npos);
  CHECK(send_request(server.port(), "GET", "/media/a.txt").status == 200);
  CHECK(page.wait_for("\"key\":\"a.txt\""));
}

TEST_CASE("inspector: stopping the server ends its streams at once", "[integration][inspector]") {
  inspector_server server;
  sse_client page(server.port(), "/_s3cors/inspector/events");
  REQUIRE(page.wait_for(": s3cors inspector\n\n"));
  const auto before = std::chrono::steady_clock::now();
  server.stop();
  // Well within the shutdown grace (3 s): a stream is not a request to wait for.
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::milliseconds(2000));
  CHECK(page.wait_closed(std::chrono::milliseconds(2000)));
  CHECK_FALSE(server.records().is_active());
}

TEST_CASE("inspector: a client that leaves ends its subscription", "[integration][inspector]") {
  inspector_server server;
  {
    sse_client page(server.port(), "/_s3cors/inspector/events");
    REQUIRE(page.wait_for(": s3cors inspector\n\n"));
    CHECK(server.records().is_active());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.records().is_active() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK_FALSE(server.records().is_active());
}

TEST_CASE("inspector: the detail of a refused preflight has the explanation and the suggested rule",
          "[integration][inspector]") {
  inspector_server server;
  server.set_cors(R"([{"ID":"player","AllowedOrigins":["http://player.example"],"AllowedMethods":["GET"],
                       "AllowedHeaders":["range"]}])");
  sse_client page(server.port(), "/_s3cors/inspector/events");
  REQUIRE(page.wait_for(": s3cors inspector\n\n"));
  const auto refused = send_request(server.port(), "OPTIONS", "/media/a.txt",
                                    {{"Origin", "http://player.example"},
                                     {"Access-Control-Request-Method", "GET"},
                                     {"Access-Control-Request-Headers", "x-session-id"}});
  CHECK(refused.status == 403);
  REQUIRE(page.wait_for("\"method\":\"OPTIONS\""));
  const auto id = event_id_with(page.received, "\"method\":\"OPTIONS\"");
  const auto detail = send_request(server.port(), "GET", "/_s3cors/inspector/requests/" + std::to_string(id),
                                   {{"Origin", "http://elsewhere.example"}});
  REQUIRE(detail.status == 200);
  CHECK(detail.header("Content-Type") == "application/json");
  CHECK_FALSE(detail.header("Access-Control-Allow-Origin"));  // not readable cross-origin
  CHECK(detail.header("Cross-Origin-Resource-Policy") == "same-origin");
  const auto j = nlohmann::json::parse(detail.body);
  CHECK(j["refused"] == true);
  CHECK(j["preflight"] == true);
  CHECK(j["status"] == 403);
  const std::string explanation = j["explanation"];
  CHECK(explanation.find("rule 0") != std::string::npos);
  CHECK(explanation.find("x-session-id") != std::string::npos);
  REQUIRE(j["suggestion"].is_object());
  const std::string summary = j["suggestion"]["summary"];
  CHECK(summary.find("x-session-id") != std::string::npos);
  CHECK(summary.find("rule 0") != std::string::npos);
  const auto suggested = nlohmann::json::parse(std::string(j["suggestion"]["configuration_json"]));
  CHECK(suggested["CORSRules"][0]["AllowedHeaders"].size() == 2);
  // Applied, the same preflight is allowed.
  server.set_cors(std::string(j["suggestion"]["configuration_json"]));
  CHECK(send_request(server.port(), "OPTIONS", "/media/a.txt",
                     {{"Origin", "http://player.example"},
                      {"Access-Control-Request-Method", "GET"},
                      {"Access-Control-Request-Headers", "x-session-id"}})
            .status == 200);
  SECTION("the HAR export holds it") {
    const auto har = send_request(server.port(), "GET", "/_s3cors/inspector/har?refused=1");
    REQUIRE(har.status == 200);
    const auto log = nlohmann::json::parse(har.body);
    REQUIRE(log["log"]["entries"].size() == 1);
    CHECK(log["log"]["entries"][0]["request"]["method"] == "OPTIONS");
    CHECK(log["log"]["entries"][0]["response"]["status"] == 403);
  }
  CHECK(send_request(server.port(), "GET", "/_s3cors/inspector/requests/999999").status == 404);
}

TEST_CASE("inspector: off on a non-loopback listener unless enabled", "[integration][inspector]") {
  auto options = inspector_server::quiet();
  options.host = "0.0.0.0";
  SECTION("default") {
    inspector_server server(options, config::is_loopback_host(options.host));
    const auto page = send_request(server.port(), "GET", "/_s3cors/inspector");
    CHECK(page.status == 404);
    CHECK(page.body.find("InspectorDisabled") != std::string::npos);
    CHECK(send_request(server.port(), "GET", "/_s3cors/inspector/events").status == 404);
  }
  SECTION("enabled") {
    inspector_server server(options, true);
    CHECK(send_request(server.port(), "GET", "/_s3cors/inspector").status == 200);
  }
}

TEST_CASE("inspector: with credentials configured it asks for them (HTTP Basic)",
          "[integration][inspector]") {
  inspector_server server(inspector_server::quiet(), true,
                          auth::credential_set({auth::credential("AKIDINSPECT", "inspect/secret")}));
  const auto anonymous = send_request(server.port(), "GET", "/_s3cors/inspector");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("WWW-Authenticate").value_or("").starts_with("Basic realm="));
  const std::string good = "Basic " + hash::base64_encode("AKIDINSPECT:inspect/secret");
  const std::string bad = "Basic " + hash::base64_encode("AKIDINSPECT:wrong");
  CHECK(send_request(server.port(), "GET", "/_s3cors/inspector", {{"Authorization", bad}}).status == 401);
  CHECK(send_request(server.port(), "GET", "/_s3cors/inspector", {{"Authorization", good}}).status == 200);
  CHECK(send_request(server.port(), "GET", "/_s3cors/inspector/har", {{"Authorization", bad}}).status == 401);
  sse_client refused(server.port(), "/_s3cors/inspector/events");
  CHECK(refused.wait_for("HTTP/1.1 401"));
  CHECK_FALSE(server.records().is_active());
  sse_client page(server.port(), "/_s3cors/inspector/events", "Authorization: " + good + "\r\n");
  CHECK(page.wait_for(": s3cors inspector\n\n"));
  CHECK(server.records().is_active());
}

namespace {

// The S3 service with the inspector on its listener, and distribution "cdn" (CachingOptimized, no
// origin request policy: Origin is not forwarded) on its own listener, as main wires them.
class edge_inspector_server {
 public:
  edge_inspector_server() {
    net::set_log_level(net::log_level::warn);
    root_.make_dir("media");
    root_.write("media/video.mp4", "video");
    auto rules = cors::parse_any(
        R"([{"AllowedOrigins":["http://player.example"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}])");
    REQUIRE(rules.has_value());
    cors_.set_file_configs({{"media", std::make_shared<const cors::cors_configuration>(std::move(*rules))}},
                           nullptr);
    store_ = std::make_unique<store::fs_store>(store::fs_store_options{root_.path(), false});
    service_ = std::make_unique<s3::service>(*store_, cors_, s3::service_options{});
    origin_ = std::make_unique<edge::service_origin>(*service_);
    auto parsed = edge::parse_distribution(
        R"({"id": "E1INSPECT", "origin": "media", "default_behavior": {"cache_policy": "CachingOptimized"}})");
    REQUIRE(parsed.has_value());
    edge::gateway_options gateway_options;
    gateway_options.name = "cdn";
    gateway_ = std::make_unique<edge::gateway>(std::move(*parsed), *origin_, std::move(gateway_options));
    inspector::endpoint_options inspect;
    inspect.distribution = [this](std::string_view listener) -> const edge::distribution_config* {
      return listener == "cdn" ? &gateway_->config() : nullptr;
    };
    endpoints_ = std::make_unique<inspector::endpoints>(*capture_, cors_, std::move(inspect));
    auto options = inspector_server::quiet();
    options.inspector = capture_;
    server_ = std::make_unique<net::http_server>(
        options, net::with_inspector(net::service_handler(*service_), *endpoints_));
    port_ = server_->start();
    options.listener_name = "cdn";
    edge_server_ = std::make_unique<net::http_server>(options, net::edge_handler(*gateway_));
    edge_port_ = edge_server_->start();
  }
  ~edge_inspector_server() {
    edge_server_->stop();
    server_->stop();
  }
  edge_inspector_server(const edge_inspector_server&) = delete;
  edge_inspector_server& operator=(const edge_inspector_server&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint16_t edge_port() const { return edge_port_; }

 private:
  test::temp_dir root_;
  cors::cors_registry cors_;
  std::shared_ptr<inspector::capture> capture_ = std::make_shared<inspector::capture>();
  std::unique_ptr<store::fs_store> store_;
  std::unique_ptr<s3::service> service_;
  std::unique_ptr<edge::service_origin> origin_;
  std::unique_ptr<edge::gateway> gateway_;
  std::unique_ptr<inspector::endpoints> endpoints_;
  std::unique_ptr<net::http_server> server_;
  std::unique_ptr<net::http_server> edge_server_;
  std::uint16_t port_ = 0;
  std::uint16_t edge_port_ = 0;
};

}  // namespace

TEST_CASE(
    "inspector: a refusal through a distribution is explained at both layers, the fix at the distribution",
    "[integration][inspector][edge]") {
  edge_inspector_server server;
  sse_client page(server.port(), "/_s3cors/inspector/events");
  REQUIRE(page.wait_for(": s3cors inspector\n\n"));
  // The bucket's rules allow the player, but the distribution does not forward Origin.
  const auto refused =
      send_request(server.edge_port(), "GET", "/video.mp4", {{"Origin", "http://player.example"}});
  CHECK(refused.status == 200);
  CHECK(refused.header("X-Cache") == "Miss from cloudfront");
  CHECK_FALSE(refused.header("Access-Control-Allow-Origin"));
  REQUIRE(page.wait_for("\"target\":\"/video.mp4\""));
  CHECK(page.received.find("\"listener\":\"cdn\"") != std::string::npos);
  CHECK(page.received.find("\"distribution\":\"E1INSPECT\"") != std::string::npos);
  CHECK(page.received.find("\"bucket\":\"media\"") != std::string::npos);
  CHECK(page.received.find("\"edge_cache\":\"Miss from cloudfront\"") != std::string::npos);
  const auto id = event_id_with(page.received, "\"target\":\"/video.mp4\"");
  const auto detail = send_request(server.port(), "GET", "/_s3cors/inspector/requests/" + std::to_string(id));
  REQUIRE(detail.status == 200);
  const auto j = nlohmann::json::parse(detail.body);
  CHECK(j["refused"] == true);
  CHECK(j["distribution"] == "E1INSPECT");
  CHECK(j["key"] == "video.mp4");
  const std::string explanation = j["explanation"];
  INFO(explanation);
  const auto edge_at = explanation.find("1. The distribution cdn (E1INSPECT) in front of bucket media");
  const auto bucket_at = explanation.find("2. The bucket media");
  CHECK(edge_at == 0);
  CHECK(bucket_at != std::string::npos);
  CHECK(explanation.find("DefaultCacheBehavior (*)") < bucket_at);
  CHECK(explanation.find("X-Cache: Miss from cloudfront") < bucket_at);
  CHECK(explanation.find("Origin is not forwarded to the bucket", bucket_at) != std::string::npos);
  CHECK(explanation.find("BLOCKED") != std::string::npos);
  REQUIRE(j["suggestion"].is_object());
  CHECK(j["suggestion"]["layer"] == "distribution");
  const std::string summary = j["suggestion"]["summary"];
  CHECK(summary.find("forward the Origin header") != std::string::npos);
  const auto fragment = nlohmann::json::parse(std::string(j["suggestion"]["configuration_json"]));
  CHECK(fragment["distributions"]["cdn"]["default_behavior"]["origin_request_policy"] == "CORS-S3Origin");
  SECTION("the HAR export carries the distribution's fields") {
    const auto har = send_request(server.port(), "GET", "/_s3cors/inspector/har?ids=" + std::to_string(id));
    REQUIRE(har.status == 200);
    const auto log = nlohmann::json::parse(har.body);
    REQUIRE(log["log"]["entries"].size() == 1);
    CHECK(log["log"]["entries"][0]["_s3cors"]["distribution"] == "E1INSPECT");
  }
}
