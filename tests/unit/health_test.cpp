// The health endpoint (GET/HEAD /_s3cors/health) and the access-log details the service
// fills for the structured access log.
#include "memory_store.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/s3/route.hpp"
#include "s3cors/s3/service.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace {

using s3cors::method;
using s3cors::request;
using s3cors::response;

request make_request(method verb, std::string target, std::string_view host = "localhost:9000") {
  request req;
  req.verb = verb;
  req.method_name = std::string(s3cors::to_string(verb));
  req.target = std::move(target);
  req.headers.add("Host", std::string(host));
  return req;
}

const s3cors::s3::request_context ctx{std::chrono::sys_seconds{std::chrono::seconds{1700000000}}, "REQID",
                                      "HOSTID"};

struct fixture {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc;

  explicit fixture(bool details = false) : svc(store, cors, options(details)) {
    store.add_bucket("media", ctx.now);
    store.put("media", "hls/a b.m3u8", "#EXTM3U\n", ctx.now);
    auto rules = s3cors::cors::parse_any(
        R"([{"AllowedOrigins": ["http://other.test"], "AllowedMethods": ["PUT"]},
            {"AllowedOrigins": ["http://page.test"], "AllowedMethods": ["GET", "HEAD"]}])");
    REQUIRE(rules.has_value());
    std::map<std::string, s3cors::cors::config_ptr, std::less<>> configs{
        {"media", std::make_shared<const s3cors::cors::cors_configuration>(std::move(*rules))}};
    cors.set_file_configs(std::move(configs), nullptr);
  }

  static s3cors::s3::service_options options(bool details) {
    s3cors::s3::service_options out;
    out.access_log_details = details;
    return out;
  }
};

std::string header(const response& res, std::string_view name) {
  return std::string(res.headers.find(name).value_or("<absent>"));
}

}  // namespace

TEST_CASE("health: GET and HEAD /_s3cors/health route to the health operation on any Host", "[health]") {
  s3cors::s3::routing_options options;
  options.domain = "example.test";
  const auto host = GENERATE(as<std::string_view>{}, "localhost:9000", "media.localhost:9000",
                             "media.s3.example.test", "10.0.0.1:9000");
  const auto verb = GENERATE(method::get, method::head);
  CAPTURE(host);
  const auto routed = s3cors::s3::route(make_request(verb, "/_s3cors/health", host), options);
  REQUIRE(routed.has_value());
  CHECK(std::holds_alternative<s3cors::s3::health_op>(routed->op));
}

TEST_CASE("health: other paths and methods are not the health endpoint", "[health]") {
  const s3cors::s3::routing_options options;
  for (const auto* target : {"/_s3cors/health/", "/_s3cors/healthz", "/_s3cors", "/media/_s3cors/health"}) {
    CAPTURE(target);
    const auto routed = s3cors::s3::route(make_request(method::get, target), options);
    CHECK_FALSE((routed.has_value() && std::holds_alternative<s3cors::s3::health_op>(routed->op)));
  }
  // A bucket name cannot start with '_': a PUT there is an invalid bucket, never a health probe.
  const auto put = s3cors::s3::route(make_request(method::put, "/_s3cors/health"), options);
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code == s3cors::s3::error::invalid_bucket_name);
  // OPTIONS stays a preflight, as for every path.
  const auto options_request = s3cors::s3::route(make_request(method::options, "/_s3cors/health"), options);
  REQUIRE(options_request.has_value());
  CHECK(std::holds_alternative<s3cors::s3::preflight_op>(options_request->op));
}

TEST_CASE("health: the service answers 200 application/json {\"status\":\"ok\"}", "[health]") {
  const fixture f;
  const auto [res, res_log] = f.svc.handle(make_request(method::get, "/_s3cors/health"), ctx);
  CHECK(res.status == 200);
  CHECK(header(res, "Content-Type") == "application/json");
  CHECK(header(res, "Cache-Control") == "no-store");
  CHECK(header(res, "x-amz-request-id") == "REQID");
  REQUIRE(std::holds_alternative<std::string>(res.body));
  CHECK(std::get<std::string>(res.body) == R"({"status":"ok"})");
  CHECK(res.content_length == std::get<std::string>(res.body).size());

  const auto [head, head_log] = f.svc.handle(make_request(method::head, "/_s3cors/health"), ctx);
  CHECK(head.status == 200);
  CHECK(std::holds_alternative<std::monostate>(head.body));
  CHECK(head.content_length == 15);
}

