#include "s3cors/edge/response_headers.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace s3cors::edge;

std::optional<std::string> find(const std::vector<header_field>& headers, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [n, v] : headers) {
    if (n == name) {
      REQUIRE_FALSE(out);  // never twice
      out = v;
    }
  }
  return out;
}

struct request {
  std::string method = "GET";
  std::string path = "/a.txt";
  std::vector<header_field> headers;

  [[nodiscard]] request_view view() const { return {method, path, "", headers}; }
};

const response_headers_policy& managed_policy(std::string_view name) {
  return *find_managed_response_headers_policy(name);
}

}  // namespace

TEST_CASE("edge response headers: SimpleCORS adds Access-Control-Allow-Origin to CORS requests", "[edge]") {
  request with_origin;
  with_origin.headers = {{"Origin", "https://app.example"}};
  std::vector<header_field> headers = {{"Content-Type", "text/plain"}};
  apply_response_headers_policy(managed_policy("SimpleCORS"), with_origin.view(), headers);
  CHECK(find(headers, "Access-Control-Allow-Origin") == "*");
  CHECK_FALSE(find(headers, "Access-Control-Allow-Methods"));
  CHECK_FALSE(find(headers, "Vary"));

  SECTION("not to requests without Origin") {
    std::vector<header_field> plain = {{"Content-Type", "text/plain"}};
    apply_response_headers_policy(managed_policy("SimpleCORS"), request{}.view(), plain);
    CHECK(plain == std::vector<header_field>{{"Content-Type", "text/plain"}});
  }
  SECTION("the origin's own header wins without OriginOverride") {
    std::vector<header_field> from_origin = {{"Access-Control-Allow-Origin", "https://app.example"}};
    apply_response_headers_policy(managed_policy("SimpleCORS"), with_origin.view(), from_origin);
    CHECK(find(from_origin, "Access-Control-Allow-Origin") == "https://app.example");
  }
}

