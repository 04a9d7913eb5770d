#include "s3cors/cors/explain.hpp"

#include "s3cors/cors/lint.hpp"
#include "s3cors/cors/parse.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

// Explanations of docs/cors.md §7–§11 decisions and lint advice on configurations (§1, §7, §9, §12).

namespace cors = s3cors::cors;
using severity = cors::lint_finding::severity;

namespace {

cors::cors_rule rule(std::vector<std::string> origins, std::vector<std::string> methods,
                     std::vector<std::string> headers = {}, std::vector<std::string> expose = {},
                     std::optional<long long> max_age = std::nullopt,
                     std::optional<std::string> id = std::nullopt) {
  return cors::cors_rule{std::move(id),      std::move(origins), std::move(methods),
                         std::move(headers), std::move(expose),  max_age};
}

const cors::cors_configuration& sample() {
  static const cors::cors_configuration config{{
      rule({"https://*.example.com"}, {"GET", "HEAD"}, {}, {"ETag"}, 3000, "player"),
      rule({"*"}, {"PUT"}, {"*"}, {"ETag"}),
  }};
  return config;
}

bool is_clean_ascii_line(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7F;
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// explain

TEST_CASE("cors explain §9: a successful preflight shows the decision, headers and each rule", "[cors]") {
  const std::string text =
      cors::explain(sample(), {"https://a.example.com", "OPTIONS", "PUT", "Content-Type, x-amz-date"}, true);
  CHECK(text ==
        "CORS preflight (OPTIONS) from Origin \"https://a.example.com\"\n"
        "  judged method: PUT (from Access-Control-Request-Method)\n"
        "  requested headers: content-type, x-amz-date\n"
        "Decision: 200 OK, allowed by rule 1\n"
        "S3 would send:\n"
        "  Access-Control-Allow-Origin: *\n"
        "  Access-Control-Allow-Methods: PUT\n"
        "  Access-Control-Allow-Headers: content-type, x-amz-date\n"
        "  Access-Control-Expose-Headers: ETag\n"
        "  Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method\n"
        "Rules:\n"
        "  rule 0 (ID \"player\"): method mismatch - Access-Control-Request-Method \"PUT\" not in "
        "AllowedMethods "
        "[GET, HEAD]\n"
        "  rule 1: matched\n");
}

TEST_CASE("cors explain §8: refusals show status, code and the exact message", "[cors]") {
  struct row {
    std::string_view name;
    cors::cors_request request;
    std::string_view decision_line;
    std::string_view rule_line;
  };
  const auto r = GENERATE(values<row>({
      {"step 1",
       {"", "OPTIONS", "GET", std::nullopt},
       "Decision: 400 BadRequest: Insufficient information. Origin request header needed.\n",
       "  rule 1: not evaluated - the preflight was refused before rule matching\n"},
      {"step 4",
       {"http://a", "OPTIONS", std::nullopt, std::nullopt},
       "Decision: 400 BadRequest: Invalid Access-Control-Request-Method: null\n",
       "  rule 0 (ID \"player\"): not evaluated - the preflight was refused before rule matching\n"},
      {"step 4b",
       {"http://a", "OPTIONS", "PATCH", std::nullopt},
       "Decision: 400 BadRequest: Invalid Access-Control-Request-Method: PATCH\n",
       "  rule 1: not evaluated - the preflight was refused before rule matching\n"},
      {"step 5",
       {"http://evil", "OPTIONS", "GET", std::nullopt},
       "Decision: 403 AccessForbidden: CORSResponse: This CORS request is not allowed. This is usually "
       "because the "
       "evalution of Origin, request method / Access-Control-Request-Method or "
       "Access-Control-Request-Headers are "
       "not whitelisted by the resource's CORS spec.\n",
       "  rule 0 (ID \"player\"): origin mismatch - origin \"http://evil\" matches none of AllowedOrigins "
       "[https://*.example.com]\n"},
      {"step 5, header",
       {"https://a.example.com", "OPTIONS", "GET", "Range"},
       "Decision: 403 AccessForbidden: ",
       "  rule 0 (ID \"player\"): header mismatch - header range not allowed: the rule has no "
       "AllowedHeaders, so "
       "any Access-Control-Request-Headers is refused\n"},
  }));
  CAPTURE(r.name);
  const std::string text = cors::explain(sample(), r.request, true);
  CAPTURE(text);
  CHECK_THAT(text, Catch::Contains(std::string(r.decision_line)) &&
                       Catch::Contains(std::string(r.rule_line)) &&
                       Catch::Contains("S3 would send: no Access-Control-* headers and no Vary\n"));
}

TEST_CASE("cors explain §10: actual requests — decorated, undecorated, not CORS", "[cors]") {
  const std::string matched =
      cors::explain(sample(), {"https://a.example.com", "GET", std::nullopt, std::nullopt}, false);
  CHECK(matched ==
        "Actual request GET from Origin \"https://a.example.com\"\n"
        "  judged method: GET\n"
        "Decision: allowed by rule 0 (ID \"player\"); the response gets CORS headers whatever its status\n"
        "S3 would send:\n"
        "  Access-Control-Allow-Origin: https://a.example.com\n"
        "  Access-Control-Allow-Credentials: true\n"
        "  Access-Control-Allow-Methods: GET, HEAD\n"
        "  Access-Control-Expose-Headers: ETag\n"
        "  Access-Control-Max-Age: 3000\n"
        "  Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method\n"
        "Rules:\n"
        "  rule 0 (ID \"player\"): matched\n"
        "  rule 1: not evaluated - rule 0 matched first\n");
  const std::string wrong_op =
      cors::explain(sample(), {"https://a.example.com", "GET", "DELETE", std::nullopt}, false);
  CHECK_THAT(wrong_op,
             Catch::Contains("  judged method: DELETE (from Access-Control-Request-Method)\n") &&
                 Catch::Contains("Decision: no rule matched; the request is served normally, without "
                                 "CORS headers\n"));
  const std::string no_origin = cors::explain(sample(), {"", "GET", std::nullopt, std::nullopt}, false);
  CHECK_THAT(no_origin, Catch::StartsWith("Actual request GET without Origin\n") &&
                            Catch::Contains("Decision: not a CORS request (no Origin)") &&
                            Catch::Contains("rule 0 (ID \"player\"): not evaluated - no Origin header"));
  CHECK_THAT(
      cors::explain(cors::cors_configuration{}, {"http://a", "GET", std::nullopt, std::nullopt}, false),
      Catch::EndsWith("Rules: none\n"));
}

TEST_CASE("cors one_line_explanation: ASCII, no CR/LF, bounded", "[cors]") {
  const auto matched =
      cors::evaluate(sample(), {"https://a.example.com", "PUT", std::nullopt, std::nullopt}, false);
  CHECK(cors::one_line_explanation(matched) ==
        "matched rule 1; skipped: rule 0 method_mismatch (method \"PUT\" not in AllowedMethods [GET, HEAD])");
  CHECK(cors::one_line_explanation(
            cors::evaluate(sample(), {"https://a.example.com", "GET", {}, {}}, false)) == "matched rule 0");
  const auto hostile =
      cors::evaluate(sample(), {"http://\xC3\xA4\r\nSet-Cookie: x", "DELETE", {}, {}}, false);
  const std::string line = cors::one_line_explanation(hostile);
  CHECK_THAT(line, Catch::StartsWith(
                       "no match: rule 0 origin_mismatch (origin \"http://\\xC3\\xA4\\x0D\\x0ASet-Cookie"));
  CHECK(is_clean_ascii_line(line));
  CHECK(cors::one_line_explanation(cors::evaluate(sample(), {"", "GET", {}, {}}, false)) ==
        "not evaluated: no Origin header: not a CORS request");
  CHECK(cors::one_line_explanation(cors::decision{}) == "no match: no rules");
  const std::string huge_origin(5000, 'o');
  const std::string capped =
      cors::one_line_explanation(cors::evaluate(sample(), {huge_origin, "GET", {}, {}}, false));
  CHECK(capped.size() == 1024);
  CHECK_THAT(capped, Catch::EndsWith("..."));
  CHECK(is_clean_ascii_line(capped));
}

// ---------------------------------------------------------------------------------------------
// lint

TEST_CASE("cors lint: clean configurations have no findings", "[cors]") {
  CHECK(
      cors::lint(cors::cors_configuration{{rule({"https://app.example.com"}, {"GET", "HEAD"}, {}, {}, 3000)}})
          .empty());
  CHECK(cors::lint(
            cors::cors_configuration{{
                rule({"https://app.example.com", "http://localhost:8080"}, {"PUT", "POST"}, {"*"}, {"ETag"}),
                rule({"*"}, {"GET", "HEAD"}),
            }})
            .empty());
}

TEST_CASE("cors lint: the console example with duplicate rules is valid but warned about", "[cors]") {
  const auto config = cors::parse_json(
      R"([{"AllowedHeaders":["*"],"AllowedMethods":["GET"],"AllowedOrigins":["*"],"ExposeHeaders":[],"MaxAgeSeconds":3000},
          {"AllowedHeaders":["*"],"AllowedMethods":["GET"],"AllowedOrigins":["*"],"ExposeHeaders":[],"MaxAgeSeconds":3000}])");
  REQUIRE(config.has_value());
  CHECK(cors::lint(*config) ==
        std::vector<cors::lint_finding>{
            {severity::warning, 0,
             "rule 0 allows GET but not HEAD; players and download widgets often send HEAD first"},
            {severity::warning, 1,
             "rule 1 duplicates rule 0; it never matches because the first matching rule wins"},
        });
}

TEST_CASE("cors lint: each warning", "[cors]") {
  struct row {
    std::string_view name;
    std::vector<cors::cors_rule> rules;
    std::size_t rule;
    std::string_view message_part;
  };
  const auto r = GENERATE(values<row>({
      {"duplicate (IDs differ)",
       {rule({"*"}, {"GET", "HEAD"}, {}, {}, std::nullopt, "a"),
        rule({"*"}, {"GET", "HEAD"}, {}, {}, std::nullopt, "b")},
       1,
       "duplicates rule 0"},
      {"§7 shadowed: '*' origin and a superset of methods first",
       {rule({"*"}, {"GET", "HEAD", "PUT"}, {"*"}, {"ETag"}),
        rule({"https://a.example"}, {"GET", "HEAD"}, {"x-a"})},
       1,
       "shadowed by rule 0"},
      {"§7 shadowed: pattern covers pattern, header pattern covers header pattern",
       {rule({"https://*.example.com"}, {"GET", "HEAD"}, {"X-Amz-*"}),
        rule({"https://*.cdn.example.com", "https://www.example.com"}, {"GET"},
             {"x-amz-meta-*", "x-amz-date"})},
       1,
       "shadowed by rule 0"},
      {"§7 shadowed: a later rule without AllowedHeaders accepts only header-less requests",
       {rule({"*"}, {"GET", "HEAD"}), rule({"http://a"}, {"HEAD"}, {}, {"ETag"}, 5)},
       1,
       "shadowed by rule 0"},
      {"GET without HEAD", {rule({"https://a.example"}, {"GET"})}, 0, "allows GET but not HEAD"},
      {"PUT without ETag exposed", {rule({"https://a.example"}, {"PUT"}, {"*"})}, 0, "does not expose ETag"},
      {"POST without ETag exposed",
       {rule({"https://a.example"}, {"POST"}, {"*"}, {"x-amz-version-id"})},
       0,
       "allows POST but does not expose ETag"},
      {"upload without AllowedHeaders",
       {rule({"https://a.example"}, {"PUT"}, {}, {"ETag"})},
       0,
       "has no AllowedHeaders"},
      {"upload headers without PUT/POST",
       {rule({"https://a.example"}, {"GET", "HEAD"}, {"Content-MD5"})},
       0,
       "neither PUT nor POST"},
      {"'*' origin with write methods",
       {rule({"*"}, {"PUT", "POST"}, {"*"}, {"ETag"})},
       0,
       "lets any origin ('*') send write methods"},
      {"'*' origin with DELETE",
       {rule({"*"}, {"DELETE"}, {}, {})},
       0,
       "lets any origin ('*') send write methods"},
      {"§9/§14: other origins next to '*'",
       {rule({"https://a.example", "*"}, {"GET", "HEAD"})},
       0,
       "lists other origins next to '*'"},
      {"names next to '*' in AllowedHeaders",
       {rule({"https://a.example"}, {"GET", "HEAD"}, {"*", "x-amz-date"})},
       0,
       "'*' already allows every header"},
      {"duplicate origin",
       {rule({"https://a.example", "https://a.example"}, {"GET", "HEAD"})},
       0,
       "lists https://a.example in AllowedOrigins more than once"},
      {"duplicate method",
       {rule({"https://a.example"}, {"GET", "HEAD", "GET"})},
       0,
       "lists GET in AllowedMethods more than once"},
      {"duplicate header, other case",
       {rule({"https://a.example"}, {"GET", "HEAD"}, {"X-A", "x-a"})},
       0,
       "in AllowedHeaders more than once"},
      {"duplicate expose header",
       {rule({"https://a.example"}, {"GET", "HEAD"}, {}, {"ETag", "etag"})},
       0,
       "in ExposeHeaders more than once"},
      {"§7.1 trailing '/'", {rule({"https://a.example/"}, {"GET", "HEAD"})}, 0, "ends with '/'"},
      {"§7.1 path", {rule({"https://a.example/app"}, {"GET", "HEAD"})}, 0, "has a path"},
      {"§14 upper case", {rule({"https://App.Example"}, {"GET", "HEAD"})}, 0, "upper-case"},
      {"no scheme", {rule({"app.example"}, {"GET", "HEAD"})}, 0, "has no scheme"},
      {"§1/§6 empty origin", {rule({"https://a.example", ""}, {"GET", "HEAD"})}, 0, "never matches"},
      {"negative MaxAgeSeconds", {rule({"https://a.example"}, {"GET", "HEAD"}, {}, {}, -1)}, 0, "negative"},
      {"MaxAgeSeconds above browser caps",
       {rule({"https://a.example"}, {"GET", "HEAD"}, {}, {}, 86401)},
       0,
       "browsers cap"},
      {"duplicate ID",
       {rule({"https://a.example"}, {"GET", "HEAD"}, {}, {}, std::nullopt, "x"),
        rule({"https://b.example"}, {"GET", "HEAD"}, {}, {}, std::nullopt, "x")},
       1,
       "reuses ID \"x\" of rule 0"},
  }));
  CAPTURE(r.name);
  const auto findings = cors::lint(cors::cors_configuration{r.rules});
  CAPTURE(findings.size());
  const bool found = std::any_of(findings.begin(), findings.end(), [&](const cors::lint_finding& f) {
    return f.level == severity::warning && f.rule == r.rule &&
           f.message.find(r.message_part) != std::string::npos;
  });
  for (const auto& f : findings) UNSCOPED_INFO(f.message);
  CHECK(found);
}

TEST_CASE("cors lint: not shadowed when the earlier rule allows less", "[cors]") {
  struct row {
    std::string_view name;
    cors::cors_rule earlier;
    cors::cors_rule later;
  };
  const auto r = GENERATE(values<row>({
      {"origin pattern narrower", rule({"https://*.a.example"}, {"GET", "HEAD"}),
       rule({"https://*.example"}, {"GET", "HEAD"})},
      {"exact origin cannot cover a pattern", rule({"https://a.example"}, {"GET", "HEAD"}),
       rule({"https://*"}, {"GET", "HEAD"})},
      {"method missing", rule({"*"}, {"GET", "HEAD"}), rule({"*"}, {"GET", "HEAD", "PUT"}, {"*"}, {"ETag"})},
      {"earlier has no AllowedHeaders", rule({"*"}, {"GET", "HEAD"}), rule({"*"}, {"GET", "HEAD"}, {"x-a"})},
      {"header pattern narrower", rule({"*"}, {"GET", "HEAD"}, {"x-amz-meta-*"}),
       rule({"*"}, {"GET", "HEAD"}, {"x-amz-*"})},
  }));
  CAPTURE(r.name);
  const auto findings = cors::lint(cors::cors_configuration{{r.earlier, r.later}});
  CHECK(std::none_of(findings.begin(), findings.end(), [](const cors::lint_finding& f) {
    return f.message.find("shadowed") != std::string::npos ||
           f.message.find("duplicates") != std::string::npos;
  }));
}

TEST_CASE("cors lint: PutBucketCors violations are errors (§3)", "[cors]") {
  const auto bad_method =
      cors::lint(cors::cors_configuration{{rule({"*"}, {"GET", "HEAD"}), rule({"*"}, {"OPTIONS"})}});
  REQUIRE_FALSE(bad_method.empty());
  CHECK(bad_method.front().level == severity::error);
  CHECK(bad_method.front().rule == 1U);
  CHECK_THAT(
      bad_method.front().message,
      Catch::StartsWith("InvalidRequest (Found unsupported HTTP method in CORS config. Unsupported method is "
                        "OPTIONS): rules[1].allowed_methods[0]: "));
  const auto no_rules = cors::lint(cors::cors_configuration{});
  REQUIRE(no_rules.size() == 1);
  CHECK(no_rules.front().level == severity::error);
  CHECK_FALSE(no_rules.front().rule.has_value());
  CHECK_THAT(no_rules.front().message, Catch::StartsWith("MalformedXML"));
  const std::vector<cors::cors_rule> many(101, rule({"*"}, {"GET", "HEAD"}));
  const auto too_many = cors::lint(cors::cors_configuration{many});
  CHECK(too_many.front().level == severity::error);
  CHECK_THAT(too_many.front().message, Catch::Contains("101 rules"));
}
