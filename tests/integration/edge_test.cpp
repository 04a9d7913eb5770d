// Edge mode end to end (docs/edge.md §9): a distribution's own listener in front of a bucket of
// the in-process S3 service, with an injected clock, through the real transport.
#include "http_client.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/edge/gateway.hpp"
#include "s3cors/net/edge_handler.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/net/service_handler.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"
#include "server_fixture.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using s3cors::test::header_fields;
using s3cors::test::http_response;
using s3cors::test::send_request;
namespace edge = s3cors::edge;

constexpr const char* player_rules = R"([
  {"AllowedOrigins": ["https://player.example"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"]}
])";

// The service origin, recording what reaches it: the headers the policies forwarded.
class recording_origin final : public edge::origin {
 public:
  explicit recording_origin(const s3cors::s3::service& service) : inner_(service) {}
  [[nodiscard]] s3cors::started_request fetch(const edge::origin_fetch& fetch,
                                              const s3cors::s3::request_context& ctx) const override {
    {
      const std::lock_guard lock(mutex_);
      seen_.push_back(fetch.request);
    }
    return inner_.fetch(fetch, ctx);
  }
  [[nodiscard]] std::vector<edge::origin_request> seen() const {
    const std::lock_guard lock(mutex_);
    return seen_;
  }
  [[nodiscard]] std::size_t count() const { return seen().size(); }

 private:
  edge::service_origin inner_;
  mutable std::mutex mutex_;
  mutable std::vector<edge::origin_request> seen_;
};

std::optional<std::string> field(const std::vector<edge::header_field>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (s3cors::iequals(n, name)) return v;
  }
  return std::nullopt;
}

// A bucket "media" with CORS rules, the S3 service, and one distribution on its own listener.
class edge_fixture {
 public:
  explicit edge_fixture(std::string_view distribution_json, std::uint64_t max_cached_object_bytes = 64 << 20,
                        std::size_t cache_bytes = 1 << 20,
                        s3cors::s3::service_options service_options = s3cors::s3::service_options{}) {
    s3cors::net::set_log_level(s3cors::net::log_level::warn);
    root_.make_dir("media");
    auto rules = s3cors::cors::parse_any(player_rules);
    REQUIRE(rules.has_value());
    std::map<std::string, s3cors::cors::config_ptr, std::less<>> configs{
        {"media", std::make_shared<const s3cors::cors::cors_configuration>(std::move(*rules))}};
    cors_.set_file_configs(std::move(configs), nullptr);
    store_ = std::make_unique<s3cors::store::fs_store>(s3cors::store::fs_store_options{root_.path(), false});
    service_options.cors_debug_header = true;
    service_ = std::make_unique<s3cors::s3::service>(*store_, cors_, service_options);
    origin_ = std::make_unique<recording_origin>(*service_);
    auto parsed = edge::parse_distribution(distribution_json);
    if (!parsed) FAIL(parsed.error().pointer << ": " << parsed.error().message);
    edge::gateway_options options;
    options.name = "cdn";
    options.cache_bytes = cache_bytes;
    options.max_cached_object_bytes = max_cached_object_bytes;
    options.clock = [this] { return start_ + std::chrono::seconds(elapsed_.load()); };
    options.warn = [this](const std::string& line) {
      const std::lock_guard lock(warnings_mutex_);
      warnings_.push_back(line);
    };
    gateway_ = std::make_unique<edge::gateway>(std::move(*parsed), *origin_, std::move(options));
    auto server_options = s3cors::test::server_fixture::quiet_options();
    edge_server_ =
        std::make_unique<s3cors::net::http_server>(server_options, s3cors::net::edge_handler(*gateway_));
    port_ = edge_server_->start();
    main_server_ = std::make_unique<s3cors::net::http_server>(
        server_options,
        s3cors::net::with_edge_control(s3cors::net::service_handler(*service_), {gateway_.get()}));
    main_port_ = main_server_->start();
  }
  ~edge_fixture() {
    edge_server_->stop();
    main_server_->stop();
  }

