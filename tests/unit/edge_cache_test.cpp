#include "s3cors/edge/edge_cache.hpp"

#include "s3cors/edge/response_headers.hpp"
#include "s3cors/edge/ttl.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace s3cors::edge;
using std::chrono::seconds;

constexpr std::chrono::sys_seconds t0{seconds{1796518800}};

cache_key key_for(std::string path, std::string query = "", std::string distribution = "E1") {
  cache_key k;
  k.distribution = distribution;
  k.path = std::move(path);
  k.query = std::move(query);
  k.text = k.distribution + "\nGET\n" + k.path + "\n?" + k.query;
  return k;
}

std::shared_ptr<const body_bytes> body(std::string text) {
  return body_bytes::make(std::move(text));
}

std::optional<std::string> find(const std::vector<header_field>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("edge cache: miss, store, hit, then stale after the TTL", "[edge]") {
  edge_cache cache(1 << 20);
  const cache_key k = key_for("/a.txt");
  CHECK(cache.lookup(k.text, t0).kind == lookup_kind::miss);
  const auto stored = cache.store(k, 200, {{"ETag", "\"1\""}}, body("hello"), 60, t0);
  REQUIRE(stored);

  const auto hit = cache.lookup(k.text, t0 + seconds(59));
  REQUIRE(hit.kind == lookup_kind::hit);
  CHECK(hit.entry->body == stored->body);  // shared, not copied
  CHECK(hit.entry->age(t0 + seconds(59)) == 59);
  CHECK(cache.lookup(k.text, t0 + seconds(60)).kind == lookup_kind::stale);

  const cache_stats s = cache.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 1);
  CHECK(s.entries == 1);
  CHECK(s.bytes > 5);
}

TEST_CASE("edge cache: a stale entry refreshed by a 304 is a refresh hit", "[edge]") {
  edge_cache cache(1 << 20);
  const cache_key k = key_for("/a.txt");
  (void)cache.store(k, 200, {{"ETag", "\"1\""}, {"Cache-Control", "max-age=10"}}, body("hello"), 10, t0);
  REQUIRE(cache.lookup(k.text, t0 + seconds(20)).kind == lookup_kind::stale);
  const auto refreshed = cache.refresh(k.text, 30, {{"Cache-Control", "max-age=30"}}, t0 + seconds(20));
  REQUIRE(refreshed);
  CHECK(find(refreshed->headers, "Cache-Control") == "max-age=30");
  CHECK(find(refreshed->headers, "ETag") == "\"1\"");
  CHECK(refreshed->age(t0 + seconds(25)) == 5);
  CHECK(cache.lookup(k.text, t0 + seconds(49)).kind == lookup_kind::hit);
  CHECK(cache.stats().refresh_hits == 1);

  SECTION("a stale entry replaced by a new object is a miss") {
    (void)cache.lookup(k.text, t0 + seconds(100));
    (void)cache.store(k, 200, {}, body("new"), 10, t0 + seconds(100));
    CHECK(cache.stats().misses == 1);  // the first store had no lookup before it
    CHECK(cache.stats().entries == 1);
  }
}

TEST_CASE("edge cache: byte bound with least-recently-used eviction", "[edge]") {
  const cache_key a = key_for("/a");
  const cache_key b = key_for("/b");
  const cache_key c = key_for("/c");
  const std::string kb(1000, 'x');
  edge_cache probe(1 << 20);
  (void)probe.store(a, 200, {}, body(kb), 60, t0);
  const std::size_t one = probe.stats().bytes;

  edge_cache cache(2 * one + one / 2);  // room for two entries
  (void)cache.store(a, 200, {}, body(kb), 60, t0);
  (void)cache.store(b, 200, {}, body(kb), 60, t0);
  REQUIRE(cache.lookup(a.text, t0).kind == lookup_kind::hit);  // a is now the most recent
  (void)cache.store(c, 200, {}, body(kb), 60, t0);
  CHECK(cache.lookup(b.text, t0).kind == lookup_kind::miss);  // b was the least recent
  CHECK(cache.lookup(a.text, t0).kind == lookup_kind::hit);
  CHECK(cache.lookup(c.text, t0).kind == lookup_kind::hit);
  CHECK(cache.stats().evictions == 1);
  CHECK(cache.stats().entries == 2);
  CHECK(cache.stats().bytes <= cache.max_bytes());

  SECTION("an entry larger than the bound is not stored") {
    CHECK(cache.store(key_for("/big"), 200, {}, body(std::string(10 * one, 'y')), 60, t0) == nullptr);
    CHECK(cache.stats().entries == 2);
  }
}

