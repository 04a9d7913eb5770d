#include "s3cors/edge/cache_key.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace s3cors::edge;

cache_behavior behavior_with(const cache_policy& policy, const origin_request_policy* orp = nullptr) {
  cache_behavior b;
  b.origin_bucket = "media";
  b.cache = policy;
  if (orp != nullptr) b.origin_request = *orp;
  return b;
}

struct request {
  std::string method = "GET";
  std::string path = "/a.txt";
  std::string query;
  std::vector<header_field> headers;

  [[nodiscard]] request_view view() const { return {method, path, query, headers}; }
};

std::optional<std::string> header_of(const origin_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

cache_policy custom_policy() {
  cache_policy p;
  p.name = "custom";
  p.headers = {behavior::whitelist, {"Origin"}};
  p.query_strings = {behavior::whitelist, {"v"}};
  p.cookies = {behavior::whitelist, {"lang"}};
  return p;
}

}  // namespace

TEST_CASE("edge cache key: Accept-Encoding is normalised as CloudFront does", "[edge]") {
  struct row {
    std::optional<std::string_view> header;
    bool gzip;
    bool brotli;
    std::optional<std::string_view> expected;
  };
  const row rows[] = {
      {std::nullopt, true, true, std::nullopt},
      {"gzip, deflate, br", true, true, "br,gzip"},
      {"br;q=1.0, gzip;q=0.8, *;q=0.1", true, true, "br,gzip"},
      {"GZIP", true, true, "gzip"},
      {"gzip, deflate, br", true, false, "gzip"},
      {"gzip, deflate, br", false, true, "br"},
      {"gzip, br", false, false, std::nullopt},
      {"deflate, identity", true, true, std::nullopt},
      {"gzip;q=0, br", true, true, "br"},
      {"gzip;q=0.000", true, true, std::nullopt},
      {"gzip;q=0.001", true, true, "gzip"},
      {"", true, true, std::nullopt},
      {" , ,gzip", true, true, "gzip"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.header.value_or("<absent>"), r.gzip, r.brotli);
    CHECK(normalize_accept_encoding(r.header, r.gzip, r.brotli) == r.expected);
  }
}

TEST_CASE("edge cache key: CachingOptimized ignores Origin, query strings and cookies", "[edge]") {
  const auto b = behavior_with(*find_managed_cache_policy("CachingOptimized"));
  request plain;
  request cors = plain;
  cors.headers = {{"Origin", "https://app.example"}, {"Cookie", "lang=fr"}};
  cors.query = "v=2";
  CHECK(compute_cache_key("E1", b, plain.view()) == compute_cache_key("E1", b, cors.view()));
  CHECK(compute_cache_key("E1", b, plain.view()).query.empty());

  SECTION("but the normalised Accept-Encoding is part of it") {
    request gzip = plain;
    gzip.headers = {{"Accept-Encoding", "gzip"}};
    request gzip_deflate = plain;
    gzip_deflate.headers = {{"accept-encoding", "deflate, gzip"}};
    CHECK(compute_cache_key("E1", b, gzip.view()) != compute_cache_key("E1", b, plain.view()));
    CHECK(compute_cache_key("E1", b, gzip.view()) == compute_cache_key("E1", b, gzip_deflate.view()));
  }
  SECTION("HEAD shares GET's key, OPTIONS does not; the distribution and path count") {
    request head = plain;
    head.method = "HEAD";
    request options = plain;
    options.method = "OPTIONS";
    request other_path = plain;
    other_path.path = "/A.txt";
    CHECK(compute_cache_key("E1", b, head.view()) == compute_cache_key("E1", b, plain.view()));
    CHECK(compute_cache_key("E1", b, options.view()) != compute_cache_key("E1", b, plain.view()));
    CHECK(compute_cache_key("E2", b, plain.view()) != compute_cache_key("E1", b, plain.view()));
    CHECK(compute_cache_key("E1", b, other_path.view()) != compute_cache_key("E1", b, plain.view()));
  }
}