  void write(const std::filesystem::path& relative, std::string_view content) const {
    root_.write(relative, content);
  }
  http_response get(std::string_view target, const header_fields& headers = {},
                    std::string_view method = "GET") {
    return send_request(port_, method, target, headers);
  }
  void advance(std::int64_t seconds) { elapsed_ += seconds; }
  [[nodiscard]] const recording_origin& origin() const { return *origin_; }
  [[nodiscard]] s3cors::s3::service& service() { return *service_; }
  [[nodiscard]] edge::gateway& gateway() { return *gateway_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::vector<std::string> warnings() const {
    const std::lock_guard lock(warnings_mutex_);
    return warnings_;
  }
  [[nodiscard]] std::uint16_t main_port() const { return main_port_; }
  [[nodiscard]] nlohmann::json stats() const {
    const auto res = send_request(port_, "GET", "/_s3cors/distributions/cdn/stats");
    REQUIRE(res.status == 200);
    return nlohmann::json::parse(res.body);
  }

 private:
  s3cors::test::temp_dir root_;
  s3cors::cors::cors_registry cors_;
  std::unique_ptr<s3cors::store::fs_store> store_;
  std::unique_ptr<s3cors::s3::service> service_;
  std::unique_ptr<recording_origin> origin_;
  std::unique_ptr<edge::gateway> gateway_;
  std::unique_ptr<s3cors::net::http_server> edge_server_;
  std::unique_ptr<s3cors::net::http_server> main_server_;
  std::uint16_t port_ = 0;
  std::uint16_t main_port_ = 0;
  const std::chrono::sys_seconds start_ =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::atomic<std::int64_t> elapsed_{0};
  mutable std::mutex warnings_mutex_;
  std::vector<std::string> warnings_;
};

std::string distribution(std::string_view default_behavior) {
  return R"({"id": "E1TEST", "origin": "media", "default_behavior": )" + std::string(default_behavior) + "}";
}

const std::string caching_optimized_cors_s3 =
    distribution(R"({"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"})");

const header_fields browser{{"Origin", "https://player.example"}};

}  // namespace

TEST_CASE("edge: a large cached body is sent whole from memory, on keep-alive connections too",
          "[integration][edge]") {
  // 2 MiB plus a bit: far above the size the transport copies into its buffer.
  edge_fixture f(caching_optimized_cors_s3, 64 << 20, 8 << 20);
  std::string segment(2 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < segment.size(); ++i) segment[i] = static_cast<char>((i * 131) % 251);
  f.write("media/hls/big.ts", segment);
  REQUIRE(f.get("/hls/big.ts").body == segment);  // the miss fills the cache
  for (int i = 0; i < 3; ++i) {
    const auto hit = f.get("/hls/big.ts");
    CHECK(hit.header("X-Cache") == "Hit from cloudfront");
    CHECK(hit.body.size() == segment.size());
    CHECK(hit.body == segment);
  }
  const auto tail = f.get("/hls/big.ts", {{"Range", "bytes=1048576-"}});
  CHECK(tail.status == 206);
  CHECK(tail.body == segment.substr(1048576));
  CHECK(f.origin().count() == 1);
}

TEST_CASE("edge: a miss then a hit, with CloudFront's headers; the hit does no origin work",
          "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3);
  f.write("media/hls/seg1.ts", "0123456789");
  const auto miss = f.get("/hls/seg1.ts");
  CHECK(miss.status == 200);
  CHECK(miss.body == "0123456789");
  CHECK(miss.header("X-Cache") == "Miss from cloudfront");
  CHECK(miss.header("Via") == "1.1 e1test.cloudfront.net (CloudFront)");
  CHECK(miss.header("X-Amz-Cf-Pop").has_value());
  CHECK(miss.header("X-Amz-Cf-Id").value_or("").size() == 56);
  CHECK_FALSE(miss.header("Age").has_value());
  CHECK(f.origin().count() == 1);

  f.advance(7);
  const auto hit = f.get("/hls/seg1.ts");
  CHECK(hit.status == 200);
  CHECK(hit.body == "0123456789");
  CHECK(hit.header("X-Cache") == "Hit from cloudfront");
  CHECK(hit.header("Age") == "7");
  CHECK(hit.header("ETag") == miss.header("ETag"));
  CHECK(f.origin().count() == 1);  // no origin request

  const auto head = f.get("/hls/seg1.ts", {}, "HEAD");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "10");
  CHECK(head.header("X-Cache") == "Hit from cloudfront");  // HEAD is answered from GET's entry

  const auto stats = f.stats();
  CHECK(stats["hits"] == 2);
  CHECK(stats["misses"] == 1);
  CHECK(stats["entries"] == 1);
  CHECK(stats["distribution"] == "cdn");
}