TEST_CASE("edge cache: invalidation paths", "[edge]") {
  CHECK_FALSE(check_invalidation_path("/images/*"));
  CHECK_FALSE(check_invalidation_path("/*"));
  CHECK_FALSE(check_invalidation_path("/a.txt"));
  CHECK(check_invalidation_path("images/*"));
  CHECK(check_invalidation_path("/a*/b"));
  CHECK(check_invalidation_path(""));
  CHECK(check_invalidation_path("/" + std::string(4000, 'a')));
  CHECK_FALSE(check_invalidation_path("/" + std::string(3999, 'a')));

  struct row {
    std::string_view path;
    std::size_t removed;
  };
  const row rows[] = {
      {"/*", 5},        {"/images/*", 3}, {"/images/a.jpg", 1}, {"/images/a.jpg*", 2},
      {"/Images/*", 0}, {"/images/a", 0}, {"/doc.txt", 1},      {"/images/a.jpg?v=2", 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.path);
    edge_cache cache(1 << 20);
    for (const auto& k : {key_for("/images/a.jpg"), key_for("/images/a.jpg", "v=2"), key_for("/images/b.jpg"),
                          key_for("/doc.txt"), key_for("/other")})
      (void)cache.store(k, 200, {}, body("x"), 60, t0);
    (void)cache.store(key_for("/images/a.jpg", "", "E2"), 200, {}, body("x"), 60, t0);
    CHECK(cache.invalidate("E1", r.path) == r.removed);
    CHECK(cache.stats().entries == 6 - r.removed);
    CHECK(cache.stats().invalidations == r.removed);
  }
}

TEST_CASE("edge cache: flush one distribution or all", "[edge]") {
  edge_cache cache(1 << 20);
  (void)cache.store(key_for("/a", "", "E1"), 200, {}, body("x"), 60, t0);
  (void)cache.store(key_for("/a", "", "E2"), 200, {}, body("x"), 60, t0);
  CHECK(cache.flush("E1") == 1);
  CHECK(cache.stats().entries == 1);
  CHECK(cache.flush() == 1);
  CHECK(cache.stats().entries == 0);
  CHECK(cache.stats().bytes == 0);
}

TEST_CASE("edge cache: Range requests are answered from the cached whole object", "[edge]") {
  cached_response entry;
  entry.status = 200;
  entry.headers = {{"Content-Length", "10"}, {"ETag", "\"e\""}, {"Content-Type", "text/plain"}};
  entry.body = body("0123456789");
  struct row {
    std::optional<std::string_view> range;
    int status;
    std::size_t offset;
    std::size_t length;
    std::optional<std::string_view> content_range;
  };
  const row rows[] = {
      {std::nullopt, 200, 0, 10, std::nullopt},    {"bytes=0-0", 206, 0, 1, "bytes 0-0/10"},
      {"bytes=2-5", 206, 2, 4, "bytes 2-5/10"},    {"bytes=8-", 206, 8, 2, "bytes 8-9/10"},
      {"bytes=-3", 206, 7, 3, "bytes 7-9/10"},     {"bytes=-30", 206, 0, 10, "bytes 0-9/10"},
      {"bytes=5-100", 206, 5, 5, "bytes 5-9/10"},  {"bytes=10-", 416, 0, 0, "bytes */10"},
      {"bytes=0-1,3-4", 200, 0, 10, std::nullopt},  // several ranges: S3 sends the whole object
      {"items=0-1", 200, 0, 10, std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.range.value_or("<none>"));
    const edge_response out = respond_from_cache(entry, r.range);
    CHECK(out.status == r.status);
    CHECK(out.offset == r.offset);
    CHECK(out.length == r.length);
    CHECK(out.body == entry.body);
    CHECK(find(out.headers, "Content-Range") == r.content_range);
    CHECK(find(out.headers, "Content-Length") == std::to_string(r.length));
  }
  cached_response not_found = entry;
  not_found.status = 404;
  CHECK(respond_from_cache(not_found, "bytes=0-1").status == 404);
}