TEST_CASE("edge cache key: a custom policy keys on the values it lists", "[edge]") {
  const auto b = behavior_with(custom_policy());
  struct row {
    std::string query;
    std::vector<header_field> headers;
    bool same_as_base;
  };
  const std::vector<header_field> base_headers = {{"Origin", "https://a.example"},
                                                  {"Cookie", "lang=fr; sid=1"}};
  const std::vector<row> rows = {
      {"v=1", base_headers, true},
      {"v=1&utm=x", base_headers, true},  // unlisted query string
      {"v=2", base_headers, false},       // listed query string
      {"V=1", base_headers, false},       // names are case-sensitive
      {"v=1",
       {{"origin", "https://a.example"}, {"Cookie", "lang=fr; sid=2"}},
       true},                                                                    // header name case, cookie
      {"v=1", {{"Origin", "https://b.example"}, {"Cookie", "lang=fr"}}, false},  // Origin value
      {"v=1", {{"Cookie", "lang=fr"}}, false},                                   // Origin absent
      {"v=1", {{"Origin", "https://a.example"}, {"Cookie", "lang=de"}}, false},  // listed cookie
      {"v=1", {{"Origin", "https://a.example"}, {"Cookie", "sid=1"}, {"Cookie", "lang=fr"}}, true},
  };
  request base;
  base.query = "v=1";
  base.headers = base_headers;
  const cache_key base_key = compute_cache_key("E1", b, base.view());
  CHECK(base_key.query == "v=1");
  for (const auto& r : rows) {
    CAPTURE(r.query);
    request other;
    other.query = r.query;
    other.headers = r.headers;
    CHECK((compute_cache_key("E1", b, other.view()) == base_key) == r.same_as_base);
  }
}

TEST_CASE("edge origin request: CachingOptimized with CORS-S3Origin forwards the CORS headers only",
          "[edge]") {
  const auto b = behavior_with(*find_managed_cache_policy("CachingOptimized"),
                               find_managed_origin_request_policy("CORS-S3Origin"));
  request r;
  r.query = "response-content-type=text/plain&x=1";
  r.headers = {{"Host", "edge.example"},
               {"Origin", "https://app.example"},
               {"Access-Control-Request-Method", "GET"},
               {"User-Agent", "curl"},
               {"Accept-Encoding", "gzip, br"},
               {"Range", "bytes=0-9"},
               {"If-None-Match", "\"x\""},
               {"Cookie", "sid=1"},
               {"Authorization", "AWS4-HMAC-SHA256 ..."}};
  const origin_request o = build_origin_request(b, r.view());
  CHECK(o.headers == std::vector<header_field>{{"Origin", "https://app.example"},
                                               {"Access-Control-Request-Method", "GET"},
                                               {"Accept-Encoding", "br,gzip"}});
  CHECK(o.query.empty());
  CHECK(o.method == "GET");

  SECTION("a viewer accepting neither gzip nor br makes the origin request say identity") {
    request deflate;
    deflate.headers = {{"Accept-Encoding", "deflate"}};
    CHECK(build_origin_request(b, deflate.view()).headers ==
          std::vector<header_field>{{"Accept-Encoding", "identity"}});
  }
  SECTION("a viewer without Accept-Encoding sends none on") {
    CHECK(build_origin_request(b, request{}.view()).headers.empty());
  }
}

TEST_CASE("edge origin request: AllViewer forwards everything but Host, hop-by-hop and S3 overrides",
          "[edge]") {
  const auto b = behavior_with(*find_managed_cache_policy("CachingDisabled"),
                               find_managed_origin_request_policy("AllViewer"));
  request r;
  r.query = "a=1&response-content-type=text/plain&b=2";
  r.headers = {{"Host", "edge.example"}, {"Connection", "keep-alive"}, {"X-Custom", "1"},
               {"Cookie", "a=1; b=2"},   {"Range", "bytes=0-1"},       {"Authorization", "secret"}};
  const origin_request o = build_origin_request(b, r.view());
  CHECK(header_of(o, "Host") == std::nullopt);
  CHECK(header_of(o, "Connection") == std::nullopt);
  CHECK(header_of(o, "X-Custom") == "1");
  CHECK(header_of(o, "Cookie") == "a=1; b=2");
  CHECK(header_of(o, "Range") == std::nullopt);  // GET is cached: the edge fetches whole objects
  CHECK(header_of(o, "Authorization") == std::nullopt);
  CHECK(o.query == "a=1&b=2");

  SECTION("a HEAD the behaviour caches is fetched with GET") {
    request head = r;
    head.method = "HEAD";
    CHECK(build_origin_request(b, head.view()).method == "GET");
  }
  SECTION("a method the behaviour does not cache keeps its Range") {
    request put = r;
    put.method = "PUT";
    CHECK(header_of(build_origin_request(b, put.view()), "Range") == "bytes=0-1");
  }
}

TEST_CASE("edge origin request: the cache policy's values are forwarded too", "[edge]") {
  const auto b = behavior_with(custom_policy());
  request r;
  r.query = "v=1&w=2";
  r.headers = {{"Origin", "https://a.example"}, {"Cookie", "sid=1; lang=fr"}, {"Accept-Encoding", "gzip"}};
  const origin_request o = build_origin_request(b, r.view());
  CHECK(o.headers == std::vector<header_field>{{"Origin", "https://a.example"}, {"Cookie", "lang=fr"}});
  CHECK(o.query == "v=1");
}