TEST_CASE("edge story: CachingOptimized serves the entry cached without Origin to a browser, without ACAO",
          "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3);
  f.write("media/video.mp4", "frames");
  // curl (or a server-side fetch) first: no Origin, so the bucket adds no CORS headers.
  const auto first = f.get("/video.mp4");
  CHECK(first.header("X-Cache") == "Miss from cloudfront");
  CHECK_FALSE(first.header("Access-Control-Allow-Origin").has_value());
  // The browser's request has the same key (CachingOptimized keys on no header): the cached
  // answer, without Access-Control-Allow-Origin. The browser blocks it.
  const auto second = f.get("/video.mp4", browser);
  CHECK(second.status == 200);
  CHECK(second.header("X-Cache") == "Hit from cloudfront");
  CHECK_FALSE(second.header("Access-Control-Allow-Origin").has_value());
  CHECK(f.origin().count() == 1);

  SECTION("an invalidation on the main listener empties the entry; then the browser comes first") {
    const auto res = send_request(f.main_port(), "POST", "/_s3cors/distributions/cdn/invalidation", {},
                                  R"({"paths": ["/video.mp4"]})");
    CHECK(res.status == 201);
    CHECK(nlohmann::json::parse(res.body)["removed"] == 1);
    const auto fresh = f.get("/video.mp4", browser);
    CHECK(fresh.header("X-Cache") == "Miss from cloudfront");
    CHECK(fresh.header("Access-Control-Allow-Origin") == "https://player.example");
  }
}

TEST_CASE("edge story: a cache policy keyed on Origin keeps the browser's answer apart, with its ACAO",
          "[integration][edge]") {
  edge_fixture f(
      distribution(R"({"origin_request_policy": "CORS-S3Origin", "cache_policy": {"Name": "by-origin",
      "MinTTL": 1, "DefaultTTL": 86400, "MaxTTL": 31536000, "ParametersInCacheKeyAndForwardedToOrigin": {
      "EnableAcceptEncodingGzip": false, "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Origin"]},
      "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}}})"));
  f.write("media/video.mp4", "frames");
  CHECK(f.get("/video.mp4").header("X-Cache") == "Miss from cloudfront");
  const auto browser_miss = f.get("/video.mp4", browser);
  CHECK(browser_miss.header("X-Cache") == "Miss from cloudfront");
  CHECK(browser_miss.header("Access-Control-Allow-Origin") == "https://player.example");
  const auto browser_hit = f.get("/video.mp4", browser);
  CHECK(browser_hit.header("X-Cache") == "Hit from cloudfront");
  CHECK(browser_hit.header("Access-Control-Allow-Origin") == "https://player.example");
  CHECK(f.stats()["entries"] == 2);
}

TEST_CASE("edge story: SimpleCORS adds Access-Control-Allow-Origin at the edge, also on hits",
          "[integration][edge]") {
  edge_fixture f(
      distribution(R"({"cache_policy": "CachingOptimized", "response_headers_policy": "SimpleCORS"})"));
  f.write("media/video.mp4", "frames");
  CHECK_FALSE(f.get("/video.mp4").header("Access-Control-Allow-Origin").has_value());  // not a CORS request
  const auto hit = f.get("/video.mp4", browser);
  CHECK(hit.header("X-Cache") == "Hit from cloudfront");
  CHECK(hit.header("Access-Control-Allow-Origin") == "*");
}

