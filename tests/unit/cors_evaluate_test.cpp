#include "s3cors/cors/evaluate.hpp"

#include "s3cors/cors/pattern.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Rule matching and the headers of actual requests and preflights: docs/cors.md §6, §7, §9–§12.

namespace cors = s3cors::cors;
using header_pairs = std::vector<std::pair<std::string, std::string>>;
using verdict = cors::rule_trace::verdict;

namespace {

constexpr std::string_view vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

cors::cors_rule rule(std::vector<std::string> origins, std::vector<std::string> methods,
                     std::vector<std::string> headers = {}, std::vector<std::string> expose = {},
                     std::optional<long long> max_age = std::nullopt,
                     std::optional<std::string> id = std::nullopt) {
  return cors::cors_rule{std::move(id),      std::move(origins), std::move(methods),
                         std::move(headers), std::move(expose),  max_age};
}

cors::cors_request actual(std::string_view origin, std::string_view method,
                          std::optional<std::string_view> acrm = std::nullopt,
                          std::optional<std::string_view> acrh = std::nullopt) {
  return cors::cors_request{origin, method, acrm, acrh};
}

cors::cors_request preflight(std::string_view origin, std::string_view acrm,
                             std::optional<std::string_view> acrh = std::nullopt) {
  return cors::cors_request{origin, "OPTIONS", acrm, acrh};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// §7.1 origin patterns

TEST_CASE("cors §7.1: origin patterns — exact, '*', one '*' anchored, zero or more characters", "[cors]") {
  struct row {
    std::string_view pattern;
    std::string_view origin;
    bool matches;
    std::string_view evidence;
  };
  const auto r = GENERATE(values<row>({
      {"*", "http://anything.example", true, "'*' alone matches anything"},
      {"*", "null", true, "'*' alone matches anything"},
      {"http://localhost:4200", "http://localhost:4200", true, "exact"},
      {"http://localhost:4200", "https://localhost:4200", false, "REC opt-wrong-origin: scheme differs"},
      {"http://localhost:4200", "http://localhost:4201", false, "port differs"},
      {"http://localhost:4200", "http://localhost", false, "port missing"},
      {"http://localhost:4200", "http://localhost:4200/", false, "no trailing '/'"},
      {"http://Localhost:4200", "http://localhost:4200", false, "§14: case-sensitive"},
      {"http://*.origin.com", "http://test.origin.com", true, "REC options_match_partial_origin"},
      {"http://*.origin.com", "http://test.origin.com/", false, "REC test_cors_options_fails_partial_origin"},
      {"http://*.origin.com", "http://a.b.origin.com", true, "'*' spans dots"},
      {"http://*.origin.com", "http://.origin.com", true, "'*' matches zero characters"},
      {"http://*.origin.com", "https://test.origin.com", false, "anchored at the start"},
      {"start*end", "startend", true, "CEPH: zero characters"},
      {"start*end", "start1end", true, "CEPH"},
      {"start*end", "start12end", true, "CEPH"},
      {"start*end", "0start12end", false, "CEPH: anchored"},
      {"start*end", "start12end0", false, "anchored at the end"},
      {"abab*abab", "ababab", false, "prefix and suffix may not overlap: len(O) >= len(A)+len(B)"},
      {"abab*abab", "abababab", true, "prefix and suffix adjacent"},
      {"prefix*", "prefix", true, "CEPH"},
      {"prefix*", "prefix.suffix", true, "CEPH"},
      {"prefix*", "bla.prefix", false, "CEPH"},
      {"*suffix", "foo.suffix", true, "CEPH"},
      {"*suffix", "foo.suffix.get", false, "CEPH"},
      {"foo.suffix", "foo.suffix", true, "§1: patterns, not URLs"},
      {"localhost:4566", "localhost:4566", true, "§1: patterns, not URLs"},
      {"", "", true,
       "§1: an empty pattern is stored; it can only equal an empty Origin (never evaluated, §6)"},
      {"", "http://a", false, "empty pattern"},
  }));
  CAPTURE(r.pattern, r.origin, r.evidence);
  CHECK(cors::origin_matches(r.pattern, r.origin) == r.matches);
}

TEST_CASE("cors §7.3: header patterns — case-insensitive, same one-'*' semantics", "[cors]") {
  struct row {
    std::string_view pattern;
    std::string_view name;
    bool matches;
  };
  const auto r = GENERATE(values<row>({
      {"*", "x-anything", true},
      {"x-amz-*", "x-amz-date", true},
      {"x-amz-*", "x-amz-", true},
      {"X-AMZ-*", "x-amz-meta-a", true},
      {"x-amz-*", "x-goog-date", false},
      {"x-amz-*", "content-type", false},
      {"Content-Type", "content-type", true},
      {"content-type", "content-type-x", false},
      {"*-id", "x-request-id", true},
      {"*-id", "x-request-ids", false},
  }));
  CAPTURE(r.pattern, r.name);
  CHECK(cors::header_matches(r.pattern, r.name) == r.matches);
}

TEST_CASE("cors §7: Access-Control-Request-Headers split, trimmed, lowercased, empty items dropped",
          "[cors]") {
  struct row {
    std::string_view value;
    std::vector<std::string> names;
  };
  const auto r = GENERATE(values<row>({
      {"", {}},
      {" , ,", {}},
      {"x-amz-date", {"x-amz-date"}},
      {"a,b", {"a", "b"}},
      {" X-AMZ-expected-BUCKET-owner ,\tContent-Type\t", {"x-amz-expected-bucket-owner", "content-type"}},
      {"b,,a", {"b", "a"}},
      {"a b", {"a b"}},
  }));
  CAPTURE(r.value);
  CHECK(cors::split_request_headers(r.value) == r.names);
}

// ---------------------------------------------------------------------------------------------
// §6 which requests are CORS requests

TEST_CASE("cors §6/§10: without Origin nothing is evaluated and nothing is added (no Vary)", "[cors]") {
  const cors::cors_configuration config{{rule({"*"}, {"GET"})}};
  for (const bool is_preflight : {false, true}) {
    const auto d =
        cors::evaluate(config, is_preflight ? preflight("", "GET") : actual("", "GET"), is_preflight);
    CHECK_FALSE(d.matched_rule);
    CHECK(d.headers.empty());
    REQUIRE(d.trace.size() == 1);
    CHECK(d.trace[0].what == verdict::not_evaluated);
  }
}

TEST_CASE("cors §6: Origin is taken byte-for-byte; it need not be a URL", "[cors]") {
  const cors::cors_configuration config{{rule({"foo.suffix"}, {"GET"})}};
  const auto d = cors::evaluate(config, actual("foo.suffix", "GET"), false);
  REQUIRE(d.matched_rule == 0U);
  CHECK(d.headers.front() ==
        std::pair<std::string, std::string>{"Access-Control-Allow-Origin", "foo.suffix"});
}

// ---------------------------------------------------------------------------------------------
// §7 the three conditions and rule order

TEST_CASE("cors §7.2: the judged method is ACRM when present, on any request", "[cors]") {
  const cors::cors_configuration config{{rule({"*"}, {"GET"})}};
  struct row {
    std::string_view name;
    cors::cors_request request;
    bool matches;
  };
  const auto r = GENERATE(values<row>({
      {"GET plain", actual("http://a", "GET"), true},
      {"PUT plain", actual("http://a", "PUT"), false},
      {"REC get-wrong-op: GET carrying ACRM PUT is judged as PUT", actual("http://a", "GET", "PUT"), false},
      {"CEPH: PUT carrying ACRM GET is judged as GET", actual("http://a", "PUT", "GET"), true},
      {"methods are exact strings: ACRM get", actual("http://a", "GET", "get"), false},
      {"empty ACRM is present and matches nothing", actual("http://a", "GET", ""), false},
      {"HEAD is not GET", actual("http://a", "HEAD"), false},
  }));
  CAPTURE(r.name);
  const auto d = cors::evaluate(config, r.request, false);
  CHECK(d.matched_rule.has_value() == r.matches);
  CHECK(d.headers.empty() == !r.matches);
  if (!r.matches) CHECK(d.trace.at(0).what == verdict::method_mismatch);
}

TEST_CASE("cors §7.3: requested headers must all be allowed, also on actual requests", "[cors]") {
  struct row {
    std::string_view name;
    std::vector<std::string> allowed;
    std::optional<std::string_view> acrh;
    bool matches;
  };
  const auto r = GENERATE(values<row>({
      {"REC opt-get-headers: no AllowedHeaders refuses any header", {}, "x-amz-date", false},
      {"no AllowedHeaders, no ACRH", {}, std::nullopt, true},
      {"no AllowedHeaders, ACRH with only empty items", {}, " , ", true},
      {"'*' allows any header", {"*"}, "x-amz-date, content-type", true},
      {"exact name, different case [REC opt-get-allowed-diff-casing]",
       {"x-amz-expected-bucket-owner"},
       "x-AMZ-expected-BUCKET-owner",
       true},
      {"configured with capitals [REC get-bucket-cors-casing]", {"X-Amz-Date"}, "x-amz-date", true},
      {"x-amz-* allows all amazon headers", {"x-amz-*"}, "x-amz-date,x-amz-content-sha256", true},
      {"one disallowed name fails the whole rule [DOC]", {"x-amz-*"}, "x-amz-date, content-type", false},
      {"REC get-non-allowed-with-acl: actual request with a disallowed ACRH",
       {"x-amz-date"},
       "x-amz-acl",
       false},
  }));
  CAPTURE(r.name);
  const cors::cors_configuration config{{rule({"*"}, {"GET"}, r.allowed)}};
  const auto d = cors::evaluate(config, actual("http://a", "GET", std::nullopt, r.acrh), false);
  CHECK(d.matched_rule.has_value() == r.matches);
  if (!r.matches) CHECK(d.trace.at(0).what == verdict::header_mismatch);
}

TEST_CASE("cors §7: the first matching rule wins; partial matches are skipped; values never merged",
          "[cors]") {
  const cors::cors_configuration config{{
      rule({"http://a"}, {"GET"}, {}, {"x-first"}, 1),       // origin ok, method fails for PUT
      rule({"http://b"}, {"PUT"}, {}, {"x-second"}, 2),      // origin fails
      rule({"http://a"}, {"PUT"}, {"x-a"}, {"x-third"}, 3),  // header check decides
      rule({"http://a"}, {"PUT", "GET"}, {"*"}, {}, std::nullopt),
      rule({"*"}, {"PUT"}, {"*"}, {"x-last"}, 5),
  }};
  SECTION("method mismatch, origin mismatch, header mismatch, then a match") {
    const auto d = cors::evaluate(config, preflight("http://a", "PUT", "x-b"), true);
    REQUIRE(d.matched_rule == 3U);
    REQUIRE(d.trace.size() == 5);
    CHECK(d.trace[0].what == verdict::method_mismatch);
    CHECK(d.trace[1].what == verdict::origin_mismatch);
    CHECK(d.trace[2].what == verdict::header_mismatch);
    CHECK(d.trace[2].detail == "header x-b not allowed by AllowedHeaders [x-a]");
    CHECK(d.trace[3].what == verdict::matched);
    CHECK(d.trace[4].what == verdict::not_evaluated);
    for (std::size_t i = 0; i < d.trace.size(); ++i) CHECK(d.trace[i].index == i);
    // Nothing from rules 2 or 4 (expose headers, max-age) leaks in.
    CHECK(d.headers == header_pairs{{"Access-Control-Allow-Origin", "http://a"},
                                    {"Access-Control-Allow-Credentials", "true"},
                                    {"Access-Control-Allow-Methods", "PUT, GET"},
                                    {"Access-Control-Allow-Headers", "x-b"},
                                    {"Vary", std::string(vary)}});
  }
  SECTION("an earlier full match hides later rules") {
    const auto d = cors::evaluate(config, preflight("http://a", "PUT", "X-A"), true);
    CHECK(d.matched_rule == 2U);
    CHECK(d.headers.at(4) == std::pair<std::string, std::string>{"Access-Control-Expose-Headers", "x-third"});
  }
  SECTION("without explain: the same rule and headers, and no trace") {
    for (const auto& request : {preflight("http://a", "PUT", "x-b"), preflight("http://a", "PUT", "X-A"),
                                preflight("http://z", "PUT"), preflight("http://z", "DELETE"),
                                preflight("", "PUT"), actual("http://a", "GET")}) {
      const bool is_preflight = request.method == "OPTIONS";
      const auto explained = cors::evaluate(config, request, is_preflight);
      const auto quiet = cors::evaluate(config, request, is_preflight, false);
      CHECK(quiet.matched_rule == explained.matched_rule);
      CHECK(quiet.headers == explained.headers);
      CHECK(quiet.trace.empty());
    }
  }
  SECTION("only the wildcard rule is left") {
    const auto d = cors::evaluate(config, preflight("http://z", "PUT"), true);
    CHECK(d.matched_rule == 4U);
    CHECK(d.headers == header_pairs{{"Access-Control-Allow-Origin", "*"},
                                    {"Access-Control-Allow-Methods", "PUT"},
                                    {"Access-Control-Expose-Headers", "x-last"},
                                    {"Access-Control-Max-Age", "5"},
                                    {"Vary", std::string(vary)}});
  }
}

TEST_CASE("cors §7: trace details name what failed", "[cors]") {
  const cors::cors_configuration config{
      {rule({"https://*.example.com", "http://x"}, {"GET", "HEAD"}), rule({"*"}, {"PUT"})}};
  const auto d = cors::evaluate(config, actual("http://y", "GET", "DELETE", "x-foo"), false);
  CHECK_FALSE(d.matched_rule);
  CHECK(d.trace ==
        std::vector<cors::rule_trace>{
            {0, verdict::origin_mismatch,
             "origin \"http://y\" matches none of AllowedOrigins [https://*.example.com, http://x]"},
            {1, verdict::method_mismatch,
             "Access-Control-Request-Method \"DELETE\" not in AllowedMethods [PUT]"},
        });
  const auto h = cors::evaluate(cors::cors_configuration{{rule({"*"}, {"GET"})}},
                                actual("http://y", "GET", {}, "x-foo"), false);
  CHECK(h.trace.at(0).detail ==
        "header x-foo not allowed: the rule has no AllowedHeaders, so any Access-Control-Request-Headers is "
        "refused");
  CHECK(cors::to_string(verdict::header_mismatch) == "header_mismatch");
}

// ---------------------------------------------------------------------------------------------
// §9 preflight headers

TEST_CASE("cors §9: the example preflight, header for header", "[cors]") {
  const cors::cors_configuration config{{rule({"https://localhost:4200"}, {"GET", "PUT"}, {"*"}, {}, 3000)}};
  const auto d = cors::evaluate(config, preflight("https://localhost:4200", "PUT"), true);
  CHECK(d.headers == header_pairs{{"Access-Control-Allow-Origin", "https://localhost:4200"},
                                  {"Access-Control-Allow-Credentials", "true"},
                                  {"Access-Control-Allow-Methods", "GET, PUT"},
                                  {"Access-Control-Max-Age", "3000"},
                                  {"Vary", std::string(vary)}});
}

TEST_CASE("cors §9 table: each header's condition and value", "[cors]") {
  struct row {
    std::string_view name;
    cors::cors_rule r;
    cors::cors_request request;
    header_pairs expected;
  };
  const auto r = GENERATE(values<row>({
      {"REC opt-random-wildcard-origin: '*' answers '*' and no credentials",
       rule({"*"}, {"GET"}),
       preflight("http://random", "GET"),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Vary", std::string(vary)}}},
      {"§14: '*' next to specific origins answers '*' even for a listed origin",
       rule({"https://test.com", "*"}, {"GET"}),
       preflight("https://test.com", "GET"),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Vary", std::string(vary)}}},
      {"REC options_match_partial_origin: the Origin is echoed, never the pattern",
       rule({"http://*.origin.com"}, {"GET"}),
       preflight("http://test.origin.com", "GET"),
       {{"Access-Control-Allow-Origin", "http://test.origin.com"},
        {"Access-Control-Allow-Credentials", "true"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Vary", std::string(vary)}}},
      {"§12.4: all methods in configured order, not the requested one",
       rule({"*"}, {"PUT", "DELETE", "GET", "POST", "HEAD"}),
       preflight("http://a", "GET"),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "PUT, DELETE, GET, POST, HEAD"},
        {"Vary", std::string(vary)}}},
      {"REC opt-get-two / opt-get-allowed-no-space: requested names, lowercased, request order, ', '",
       rule({"*"}, {"GET"}, {"*"}),
       preflight("http://a", "GET", "X-B,x-A ,  Content-Type"),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Access-Control-Allow-Headers", "x-b, x-a, content-type"},
        {"Vary", std::string(vary)}}},
      {"Allow-Headers only when ACRH is non-empty",
       rule({"*"}, {"GET"}, {"*"}),
       preflight("http://a", "GET", " , "),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Vary", std::string(vary)}}},
      {"REC test_cors_expose_headers/opt-get: configured names, order and case",
       rule({"*"}, {"GET"}, {}, {"x-amz-request-id", "ETag", "Content-Length"}),
       preflight("http://a", "GET"),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Access-Control-Expose-Headers", "x-amz-request-id, ETag, Content-Length"},
        {"Vary", std::string(vary)}}},
      {"§14: MaxAgeSeconds 0 is sent",
       rule({"*"}, {"GET"}, {}, {}, 0),
       preflight("http://a", "GET"),
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET"},
        {"Access-Control-Max-Age", "0"},
        {"Vary", std::string(vary)}}},
      {"full order: Origin, Credentials, Methods, Headers, Expose, Max-Age, Vary",
       rule({"http://a"}, {"GET", "HEAD"}, {"x-*"}, {"ETag"}, 600),
       preflight("http://a", "HEAD", "x-y"),
       {{"Access-Control-Allow-Origin", "http://a"},
        {"Access-Control-Allow-Credentials", "true"},
        {"Access-Control-Allow-Methods", "GET, HEAD"},
        {"Access-Control-Allow-Headers", "x-y"},
        {"Access-Control-Expose-Headers", "ETag"},
        {"Access-Control-Max-Age", "600"},
        {"Vary", std::string(vary)}}},
  }));
  CAPTURE(r.name);
  const cors::cors_configuration config{{r.r}};
  CHECK(cors::evaluate(config, r.request, true).headers == r.expected);
}

// ---------------------------------------------------------------------------------------------
// §10 actual requests, §11 Vary

TEST_CASE("cors §10: actual requests get Allow-Origin, Credentials, Methods, Expose, Max-Age, Vary",
          "[cors]") {
  const cors::cors_configuration config{{rule({"http://a"}, {"GET", "HEAD"}, {"*"}, {"ETag"}, 3000)}};
  const header_pairs expected{{"Access-Control-Allow-Origin", "http://a"},
                              {"Access-Control-Allow-Credentials", "true"},
                              {"Access-Control-Allow-Methods", "GET, HEAD"},
                              {"Access-Control-Expose-Headers", "ETag"},
                              {"Access-Control-Max-Age", "3000"},
                              {"Vary", std::string(vary)}};
  SECTION("REC get-right-origin; §12.7: Max-Age and Allow-Methods on non-preflight responses") {
    CHECK(cors::evaluate(config, actual("http://a", "GET"), false).headers == expected);
  }
  SECTION("HEAD behaves as GET [DERIVED]") {
    CHECK(cors::evaluate(config, actual("http://a", "HEAD"), false).headers == expected);
  }
  SECTION("§10: no Allow-Headers on actual responses, even with allowed ACRH [UNCERTAIN → omit]") {
    CHECK(cors::evaluate(config, actual("http://a", "GET", std::nullopt, "x-amz-date"), false).headers ==
          expected);
  }
}

TEST_CASE("cors §10/§11: unmatched actual requests get no CORS headers and no Vary", "[cors]") {
  const cors::cors_configuration config{{rule({"http://a"}, {"GET"}, {"x-amz-date"})}};
  struct row {
    std::string_view name;
    cors::cors_request request;
  };
  const auto r = GENERATE(values<row>({
      {"REC get-wrong-origin", actual("http://b", "GET")},
      {"REC get-wrong-op / §12.8", actual("http://a", "GET", "PUT")},
      {"REC get-non-allowed-with-acl", actual("http://a", "GET", std::nullopt, "x-amz-acl")},
      {"REC put-op: method not allowed (the PUT itself is still served, §12.9)", actual("http://a", "PUT")},
      {"REC get-no-origin", actual("", "GET")},
  }));
  CAPTURE(r.name);
  const auto d = cors::evaluate(config, r.request, false);
  CHECK_FALSE(d.matched_rule);
  CHECK(d.headers.empty());
}

TEST_CASE("cors §10: without ExposeHeaders nothing is exposed, not even ETag [ISSUE vgw#1893]", "[cors]") {
  const cors::cors_configuration config{{rule({"*"}, {"GET"})}};
  const auto d = cors::evaluate(config, actual("http://a", "GET"), false);
  CHECK(d.headers == header_pairs{{"Access-Control-Allow-Origin", "*"},
                                  {"Access-Control-Allow-Methods", "GET"},
                                  {"Vary", std::string(vary)}});
}

TEST_CASE("cors §11: Vary is exactly one value, only on success", "[cors]") {
  const cors::cors_configuration config{{rule({"*"}, {"GET"})}};
  const auto ok = cors::evaluate(config, actual("http://a", "GET"), false);
  CHECK(ok.headers.back() == std::pair<std::string, std::string>{"Vary", std::string(vary)});
  CHECK(cors::vary_value == vary);
  CHECK(cors::evaluate(config, actual("http://a", "PUT"), false).headers.empty());
  CHECK(cors::evaluate(cors::cors_configuration{}, actual("http://a", "GET"), false).headers.empty());
}

TEST_CASE("cors §7: judged_method helper", "[cors]") {
  CHECK(cors::judged_method(actual("o", "GET")) == "GET");
  CHECK(cors::judged_method(actual("o", "GET", "PUT")) == "PUT");
}
