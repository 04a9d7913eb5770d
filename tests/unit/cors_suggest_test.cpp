#include "s3cors/cors/suggest.hpp"

#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/parse.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The minimal CORS change that allows a refused request (suggest.hpp; docs/cors.md §7, §9, §10).

namespace cors = s3cors::cors;

namespace {

cors::cors_rule rule(std::vector<std::string> origins, std::vector<std::string> methods,
                     std::vector<std::string> headers = {}, std::vector<std::string> expose = {}) {
  return cors::cors_rule{std::nullopt,       std::move(origins), std::move(methods),
                         std::move(headers), std::move(expose),  std::nullopt};
}

/// Rule 0 another site, rule 1 the player's site for GET only, rule 2 uploads from anywhere.
const cors::cors_configuration& sample() {
  static const cors::cors_configuration config{{
      rule({"https://other.example"}, {"GET", "HEAD"}),
      rule({"https://player.example"}, {"GET"}, {}, {"ETag"}),
      rule({"*"}, {"PUT"}, {"content-type"}),
  }};
  return config;
}

bool exposes(const cors::decision& d, std::string_view header) {
  for (const auto& [name, value] : d.headers) {
    if (name != "Access-Control-Expose-Headers") continue;
    return value.find(header) != std::string::npos;
  }
  return false;
}

}  // namespace

TEST_CASE("cors suggest: table of refusals, the summary, the rule changed and a round trip",
          "[cors][suggest]") {
  struct row {
    std::string_view name;
    cors::cors_request request;
    bool preflight;
    std::vector<std::string_view> exposed;
    std::string_view summary;
    std::optional<std::size_t> rule;
  };
  const std::vector<row> rows = {
      {"method missing: add HEAD to the rule whose origin matched",
       {"https://player.example", "HEAD", std::nullopt, std::nullopt},
       false,
       {},
       "add HEAD to rule 1's AllowedMethods",
       1},
      {"preflight method missing",
       {"https://player.example", "OPTIONS", "HEAD", std::nullopt},
       true,
       {},
       "add HEAD to rule 1's AllowedMethods",
       1},
      {"header missing: add the lowercase header to AllowedHeaders",
       {"https://player.example", "OPTIONS", "GET", "Range, X-Playback-Session-Id"},
       true,
       {},
       "add range, x-playback-session-id to rule 1's AllowedHeaders",
       1},
      {"header refused by a rule that has some AllowedHeaders",
       {"https://up.example", "OPTIONS", "PUT", "content-type, x-amz-date"},
       true,
       {},
       "add x-amz-date to rule 2's AllowedHeaders",
       2},
      {"method and header: the latest failure is widened for both",
       {"https://player.example", "OPTIONS", "HEAD", "range"},
       true,
       {},
       "add HEAD to rule 1's AllowedMethods; add range to rule 1's AllowedHeaders",
       1},
      {"allowed, but the page reads headers the rule does not expose",
       {"https://player.example", "GET", std::nullopt, std::nullopt},
       false,
       {"Content-Range", "etag", "Date", "Date"},
       "add Content-Range, Date to rule 1's ExposeHeaders",
       1},
      {"an origin only the \"*\" rule matches: that rule is widened (the latest failure)",
       {"https://new.example", "GET", std::nullopt, std::nullopt},
       false,
       {"Content-Range"},
       "add GET to rule 2's AllowedMethods; add Content-Range to rule 2's ExposeHeaders",
       2},
      {"header mismatch beats an earlier method mismatch",
       {"https://other.example", "OPTIONS", "PUT", "content-type, x-foo"},
       true,
       {},
       "add x-foo to rule 2's AllowedHeaders",
       2},
  };
  for (const row& r : rows) {
    SECTION(std::string(r.name)) {
      const bool allowed = cors::evaluate(sample(), r.request, r.preflight).matched_rule.has_value();
      REQUIRE((!allowed || !r.exposed.empty()));
      const auto fix = cors::suggest_fix(sample(), r.request, r.preflight, r.exposed);
      REQUIRE(fix);
      CHECK(fix->summary == r.summary);
      CHECK(fix->rule == r.rule);
      // The JSON is what `aws s3api put-bucket-cors --cors-configuration` takes, pretty-printed.
      CHECK(fix->configuration_json.rfind("{\n  \"CORSRules\": [", 0) == 0);
      // Round trip: the pasted configuration allows the request and exposes what the page reads.
      const auto changed = cors::parse_json(fix->configuration_json);
      REQUIRE(changed.has_value());
      const cors::decision d = cors::evaluate(*changed, r.request, r.preflight);
      REQUIRE(d.matched_rule);
      if (r.rule) CHECK(*d.matched_rule == *r.rule);
      for (const std::string_view h : r.exposed) CHECK((exposes(d, h) || h == "etag"));
      // Nothing left to fix.
      CHECK_FALSE(cors::suggest_fix(*changed, r.request, r.preflight, r.exposed));
      CHECK(cors::suggested_configuration(*fix) == *changed);
    }
  }
}