TEST_CASE("edge: only forwarded headers reach the bucket; the bucket's CORS sees no Origin unless forwarded",
          "[integration][edge]") {
  SECTION("CachingOptimized without an origin request policy forwards nothing") {
    edge_fixture f(distribution(R"({"cache_policy": "CachingOptimized"})"));
    f.write("media/a.txt", "text");
    const auto res =
        f.get("/a.txt?response-content-type=text/evil", {{"Origin", "https://player.example"},
                                                         {"Cookie", "session=1"},
                                                         {"X-Custom", "1"},
                                                         {"Authorization", "AWS4-HMAC-SHA256 Credential=x"},
                                                         {"Range", "bytes=0-1"}});
    CHECK(res.status == 206);  // answered from the whole object the edge fetched
    CHECK(res.body == "te");
    CHECK_FALSE(res.header("Access-Control-Allow-Origin").has_value());
    CHECK(res.header("Content-Type") == "text/plain");  // the query string was not forwarded
    // The bucket's CORS evaluation (its debug header) never ran: it saw no Origin.
    CHECK_FALSE(res.header("x-s3cors-cors").has_value());
    const auto seen = f.origin().seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "GET");
    CHECK(seen[0].query.empty());
    for (const char* name : {"Origin", "Cookie", "X-Custom", "Authorization", "Range", "Host"}) {
      CAPTURE(name);
      CHECK_FALSE(field(seen[0].headers, name).has_value());
    }
  }
  SECTION("CORS-S3Origin forwards Origin: the bucket answers the browser with its ACAO") {
    edge_fixture f(
        distribution(R"({"cache_policy": "CachingDisabled", "origin_request_policy": "CORS-S3Origin"})"));
    f.write("media/a.txt", "text");
    const auto res = f.get("/a.txt", {{"Origin", "https://player.example"}, {"Cookie", "session=1"}});
    CHECK(res.header("Access-Control-Allow-Origin") == "https://player.example");
    CHECK(res.header("x-s3cors-cors").has_value());  // the bucket evaluated its CORS rules
    CHECK(res.header("X-Cache") == "Miss from cloudfront");
    const auto seen = f.origin().seen();
    REQUIRE(seen.size() == 1);
    CHECK(field(seen[0].headers, "Origin") == "https://player.example");
    CHECK_FALSE(field(seen[0].headers, "Cookie").has_value());
    // CachingDisabled keeps nothing.
    CHECK(f.get("/a.txt").header("X-Cache") == "Miss from cloudfront");
    CHECK(f.stats()["entries"] == 0);
  }
}

TEST_CASE("edge: TTL expiry with the injected clock: RefreshHit when unchanged, Miss when replaced",
          "[integration][edge]") {
  edge_fixture f(distribution(R"({"min_ttl": 0, "default_ttl": 60, "max_ttl": 600})"));
  f.write("media/live.m3u8", "#EXTM3U v1");
  CHECK(f.get("/live.m3u8").header("X-Cache") == "Miss from cloudfront");
  f.advance(59);
  const auto hit = f.get("/live.m3u8");
  CHECK(hit.header("X-Cache") == "Hit from cloudfront");
  CHECK(hit.header("Age") == "59");

  f.advance(2);  // expired: revalidated with the entry's ETag, the bucket answers 304
  const auto refreshed = f.get("/live.m3u8");
  CHECK(refreshed.status == 200);
  CHECK(refreshed.body == "#EXTM3U v1");
  CHECK(refreshed.header("X-Cache") == "RefreshHit from cloudfront");
  CHECK(refreshed.header("Age") == "0");
  const auto seen = f.origin().seen();
  REQUIRE(seen.size() == 2);
  CHECK(field(seen[1].headers, "If-None-Match").has_value());
  CHECK(f.stats()["refresh_hits"] == 1);
  CHECK(f.get("/live.m3u8").header("X-Cache") == "Hit from cloudfront");

  f.write("media/live.m3u8", "#EXTM3U v2, longer");
  CHECK(f.get("/live.m3u8").body == "#EXTM3U v1");  // still fresh: the edge serves what it has
  f.advance(61);
  const auto replaced = f.get("/live.m3u8");
  CHECK(replaced.header("X-Cache") == "Miss from cloudfront");
  CHECK(replaced.body == "#EXTM3U v2, longer");
}