TEST_CASE("edge cache: viewer conditions are answered from the cached object", "[edge]") {
  cached_response entry;
  entry.status = 200;
  entry.headers = {{"Content-Length", "10"},
                   {"ETag", "\"abc\""},
                   {"Last-Modified", "Sun, 06 Dec 2026 00:00:00 GMT"},
                   {"Cache-Control", "max-age=60"},
                   {"Content-Type", "text/plain"}};
  entry.body = body("0123456789");
  struct row {
    viewer_conditions conditions;
    std::optional<std::string_view> range;
    int status;
  };
  const row rows[] = {
      {{}, std::nullopt, 200},
      {{.if_none_match = "\"abc\""}, std::nullopt, 304},
      {{.if_none_match = "W/\"abc\""}, std::nullopt, 304},  // If-None-Match compares weakly
      {{.if_none_match = "\"other\""}, std::nullopt, 200},
      {{.if_none_match = "*"}, std::nullopt, 304},
      {{.if_modified_since = "Sun, 06 Dec 2026 00:00:00 GMT"}, std::nullopt, 304},
      {{.if_modified_since = "Sat, 05 Dec 2026 00:00:00 GMT"}, std::nullopt, 200},
      {{.if_match = "\"abc\""}, std::nullopt, 200},
      {{.if_match = "\"other\""}, std::nullopt, 412},
      {{.if_unmodified_since = "Sat, 05 Dec 2026 00:00:00 GMT"}, std::nullopt, 412},
      {{.if_match = "\"other\""}, "bytes=0-1", 412},
      {{.if_range = "\"abc\""}, "bytes=0-1", 206},
      {{.if_range = "Sun, 06 Dec 2026 00:00:00 GMT"}, "bytes=0-1", 206},
      {{.if_range = "\"old\""}, "bytes=0-1", 200},
      {{.if_range = "W/\"abc\""}, "bytes=0-1", 200},  // a weak tag never matches If-Range
  };
  for (const auto& r : rows) {
    CAPTURE(r.status, r.range.value_or("<none>"));
    const edge_response out = respond_from_cache(entry, r.range, r.conditions);
    CHECK(out.status == r.status);
    if (r.status == 304) {
      CHECK(out.length == 0);
      CHECK(find(out.headers, "ETag") == "\"abc\"");
      CHECK(find(out.headers, "Cache-Control") == "max-age=60");
      CHECK_FALSE(find(out.headers, "Content-Length"));
      CHECK_FALSE(find(out.headers, "Content-Type"));
    }
    if (r.status == 412) CHECK(out.length == 0);
  }

  SECTION("an entry without validators ignores conditions on them") {
    cached_response bare = entry;
    bare.headers = {{"Content-Length", "10"}};
    CHECK(respond_from_cache(bare, std::nullopt, {.if_none_match = "*"}).status == 200);
    CHECK(respond_from_cache(bare, std::nullopt, {.if_modified_since = "Sun, 06 Dec 2026 00:00:00 GMT"})
              .status == 200);
  }
}

TEST_CASE("edge cache: X-Cache, Via, Age and the CloudFront ids", "[edge]") {
  std::vector<header_field> headers = {{"Age", "3"}};
  add_edge_headers(headers, cache_outcome::refresh_hit, 7, "abc.cloudfront.net", "LOCAL1-C1", "id==");
  CHECK(find(headers, "X-Cache") == "RefreshHit from cloudfront");
  CHECK(find(headers, "Via") == "1.1 abc.cloudfront.net (CloudFront)");
  CHECK(find(headers, "X-Amz-Cf-Pop") == "LOCAL1-C1");
  CHECK(find(headers, "X-Amz-Cf-Id") == "id==");
  CHECK(find(headers, "Age") == "7");
  CHECK(headers.size() == 5);
  CHECK(x_cache_value(cache_outcome::hit) == "Hit from cloudfront");
  CHECK(x_cache_value(cache_outcome::miss) == "Miss from cloudfront");
  CHECK(x_cache_value(cache_outcome::error) == "Error from cloudfront");
}

TEST_CASE("edge cache: many threads look up and store at once", "[edge]") {
  edge_cache cache(64 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 500; ++i) {
        const cache_key k = key_for("/k" + std::to_string((i * 7 + t) % 50));
        if (cache.lookup(k.text, t0).kind != lookup_kind::hit)
          (void)cache.store(k, 200, {}, body(std::string(500, 'z')), 60, t0);
      }
    });
  }
  for (auto& th : threads) th.join();
  const cache_stats s = cache.stats();
  CHECK(s.hits + s.misses == 2000);
  CHECK(s.bytes <= cache.max_bytes());
}

// ---------------------------------------------------------------------------------------------
// The issue's story, at the core level: a viewer without Origin fills the cache, then a browser
// asks for the same object with Origin.