TEST_CASE("edge response headers: OriginOverride replaces the origin's CORS headers", "[edge]") {
  response_headers_policy policy;
  policy.cors = cors_config{};
  policy.cors->allow_origins = {"https://*.example"};
  policy.cors->allow_methods = {"GET", "PUT"};
  policy.cors->allow_headers = {"content-type", "x-amz-date"};
  policy.cors->expose_headers = {"ETag"};
  policy.cors->allow_credentials = true;
  policy.cors->max_age_sec = 600;
  policy.cors->origin_override = true;

  request preflight;
  preflight.method = "OPTIONS";
  preflight.headers = {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"}};
  std::vector<header_field> headers = {{"Access-Control-Allow-Origin", "*"}, {"Vary", "Accept-Encoding"}};
  apply_response_headers_policy(policy, preflight.view(), headers);
  CHECK(find(headers, "Access-Control-Allow-Origin") == "https://app.example");
  CHECK(find(headers, "Access-Control-Allow-Credentials") == "true");
  CHECK(find(headers, "Access-Control-Allow-Methods") == "GET, PUT");
  CHECK(find(headers, "Access-Control-Allow-Headers") == "content-type, x-amz-date");
  CHECK(find(headers, "Access-Control-Max-Age") == "600");
  CHECK(find(headers, "Access-Control-Expose-Headers") == "ETag");
  CHECK(find(headers, "Vary") == "Accept-Encoding, Origin");

  SECTION("an origin outside the list gets nothing") {
    request other = preflight;
    other.headers[0].second = "https://evil.test";
    std::vector<header_field> none;
    apply_response_headers_policy(policy, other.view(), none);
    CHECK(none.empty());
  }
  SECTION("an actual request gets no preflight headers") {
    request actual;
    actual.headers = {{"Origin", "https://app.example"}};
    std::vector<header_field> got;
    apply_response_headers_policy(policy, actual.view(), got);
    CHECK(find(got, "Access-Control-Allow-Origin") == "https://app.example");
    CHECK(find(got, "Access-Control-Expose-Headers") == "ETag");
    CHECK_FALSE(find(got, "Access-Control-Allow-Methods"));
    CHECK_FALSE(find(got, "Access-Control-Max-Age"));
  }
}

TEST_CASE("edge response headers: origin patterns", "[edge]") {
  cors_config cors;
  cors.allow_origins = {"https://exact.example", "https://*.wild.example"};
  struct row {
    std::string_view origin;
    bool allowed;
  };
  const row rows[] = {
      {"https://exact.example", true},  {"https://exact.example:443", false},
      {"https://a.wild.example", true}, {"https://a.b.wild.example", true},
      {"https://.wild.example", false}, {"http://a.wild.example", false},
      {"HTTPS://exact.example", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.origin);
    CHECK(is_origin_allowed(cors, r.origin) == r.allowed);
  }
}

TEST_CASE("edge response headers: security and custom headers with their override flags", "[edge]") {
  std::vector<header_field> headers = {
      {"X-Content-Type-Options", "origin-value"}, {"X-Frame-Options", "DENY"}, {"Server", "s3cors"}};
  response_headers_policy policy = managed_policy("SecurityHeadersPolicy");
  policy.custom_headers = {{"X-Edge", "one", false}, {"X-Frame-Options", "SAMEORIGIN", false}};
  policy.remove_headers = {"server"};
  apply_response_headers_policy(policy, request{}.view(), headers);
  CHECK(find(headers, "X-Content-Type-Options") == "nosniff");  // overrides the origin
  CHECK(find(headers, "X-Frame-Options") == "DENY");            // the origin's value stays
  CHECK(find(headers, "Strict-Transport-Security") == "max-age=31536000");
  CHECK(find(headers, "Referrer-Policy") == "strict-origin-when-cross-origin");
  CHECK(find(headers, "X-XSS-Protection") == "1; mode=block");
  CHECK(find(headers, "X-Edge") == "one");
  CHECK_FALSE(find(headers, "Server"));
}

TEST_CASE("edge response headers: preflights answered at the edge", "[edge]") {
  cache_behavior b;
  b.origin_bucket = "media";
  b.response_headers = managed_policy("CORS-With-Preflight");
  request preflight;
  preflight.method = "OPTIONS";
  preflight.headers = {{"Origin", "https://app.example"},
                       {"Access-Control-Request-Method", "PUT"},
                       {"Access-Control-Request-Headers", "content-type"}};

  const auto answer = answer_preflight_at_edge(b, preflight.view());
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(find(answer->headers, "Access-Control-Allow-Origin") == "*");
  CHECK(find(answer->headers, "Access-Control-Allow-Methods") ==
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
  CHECK(find(answer->headers, "Access-Control-Expose-Headers") == "*");

  SECTION("not when the behaviour forwards OPTIONS to the origin") {
    b.allowed_methods = {"GET", "HEAD", "OPTIONS"};
    CHECK_FALSE(answer_preflight_at_edge(b, preflight.view()));
  }
  SECTION("not with SimpleCORS, which allows no methods") {
    b.response_headers = managed_policy("SimpleCORS");
    CHECK_FALSE(answer_preflight_at_edge(b, preflight.view()));
  }
  SECTION("not for an OPTIONS request without Access-Control-Request-Method") {
    request options = preflight;
    options.headers.erase(options.headers.begin() + 1);
    CHECK_FALSE(is_preflight(options.view()));
    CHECK_FALSE(answer_preflight_at_edge(b, options.view()));
  }
  SECTION("a refused origin gets 403 without CORS headers") {
    response_headers_policy strict = managed_policy("CORS-With-Preflight");
    strict.cors->allow_origins = {"https://only.example"};
    b.response_headers = strict;
    const auto refused = answer_preflight_at_edge(b, preflight.view());
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(refused->headers.empty());
  }
}