TEST_CASE("edge: the origin's Cache-Control sets the TTL; errors are kept for the error caching minimum TTL",
          "[integration][edge]") {
  edge_fixture f(distribution(R"({"min_ttl": 0, "default_ttl": 60, "max_ttl": 600})"));
  // 404 NoSuchKey: kept 10 s (CloudFront's default error caching minimum TTL).
  const auto missing = f.get("/nothing.txt");
  CHECK(missing.status == 404);
  CHECK(missing.header("X-Cache") == "Error from cloudfront");
  f.write("media/nothing.txt", "now here");
  f.advance(5);
  CHECK(f.get("/nothing.txt").status == 404);  // the cached error
  f.advance(6);
  const auto found = f.get("/nothing.txt");
  CHECK(found.status == 200);
  CHECK(found.body == "now here");
}

TEST_CASE("edge: a preflight is cached only when the behaviour's cached methods include OPTIONS",
          "[integration][edge]") {
  const header_fields preflight{{"Origin", "https://player.example"},
                                {"Access-Control-Request-Method", "GET"}};
  SECTION("cached methods GET, HEAD: every preflight goes to the bucket") {
    edge_fixture f(
        distribution(R"({"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin",
        "allowed_methods": ["GET", "HEAD", "OPTIONS"], "cached_methods": ["GET", "HEAD"]})"));
    f.write("media/a.txt", "text");
    for (int i = 0; i < 2; ++i) {
      const auto res = f.get("/a.txt", preflight, "OPTIONS");
      CHECK(res.status == 200);
      CHECK(res.header("Access-Control-Allow-Origin") == "https://player.example");
      CHECK(res.header("X-Cache") == "Miss from cloudfront");
    }
    CHECK(f.origin().count() == 2);
    CHECK(f.stats()["entries"] == 0);
  }
  SECTION("cached methods GET, HEAD, OPTIONS: the second preflight is a hit") {
    edge_fixture f(
        distribution(R"({"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin",
        "allowed_methods": ["GET", "HEAD", "OPTIONS"], "cached_methods": ["GET", "HEAD", "OPTIONS"]})"));
    f.write("media/a.txt", "text");
    CHECK(f.get("/a.txt", preflight, "OPTIONS").header("X-Cache") == "Miss from cloudfront");
    const auto hit = f.get("/a.txt", preflight, "OPTIONS");
    CHECK(hit.header("X-Cache") == "Hit from cloudfront");
    CHECK(hit.header("Access-Control-Allow-Origin") == "https://player.example");
    CHECK(f.origin().count() == 1);
    // The preflight's entry is not GET's.
    CHECK(f.get("/a.txt").header("X-Cache") == "Miss from cloudfront");
  }
  SECTION("OPTIONS not allowed: refused with CloudFront's 403") {
    edge_fixture f(distribution(R"({"cache_policy": "CachingOptimized"})"));
    const auto res = f.get("/a.txt", preflight, "OPTIONS");
    CHECK(res.status == 403);
    CHECK(res.header("X-Cache") == "Error from cloudfront");
    CHECK(f.origin().count() == 0);
  }
}