TEST_CASE("cors suggest: nothing to suggest", "[cors][suggest]") {
  SECTION("already allowed") {
    CHECK_FALSE(
        cors::suggest_fix(sample(), {"https://player.example", "GET", std::nullopt, std::nullopt}, false));
    const std::vector<std::string_view> exposed = {"ETAG"};
    CHECK_FALSE(cors::suggest_fix(sample(), {"https://player.example", "GET", std::nullopt, std::nullopt},
                                  false, exposed));
  }
  SECTION("no Origin: not a CORS request") {
    CHECK_FALSE(cors::suggest_fix(sample(), {"", "HEAD", std::nullopt, std::nullopt}, false));
  }
  SECTION("a method S3 cannot allow") {
    CHECK_FALSE(
        cors::suggest_fix(sample(), {"https://player.example", "OPTIONS", "PATCH", std::nullopt}, true));
    // A preflight without Access-Control-Request-Method judges OPTIONS.
    CHECK_FALSE(
        cors::suggest_fix(sample(), {"https://player.example", "OPTIONS", std::nullopt, std::nullopt}, true));
  }
}

TEST_CASE("cors suggest: an origin no rule names gets a new last rule for exactly it", "[cors][suggest]") {
  const cors::cors_configuration config{{sample().rules[0], sample().rules[1]}};
  const cors::cors_request request{"https://new.example", "OPTIONS", "GET", "range, Range"};
  const auto fix = cors::suggest_fix(config, request, true);
  REQUIRE(fix);
  CHECK(fix->summary == "add rule 2 allowing GET from origin https://new.example with AllowedHeaders range");
  CHECK_FALSE(fix->rule);
  const auto changed = cors::suggested_configuration(*fix);
  REQUIRE(changed.has_value());
  REQUIRE(changed->rules.size() == 3);
  CHECK(changed->rules[2] == rule({"https://new.example"}, {"GET"}, {"range"}));
  CHECK(cors::evaluate(*changed, request, true).matched_rule == 2u);
}

TEST_CASE("cors suggest: a bucket without rules gets its first rule", "[cors][suggest]") {
  const auto fix = cors::suggest_fix({}, {"https://player.example", "OPTIONS", "GET", "range"}, true,
                                     std::vector<std::string_view>{"Content-Range"});
  REQUIRE(fix);
  CHECK(fix->summary ==
        "add rule 0 allowing GET from origin https://player.example with AllowedHeaders range and "
        "ExposeHeaders "
        "Content-Range");
  CHECK_FALSE(fix->rule);
  CHECK(fix->configuration_json ==
        "{\n"
        "  \"CORSRules\": [\n"
        "    {\n"
        "      \"AllowedHeaders\": [\n"
        "        \"range\"\n"
        "      ],\n"
        "      \"AllowedMethods\": [\n"
        "        \"GET\"\n"
        "      ],\n"
        "      \"AllowedOrigins\": [\n"
        "        \"https://player.example\"\n"
        "      ],\n"
        "      \"ExposeHeaders\": [\n"
        "        \"Content-Range\"\n"
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}");
}

TEST_CASE("cors suggest: never a \"*\" origin, and at 100 rules an existing rule is widened",
          "[cors][suggest]") {
  cors::cors_configuration full;
  for (int i = 0; i < 99; ++i)
    full.rules.push_back(rule({"https://s" + std::to_string(i) + ".example"}, {"PUT"}));
  full.rules.push_back(rule({"https://last.example"}, {"GET"}));
  const cors::cors_request request{"https://player.example", "GET", std::nullopt, std::nullopt};
  const auto fix = cors::suggest_fix(full, request, false);
  REQUIRE(fix);
  CHECK(fix->summary == "add https://player.example to rule 99's AllowedOrigins");
  CHECK(fix->rule == 99u);
  CHECK(fix->configuration_json.find("\"*\"") == std::string::npos);
  const auto changed = cors::suggested_configuration(*fix);
  REQUIRE(changed.has_value());
  CHECK(changed->rules.size() == 100);
  CHECK(cors::evaluate(*changed, request, false).matched_rule == 99u);
}

TEST_CASE("cors suggest: credentials with a \"*\" rule get a rule for the exact origin first",
          "[cors][suggest]") {
  const cors::cors_configuration config{{rule({"*"}, {"GET", "HEAD"}, {}, {"Content-Range"})}};
  const cors::cors_request request{"https://player.example", "GET", std::nullopt, std::nullopt};
  const auto fix = cors::suggest_credentials_fix(config, request, false);
  REQUIRE(fix);
  CHECK_FALSE(fix->rule);
  CHECK(fix->summary.rfind("insert before rule 0 a copy of it for origin https://player.example", 0) == 0);
  const auto changed = cors::suggested_configuration(*fix);
  REQUIRE(changed.has_value());
  REQUIRE(changed->rules.size() == 2);
  const cors::decision d = cors::evaluate(*changed, request, false);
  CHECK(d.matched_rule == 0u);
  CHECK(std::find(d.headers.begin(), d.headers.end(),
                  std::pair<std::string, std::string>{"Access-Control-Allow-Credentials", "true"}) !=
        d.headers.end());
  CHECK(changed->rules[0].expose_headers == std::vector<std::string>{"Content-Range"});
  // An exact-origin rule or a refusal: nothing for this function to do.
  CHECK_FALSE(cors::suggest_credentials_fix(*changed, request, false));
  CHECK_FALSE(cors::suggest_credentials_fix(
      config, {"https://player.example", "PUT", std::nullopt, std::nullopt}, false));
}