namespace {

struct viewer {
  std::vector<header_field> headers;
};

// The origin bucket: S3 answers CORS headers only when the request carries an allowed Origin.
std::vector<header_field> bucket_answer(const origin_request& request) {
  std::vector<header_field> headers = {{"Content-Type", "text/plain"}, {"Cache-Control", "max-age=300"}};
  for (const auto& [name, value] : request.headers) {
    if (name == "Origin" || name == "origin") {
      headers.emplace_back("Access-Control-Allow-Origin", value);
      headers.emplace_back("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    }
  }
  return headers;
}

struct edge_result {
  cache_outcome outcome;
  std::vector<header_field> headers;
};

edge_result serve(edge_cache& cache, const distribution_config& d, const viewer& v,
                  std::chrono::sys_seconds now) {
  const request_view request{"GET", "/video/a.m3u8", "", v.headers};
  const cache_behavior& b = match_behavior(d, request.path);
  const cache_key key = compute_cache_key(d.id, b, request);
  auto found = cache.lookup(key.text, now);
  cache_outcome outcome = cache_outcome::hit;
  std::shared_ptr<const cached_response> entry = found.entry;
  if (found.kind != lookup_kind::hit) {
    outcome = cache_outcome::miss;
    auto headers = bucket_answer(build_origin_request(b, request));
    const ttl_decision ttl = compute_ttl(200, headers, b.cache, d.error_caching_min_ttl_for(200), now);
    REQUIRE(ttl.store);
    entry = cache.store(key, 200, std::move(headers), body("#EXTM3U"), ttl.ttl, now);
  }
  edge_response response = respond_from_cache(*entry, std::nullopt);
  if (b.response_headers) apply_response_headers_policy(*b.response_headers, request, response.headers);
  add_edge_headers(
      response.headers, outcome,
      outcome == cache_outcome::hit ? std::optional<std::uint64_t>(entry->age(now)) : std::nullopt,
      "edge.cloudfront.net", "LOCAL1", "id");
  return {outcome, response.headers};
}

distribution_config story_distribution(std::string_view cache_policy_json, std::string_view response_policy) {
  std::string text = R"({"id": "E1", "origin": "media", "default_behavior": {"cache_policy": )" +
                     std::string(cache_policy_json) + R"(, "origin_request_policy": "CORS-S3Origin")";
  if (!response_policy.empty())
    text += R"(, "response_headers_policy": ")" + std::string(response_policy) + "\"";
  text += "}}";
  auto parsed = parse_distribution(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

const viewer curl{{}};
const viewer browser{{{"Origin", "https://player.example"}}};

}  // namespace

TEST_CASE("edge story: CachingOptimized serves the cached response without ACAO to a CORS request",
          "[edge]") {
  edge_cache cache(1 << 20);
  const auto d = story_distribution(R"("CachingOptimized")", "");
  const auto first = serve(cache, d, curl, t0);
  CHECK(first.outcome == cache_outcome::miss);
  CHECK(find(first.headers, "X-Cache") == "Miss from cloudfront");

  const auto second = serve(cache, d, browser, t0 + seconds(5));
  CHECK(second.outcome == cache_outcome::hit);
  CHECK(find(second.headers, "X-Cache") == "Hit from cloudfront");
  CHECK(find(second.headers, "Age") == "5");
  CHECK_FALSE(find(second.headers, "Access-Control-Allow-Origin"));  // the browser fails: no ACAO
  CHECK(cache.stats().entries == 1);
}

TEST_CASE("edge story: with Origin in the cache key the two requests are separate entries", "[edge]") {
  edge_cache cache(1 << 20);
  const auto d = story_distribution(R"({"Name": "origin-in-key", "MinTTL": 1, "DefaultTTL": 86400,
      "MaxTTL": 31536000, "ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": true,
      "EnableAcceptEncodingBrotli": true, "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Origin"]},
      "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}})",
                                    "");
  CHECK(serve(cache, d, curl, t0).outcome == cache_outcome::miss);
  const auto second = serve(cache, d, browser, t0 + seconds(5));
  CHECK(second.outcome == cache_outcome::miss);
  CHECK(find(second.headers, "Access-Control-Allow-Origin") == "https://player.example");
  CHECK(cache.stats().entries == 2);
  const auto third = serve(cache, d, browser, t0 + seconds(6));
  CHECK(third.outcome == cache_outcome::hit);
  CHECK(find(third.headers, "Access-Control-Allow-Origin") == "https://player.example");
}

TEST_CASE("edge story: SimpleCORS adds ACAO at the edge to the shared cached response", "[edge]") {
  edge_cache cache(1 << 20);
  const auto d = story_distribution(R"("CachingOptimized")", "SimpleCORS");
  const auto first = serve(cache, d, curl, t0);
  CHECK_FALSE(find(first.headers, "Access-Control-Allow-Origin"));
  const auto second = serve(cache, d, browser, t0 + seconds(5));
  CHECK(second.outcome == cache_outcome::hit);
  CHECK(find(second.headers, "Access-Control-Allow-Origin") == "*");
  CHECK(cache.stats().entries == 1);
}