TEST_CASE("edge: Range and conditional requests are answered from the cached object", "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3);
  f.write("media/clip.bin", "abcdefghijklmnopqrstuvwxyz");
  const auto first = f.get("/clip.bin", {{"Range", "bytes=0-3"}});
  CHECK(first.status == 206);
  CHECK(first.body == "abcd");
  CHECK(first.header("Content-Range") == "bytes 0-3/26");
  CHECK(first.header("X-Cache") == "Miss from cloudfront");

  const auto ranged = f.get("/clip.bin", {{"Range", "bytes=-5"}});
  CHECK(ranged.status == 206);
  CHECK(ranged.body == "vwxyz");
  CHECK(ranged.header("X-Cache") == "Hit from cloudfront");

  const auto unsatisfiable = f.get("/clip.bin", {{"Range", "bytes=100-"}});
  CHECK(unsatisfiable.status == 416);
  CHECK(unsatisfiable.header("Content-Range") == "bytes */26");

  const auto not_modified = f.get("/clip.bin", {{"If-None-Match", first.header("ETag").value_or("")}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.body.empty());
  CHECK(f.origin().count() == 1);
}

TEST_CASE("edge: objects above max_cached_object_bytes are streamed through uncached",
          "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3, 1000);
  const std::string big(5000, 'x');
  f.write("media/big.bin", big);
  for (int i = 0; i < 2; ++i) {
    const auto res = f.get("/big.bin");
    CHECK(res.status == 200);
    CHECK(res.body == big);
    CHECK(res.header("X-Cache") == "Miss from cloudfront");
  }
  const auto ranged = f.get("/big.bin", {{"Range", "bytes=10-19"}});
  CHECK(ranged.status == 206);
  CHECK(ranged.body == "xxxxxxxxxx");
  const auto head = f.get("/big.bin", {}, "HEAD");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "5000");
  CHECK(f.stats()["entries"] == 0);
}

TEST_CASE("edge: the cache stays within cache_bytes by evicting the least recently used",
          "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3, 64 << 20, 4096);
  f.write("media/a.bin", std::string(1500, 'a'));
  f.write("media/b.bin", std::string(1500, 'b'));
  f.write("media/c.bin", std::string(1500, 'c'));
  CHECK(f.get("/a.bin").header("X-Cache") == "Miss from cloudfront");
  CHECK(f.get("/b.bin").header("X-Cache") == "Miss from cloudfront");
  CHECK(f.get("/c.bin").header("X-Cache") == "Miss from cloudfront");  // evicts a
  const auto stats = f.stats();
  CHECK(stats["evictions"] == 1);
  CHECK(stats["bytes"] <= 4096);
  CHECK(f.get("/a.bin").header("X-Cache") == "Miss from cloudfront");
  CHECK(f.get("/c.bin").header("X-Cache") == "Hit from cloudfront");
}