TEST_CASE("health: the endpoint carries no CORS headers, even with an Origin", "[health]") {
  const fixture f;
  auto req = make_request(method::get, "/_s3cors/health");
  req.headers.add("Origin", "http://page.test");
  const auto [res, res_log] = f.svc.handle(req, ctx);
  CHECK(res.status == 200);
  CHECK_FALSE(res.headers.contains("Access-Control-Allow-Origin"));
}

// --- the structured access log's fields -------------------------------------------------------

TEST_CASE("access log details: left empty unless asked for", "[health][log]") {
  const fixture f(false);
  auto req = make_request(method::get, "/media/hls/a%20b.m3u8");
  req.headers.add("Origin", "http://page.test");
  const auto [res, res_log] = f.svc.handle(req, ctx);
  CHECK(res.status == 200);
  CHECK(res_log.bucket.empty());
  CHECK(res_log.key.empty());
  CHECK(res_log.cors.empty());
}

TEST_CASE("access log details: bucket, decoded key and the CORS decision", "[health][log]") {
  fixture f(true);
  SECTION("an allowed cross-origin GET names the rule") {
    auto req = make_request(method::get, "/media/hls/a%20b.m3u8");
    req.headers.add("Origin", "http://page.test");
    const auto [res, res_log] = f.svc.handle(req, ctx);
    CHECK(res.status == 200);
    CHECK(res_log.bucket == "media");
    CHECK(res_log.key == "hls/a b.m3u8");
    CHECK(res_log.cors == "allowed rule 1");
  }
  SECTION("a refused origin says why") {
    auto req = make_request(method::get, "/media/hls/a%20b.m3u8");
    req.headers.add("Origin", "http://evil.test");
    const auto [res, res_log] = f.svc.handle(req, ctx);
    CHECK(res.status == 200);
    CHECK_THAT(res_log.cors, Catch::StartsWith("no match: rule 0 origin_mismatch"));
    CHECK_FALSE(res.headers.contains("Access-Control-Allow-Origin"));
  }
  SECTION("no Origin: not cross-origin") {
    const auto [res, res_log] = f.svc.handle(make_request(method::get, "/media/missing"), ctx);
    CHECK(res.status == 404);
    CHECK(res_log.bucket == "media");
    CHECK(res_log.key == "missing");
    CHECK(res_log.cors == "not cross-origin");
  }
  SECTION("virtual-hosted style names the bucket from Host") {
    const auto [res, res_log] =
        f.svc.handle(make_request(method::head, "/hls/a%20b.m3u8", "media.localhost:9000"), ctx);
    CHECK(res.status == 200);
    CHECK(res_log.bucket == "media");
    CHECK(res_log.key == "hls/a b.m3u8");
  }
  SECTION("a preflight reports its decision") {
    auto req = make_request(method::options, "/media/hls/a%20b.m3u8");
    req.headers.add("Origin", "http://page.test");
    req.headers.add("Access-Control-Request-Method", "GET");
    const auto [allowed, allowed_log] = f.svc.handle(req, ctx);
    CHECK(allowed.status == 200);
    CHECK(allowed_log.cors == "preflight allowed rule 1");
    CHECK(allowed_log.bucket == "media");

    auto refused_req = make_request(method::options, "/media/hls/a%20b.m3u8");
    refused_req.headers.add("Origin", "http://page.test");
    refused_req.headers.add("Access-Control-Request-Method", "DELETE");
    const auto [refused, refused_log] = f.svc.handle(refused_req, ctx);
    CHECK(refused.status == 403);
    CHECK_THAT(refused_log.cors, Catch::StartsWith("preflight refused: "));
  }
  SECTION("a bucket without CORS rules") {
    f.store.add_bucket("plain", ctx.now);
    auto req = make_request(method::get, "/plain?list-type=2");
    req.headers.add("Origin", "http://page.test");
    const auto [res, res_log] = f.svc.handle(req, ctx);
    CHECK(res_log.bucket == "plain");
    CHECK(res_log.key.empty());
    CHECK(res_log.cors == "no CORS: bucket plain has no CORS configuration");
  }
  SECTION("a routing error still names the bucket") {
    const auto [res, res_log] = f.svc.handle(make_request(method::get, "/media/a?torrent"), ctx);
    CHECK(res.status == 501);
    CHECK(res_log.bucket == "media");
    CHECK(res_log.cors == "not cross-origin");
  }
  SECTION("the health endpoint") {
    auto req = make_request(method::get, "/_s3cors/health");
    req.headers.add("Origin", "http://page.test");
    const auto [res, res_log] = f.svc.handle(req, ctx);
    CHECK(res_log.bucket.empty());
    CHECK(res_log.cors == "no CORS headers (not a bucket request)");
  }
}
