#include "s3cors/edge/ttl.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string_view>
#include <vector>

namespace {

using namespace s3cors::edge;

// Date: Sun, 06 Dec 2026 01:00:00 GMT
constexpr std::chrono::sys_seconds now{std::chrono::seconds{1796518800}};

cache_policy ttls(std::uint64_t min, std::uint64_t def, std::uint64_t max) {
  cache_policy p;
  p.min_ttl = min;
  p.default_ttl = def;
  p.max_ttl = max;
  return p;
}

}  // namespace

TEST_CASE("edge ttl: Cache-Control parsing", "[edge]") {
  CHECK(parse_cache_control("max-age=60") == cache_directives{60, std::nullopt, false, false, false});
  CHECK(parse_cache_control("public, MAX-AGE=60, s-maxage=\"30\"") ==
        cache_directives{60, 30, false, false, false});
  CHECK(parse_cache_control("no-cache, no-store, private") ==
        cache_directives{std::nullopt, std::nullopt, true, true, true});
  CHECK(parse_cache_control("max-age=abc") == cache_directives{});
  CHECK(parse_cache_control("") == cache_directives{});
}

TEST_CASE("edge ttl: successful responses against min, default and max TTL", "[edge]") {
  struct row {
    const char* cache_control;  // nullptr = absent
    const char* expires;        // nullptr = absent
    std::uint64_t min;
    std::uint64_t def;
    std::uint64_t max;
    ttl_decision expected;
  };
  const row rows[] = {
      // No header: the default TTL (or MinTTL when larger).
      {nullptr, nullptr, 0, 86400, 31536000, {true, 86400}},
      {nullptr, nullptr, 100, 50, 31536000, {true, 100}},
      // max-age clamped into [min, max].
      {"max-age=60", nullptr, 0, 86400, 31536000, {true, 60}},
      {"max-age=60", nullptr, 120, 86400, 31536000, {true, 120}},
      {"max-age=999999999", nullptr, 0, 86400, 31536000, {true, 31536000}},
      // s-maxage wins over max-age.
      {"max-age=60, s-maxage=600", nullptr, 0, 86400, 31536000, {true, 600}},
      {"s-maxage=600, max-age=60", nullptr, 0, 86400, 300, {true, 300}},
      // Expires, measured from Date; Cache-Control max-age wins over it.
      {nullptr, "Sun, 06 Dec 2026 02:00:00 GMT", 0, 86400, 31536000, {true, 3600}},
      {nullptr, "Sun, 06 Dec 2026 02:00:00 GMT", 0, 86400, 600, {true, 600}},
      {"max-age=10", "Sun, 06 Dec 2026 02:00:00 GMT", 0, 86400, 31536000, {true, 10}},
      {nullptr, "Sun, 06 Dec 2026 00:00:00 GMT", 0, 86400, 31536000, {false, 0}},
      {nullptr, "not a date", 5, 86400, 31536000, {true, 5}},
      // no-cache/no-store/private: respected with MinTTL 0, else MinTTL.
      {"no-store", nullptr, 0, 86400, 31536000, {false, 0}},
      {"private, max-age=60", nullptr, 0, 86400, 31536000, {false, 0}},
      {"no-cache", nullptr, 30, 86400, 31536000, {true, 30}},
      // max-age=0 with MinTTL 0 keeps nothing; CachingDisabled keeps nothing.
      {"max-age=0", nullptr, 0, 86400, 31536000, {false, 0}},
      {"max-age=60", nullptr, 0, 0, 0, {false, 0}},
      {nullptr, nullptr, 0, 0, 0, {false, 0}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.cache_control ? r.cache_control : "-", r.expires ? r.expires : "-", r.min, r.def, r.max);
    std::vector<header_field> headers = {{"Date", "Sun, 06 Dec 2026 01:00:00 GMT"}};
    if (r.cache_control) headers.emplace_back("Cache-Control", r.cache_control);
    if (r.expires) headers.emplace_back("Expires", r.expires);
    CHECK(compute_ttl(200, headers, ttls(r.min, r.def, r.max), 10, now) == r.expected);
  }
}

TEST_CASE("edge ttl: which statuses are cached", "[edge]") {
  const auto policy = ttls(0, 86400, 31536000);
  for (const int status : {200, 203, 204, 300, 301, 302}) {
    CAPTURE(status);
    CHECK(compute_ttl(status, {}, policy, 10, now) == ttl_decision{true, 86400});
  }
  // 307 and 308 only with Cache-Control from the origin.
  const std::vector<header_field> with_cc = {{"Cache-Control", "public"}};
  for (const int status : {307, 308}) {
    CAPTURE(status);
    CHECK(compute_ttl(status, {}, policy, 10, now) == ttl_decision{false, 0});
    CHECK(compute_ttl(status, with_cc, policy, 10, now) == ttl_decision{true, 86400});
  }
  for (const int status : {400, 403, 404, 405, 410, 414, 500, 501, 502, 503, 504}) {
    CAPTURE(status);
    CHECK(compute_ttl(status, {}, policy, 10, now) == ttl_decision{true, 10});
  }
  for (const int status : {201, 206, 304, 401, 409, 412, 416, 429}) {
    CAPTURE(status);
    CHECK(compute_ttl(status, {}, policy, 10, now) == ttl_decision{false, 0});
  }
}

TEST_CASE("edge ttl: error caching minimum TTL against the origin's headers", "[edge]") {
  const auto policy = ttls(0, 86400, 3600);
  const std::vector<header_field> long_ttl = {{"Cache-Control", "max-age=300"}};
  const std::vector<header_field> short_ttl = {{"Cache-Control", "max-age=2"}};
  const std::vector<header_field> huge_ttl = {{"Cache-Control", "max-age=99999"}};
  const std::vector<header_field> no_store = {{"Cache-Control", "no-store"}};
  CHECK(compute_ttl(404, long_ttl, policy, 10, now) == ttl_decision{true, 300});  // the longer of the two
  CHECK(compute_ttl(404, short_ttl, policy, 10, now) == ttl_decision{true, 10});
  CHECK(compute_ttl(503, huge_ttl, policy, 10, now) == ttl_decision{true, 3600});  // at most MaxTTL
  CHECK(compute_ttl(404, {}, policy, 0, now) == ttl_decision{false, 0});           // error minimum 0
  // no-store keeps 404, 410, 414 and 501 out; other errors ignore it.
  for (const int status : {404, 410, 414, 501}) {
    CAPTURE(status);
    CHECK(compute_ttl(status, no_store, policy, 10, now) == ttl_decision{false, 0});
  }
  for (const int status : {403, 500, 503}) {
    CAPTURE(status);
    CHECK(compute_ttl(status, no_store, policy, 10, now) == ttl_decision{true, 10});
  }
}