TEST_CASE("edge control: invalidations (JSON and InvalidationBatch XML), flush and stats",
          "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3);
  f.write("media/img/a.png", "a");
  f.write("media/img/b.png", "b");
  f.write("media/doc.txt", "d");
  for (const char* path : {"/img/a.png", "/img/b.png", "/doc.txt"}) (void)f.get(path);
  CHECK(f.stats()["entries"] == 3);

  const auto xml = send_request(f.port(), "POST", "/_s3cors/distributions/cdn/invalidation", {},
                                "<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/img/*</Path>"
                                "</Items></Paths><CallerReference>r1</CallerReference></InvalidationBatch>");
  CHECK(xml.status == 201);
  CHECK(nlohmann::json::parse(xml.body)["removed"] == 2);
  CHECK(f.get("/img/a.png").header("X-Cache") == "Miss from cloudfront");
  CHECK(f.get("/doc.txt").header("X-Cache") == "Hit from cloudfront");

  const auto bad = send_request(f.port(), "POST", "/_s3cors/distributions/cdn/invalidation", {},
                                R"({"paths": ["/img/*.png"]})");
  CHECK(bad.status == 400);
  CHECK(nlohmann::json::parse(bad.body)["error"] == "InvalidArgument");
  CHECK(send_request(f.port(), "POST", "/_s3cors/distributions/cdn/invalidation", {}, "nonsense").status ==
        400);
  CHECK(send_request(f.port(), "GET", "/_s3cors/distributions/cdn/invalidation").status == 405);
  CHECK(send_request(f.port(), "GET", "/_s3cors/distributions/other/stats").status == 404);
  const auto elsewhere = send_request(f.main_port(), "GET", "/_s3cors/distributions/other/stats");
  CHECK(elsewhere.status == 404);
  CHECK(nlohmann::json::parse(elsewhere.body)["error"] == "NoSuchDistribution");

  const auto flushed = send_request(f.main_port(), "POST", "/_s3cors/distributions/cdn/flush");
  CHECK(flushed.status == 200);
  CHECK(nlohmann::json::parse(flushed.body)["removed"] == 2);
  const auto stats =
      nlohmann::json::parse(send_request(f.main_port(), "GET", "/_s3cors/distributions/cdn/stats").body);
  CHECK(stats["entries"] == 0);
  CHECK(stats["invalidations"] == 4);
  // The main listener still serves S3 beside the control endpoints.
  CHECK(send_request(f.main_port(), "GET", "/media/doc.txt").body == "d");
}

TEST_CASE("edge: a request target without its leading '/' cannot reach another bucket",
          "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3);
  f.write("media-private/secret.txt", "secret");
  const std::string answer = s3cors::test::raw_request(
      f.port(), "GET -private/secret.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 400 "));
  CHECK(answer.find("secret\r") == std::string::npos);
  CHECK(answer.find("\r\n\r\nsecret") == std::string::npos);
  CHECK(f.origin().count() == 0);
}

TEST_CASE("edge: concurrent viewers of one object all get it whole", "[integration][edge]") {
  edge_fixture f(caching_optimized_cors_s3);
  const std::string content(100'000, 'z');
  f.write("media/popular.bin", content);
  std::vector<std::thread> viewers;
  std::atomic<int> good{0};
  for (int t = 0; t < 6; ++t) {
    viewers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        const auto res = f.get("/popular.bin");
        if (res.status == 200 && res.body == content) ++good;
      }
    });
  }
  for (auto& viewer : viewers) viewer.join();
  CHECK(good == 60);
  const auto stats = f.stats();
  CHECK(stats["hits"].get<int>() + stats["misses"].get<int>() == 60);
  CHECK(stats["entries"] == 1);
}

TEST_CASE("edge: methods the behaviour allows but does not cache go to the bucket, bodies included",
          "[integration][edge]") {
  edge_fixture f(distribution(R"({"cache_policy": "CachingOptimized",
      "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]})"));
  const auto put = send_request(f.port(), "PUT", "/up.txt", {}, "uploaded through the edge");
  CHECK(put.status == 200);
  CHECK(put.header("X-Cache") == "Miss from cloudfront");
  CHECK(f.get("/up.txt").body == "uploaded through the edge");
  CHECK(send_request(f.port(), "DELETE", "/up.txt").status == 204);
}

TEST_CASE("edge: with credentials configured the edge's origin requests are anonymous",
          "[integration][edge]") {
  s3cors::s3::service_options secured;
  secured.credentials =
      s3cors::auth::credential_set(std::vector<s3cors::auth::credential>{{"AKIDEDGE", "secret"}});
  edge_fixture f(caching_optimized_cors_s3, 64 << 20, 1 << 20, secured);
  f.write("media/a.txt", "text");
  // Signed viewer requests do not help: Authorization is not forwarded (CachingOptimized).
  const auto refused = f.get("/a.txt", {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEDGE/x"}});
  CHECK(refused.status == 403);
  CHECK(refused.header("X-Cache") == "Error from cloudfront");
  // A public-read bucket is served (CloudFront without origin access control needs one too).
  f.service().acls().set_file_acls({{"media", "public-read"}});
  CHECK(send_request(f.main_port(), "POST", "/_s3cors/distributions/cdn/flush").status == 200);
  const auto served = f.get("/a.txt");
  CHECK(served.status == 200);
  CHECK(served.body == "text");
}

TEST_CASE("edge: with origin access control the bucket sees cloudfront.amazonaws.com for this distribution",
          "[integration][edge]") {
  const s3cors::auth::credential key{"AKIDEDGE", "secret"};
  s3cors::s3::service_options secured;
  secured.credentials = s3cors::auth::credential_set(std::vector<s3cors::auth::credential>{key});
  const auto put_policy = [&](s3cors::s3::service& service, const std::string& source_arn) {
    s3cors::request req;
    req.verb = s3cors::method::put;
    req.method_name = "PUT";
    req.target = "/media?policy";
    req.headers.add("Host", "127.0.0.1");
    req.body = R"({"Version": "2012-10-17", "Statement": [{"Sid": "AllowCloudFrontServicePrincipal",
      "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::media/*",
      "Condition": {"StringEquals": {"AWS:SourceArn": ")" +
               source_arn + R"("}}}]})";
    req.has_body = true;
    req.content_length = req.body.size();
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    s3cors::auth::sign_request(req, key, now);
    return service.handle(req, s3cors::s3::request_context{now, "REQ", "HOST"}).res.status;
  };
  const std::string with_oac =
      R"({"id": "E1TEST", "origin": "media", "origin_access_control": true,
          "default_behavior": {"cache_policy": "CachingDisabled"}})";
  CHECK(edge::distribution_arn("E1TEST") == "arn:aws:cloudfront::123456789012:distribution/E1TEST");

  SECTION("the policy CloudFront's console writes lets this distribution in, and only it") {
    edge_fixture f(with_oac, 64 << 20, 1 << 20, secured);
    f.write("media/a.txt", "text");
    REQUIRE(put_policy(f.service(), edge::distribution_arn("E1TEST")) == 204);
    const auto served = f.get("/a.txt");
    CHECK(served.status == 200);
    CHECK(served.body == "text");
    // The bucket itself stays private to anyone else.
    CHECK(send_request(f.main_port(), "GET", "/media/a.txt").status == 403);
    // A policy for another distribution does not let this one in.
    REQUIRE(put_policy(f.service(), edge::distribution_arn("E2OTHER")) == 204);
    CHECK(f.get("/a.txt").status == 403);
  }
  SECTION("without origin access control the same policy does not apply: the request is anonymous") {
    edge_fixture f(
        R"({"id": "E1TEST", "origin": "media", "default_behavior": {"cache_policy": "CachingDisabled"}})",
        64 << 20, 1 << 20, secured);
    f.write("media/a.txt", "text");
    REQUIRE(put_policy(f.service(), edge::distribution_arn("E1TEST")) == 204);
    CHECK(f.get("/a.txt").status == 403);
  }
}

TEST_CASE("edge: a cross-origin request answered from a poisoned cache is logged with the explanation",
          "[edge][explain]") {
  edge_fixture f(R"({"id": "E2", "origin": "media",
      "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"}})");
  f.write("media/video.mp4", "video bytes");
  CHECK(f.get("/video.mp4").header("X-Cache") == "Miss from cloudfront");
  // The browser's request is served the copy cached without Origin: no ACAO, refused.
  const auto refused = f.get("/video.mp4", {{"Origin", "https://player.example"}});
  CHECK(refused.header("X-Cache") == "Hit from cloudfront");
  CHECK_FALSE(refused.header("Access-Control-Allow-Origin"));
  auto lines = f.warnings();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0],
             Catch::Matchers::Contains("edge cdn: cross-origin GET /video.mp4 from Origin "
                                       "https://player.example answered from cache (Hit from cloudfront, key "
                                       "E2 | GET | /video.mp4 | ?)"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("no Access-Control-Allow-Origin"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("stored for a request with no Origin"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("put Origin in the cache policy's key"));
  // The same again within the minute: not repeated. After an invalidation the browser's own
  // request populates the entry, with ACAO: nothing to report.
  (void)f.get("/video.mp4", {{"Origin", "https://player.example"}});
  CHECK(f.warnings().size() == 1);
  REQUIRE(f.gateway().invalidate({"/video.mp4"}).removed == 1);
  f.advance(120);
  CHECK(f.get("/video.mp4", {{"Origin", "https://player.example"}}).header("Access-Control-Allow-Origin") ==
        "https://player.example");
  CHECK(f.get("/video.mp4", {{"Origin", "https://player.example"}}).header("X-Cache") ==
        "Hit from cloudfront");
  CHECK(f.warnings().size() == 1);
}
