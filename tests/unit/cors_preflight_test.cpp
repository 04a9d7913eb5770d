#include "s3cors/cors/preflight.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The OPTIONS decision procedure of docs/cors.md §8 and the success of §9; surprises of §12.

namespace cors = s3cors::cors;
using refusal = cors::preflight_refusal;
using header_pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view not_allowed =
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request "
    "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
    "resource's CORS spec.";

const cors::cors_configuration& configured() {
  static const cors::cors_configuration config{{
      cors::cors_rule{std::nullopt, {"https://localhost:4200"}, {"GET", "PUT"}, {"*"}, {}, 3000},
      cors::cors_rule{std::nullopt, {"http://*.origin.com"}, {"GET"}, {}, {"ETag"}, std::nullopt},
  }};
  return config;
}

struct row {
  std::string_view name;
  const cors::cors_configuration* config;
  bool bucket_exists;
  bool url_has_key;
  std::string_view origin;
  std::optional<std::string_view> acrm;
  std::optional<std::string_view> acrh;
  refusal expected_refusal;
  unsigned status;
  std::string_view code;
  std::string_view message;
  std::optional<std::string> method_element;
  std::optional<std::string> resource_type;
};

}  // namespace

TEST_CASE("cors §8: each step's status, Code, Message, Method and ResourceType", "[cors]") {
  // Static: Catch keeps generated values across the re-runs of this test case.
  static const cors::cors_configuration empty{};
  const auto* const none = static_cast<const cors::cors_configuration*>(nullptr);
  const auto* const rules = &configured();
  const auto r = GENERATE_COPY(values<row>({
      // Step 1: no Origin, whatever else [REC options-no-origin, opt-no-origin, opt-referer; §12.1].
      {"step 1: no Origin, configured bucket", rules, true, true, "", "GET", std::nullopt,
       refusal::missing_origin, 400, "BadRequest", "Insufficient information. Origin request header needed.",
       std::nullopt, std::nullopt},
      {"step 1: no Origin beats a missing bucket", none, false, false, "", std::nullopt, std::nullopt,
       refusal::missing_origin, 400, "BadRequest", "Insufficient information. Origin request header needed.",
       std::nullopt, std::nullopt},
      {"step 1: no Origin beats a missing configuration", none, true, true, "", "PUT", "x-a",
       refusal::missing_origin, 400, "BadRequest", "Insufficient information. Origin request header needed.",
       std::nullopt, std::nullopt},
      // Step 2: bucket does not exist.
      {"step 2: no bucket, no ACRM → Method OPTIONS [REC options-with-origin]", none, false, true, "http://a",
       std::nullopt, std::nullopt, refusal::no_such_bucket, 403, "AccessForbidden",
       "CORSResponse: Bucket not found", "OPTIONS", "BUCKET"},
      {"step 2: no bucket, ACRM → Method = ACRM [DERIVED]", rules, false, false, "http://a", "DELETE",
       std::nullopt, refusal::no_such_bucket, 403, "AccessForbidden", "CORSResponse: Bucket not found",
       "DELETE", "BUCKET"},
      // Step 3: no configuration; BUCKET even for an object URL [REC; §12.2].
      {"step 3: no configuration, ACRM PUT [REC options-with-origin-and-method]", none, true, true,
       "http://a", "PUT", std::nullopt, refusal::cors_not_enabled, 403, "AccessForbidden",
       "CORSResponse: CORS is not enabled for this bucket.", "PUT", "BUCKET"},
      {"step 3: no configuration, no ACRM → OPTIONS [REC options-with-origin-no-method]", none, true, true,
       "http://a", std::nullopt, std::nullopt, refusal::cors_not_enabled, 403, "AccessForbidden",
       "CORSResponse: CORS is not enabled for this bucket.", "OPTIONS", "BUCKET"},
      {"step 3: bucket URL", none, true, false, "http://a", "GET", std::nullopt, refusal::cors_not_enabled,
       403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", "GET", "BUCKET"},
      {"step 3 before step 4b: invalid ACRM on an unconfigured bucket", none, true, true, "http://a", "PATCH",
       std::nullopt, refusal::cors_not_enabled, 403, "AccessForbidden",
       "CORSResponse: CORS is not enabled for this bucket.", "PATCH", "BUCKET"},
      {"step 3: a configuration without rules counts as none", &empty, true, true, "http://a", "GET",
       std::nullopt, refusal::cors_not_enabled, 403, "AccessForbidden",
       "CORSResponse: CORS is not enabled for this bucket.", "GET", "BUCKET"},
      // Step 4: configured bucket, no ACRM [CEPH test_cors_origin_response; CLONE message].
      {"step 4: no ACRM", rules, true, true, "https://localhost:4200", std::nullopt, std::nullopt,
       refusal::missing_request_method, 400, "BadRequest", "Invalid Access-Control-Request-Method: null",
       std::nullopt, std::nullopt},
      {"step 4: no ACRM, even with a wrong Origin", rules, true, false, "http://nope", std::nullopt, "x-a",
       refusal::missing_request_method, 400, "BadRequest", "Invalid Access-Control-Request-Method: null",
       std::nullopt, std::nullopt},
      // Step 4b: ACRM not one of the five [CLONE Scality; UNCERTAIN → 400].
      {"step 4b: PATCH", rules, true, true, "https://localhost:4200", "PATCH", std::nullopt,
       refusal::invalid_request_method, 400, "BadRequest", "Invalid Access-Control-Request-Method: PATCH",
       std::nullopt, std::nullopt},
      {"step 4b: lower-case get", rules, true, true, "https://localhost:4200", "get", std::nullopt,
       refusal::invalid_request_method, 400, "BadRequest", "Invalid Access-Control-Request-Method: get",
       std::nullopt, std::nullopt},
      {"step 4b: OPTIONS", rules, true, true, "https://localhost:4200", "OPTIONS", std::nullopt,
       refusal::invalid_request_method, 400, "BadRequest", "Invalid Access-Control-Request-Method: OPTIONS",
       std::nullopt, std::nullopt},
      {"step 4b: empty ACRM is present and invalid", rules, true, true, "https://localhost:4200", "",
       std::nullopt, refusal::invalid_request_method, 400, "BadRequest",
       "Invalid Access-Control-Request-Method: ", std::nullopt, std::nullopt},
      // Step 5: no rule matches; OBJECT for a key URL, BUCKET for the bucket URL.
      {"step 5: wrong scheme on an object URL [REC opt-wrong-origin]", rules, true, true,
       "http://localhost:4200", "GET", std::nullopt, refusal::no_rule_matched, 403, "AccessForbidden",
       not_allowed, "GET", "OBJECT"},
      {"step 5: trailing '/' on the bucket URL [REC test_cors_options_fails_partial_origin]", rules, true,
       false, "http://test.origin.com/", "GET", std::nullopt, refusal::no_rule_matched, 403,
       "AccessForbidden", not_allowed, "GET", "BUCKET"},
      {"step 5: method not allowed [REC opt-put]", rules, true, true, "http://test.origin.com", "PUT",
       std::nullopt, refusal::no_rule_matched, 403, "AccessForbidden", not_allowed, "PUT", "OBJECT"},
      {"step 5: header not allowed (rule without AllowedHeaders) [REC opt-get-headers; §12.12]", rules, true,
       true, "http://test.origin.com", "GET", "x-amz-date", refusal::no_rule_matched, 403, "AccessForbidden",
       not_allowed, "GET", "OBJECT"},
      {"step 5: DELETE is a valid ACRM that no rule allows", rules, true, true, "https://localhost:4200",
       "DELETE", std::nullopt, refusal::no_rule_matched, 403, "AccessForbidden", not_allowed, "DELETE",
       "OBJECT"},
      // Step 6.
      {"step 6: a rule matches", rules, true, true, "https://localhost:4200", "PUT", std::nullopt,
       refusal::none, 200, "", "", std::nullopt, std::nullopt},
      {"step 6: second rule, partial origin [REC options_match_partial_origin]", rules, true, false,
       "http://test.origin.com", "GET", std::nullopt, refusal::none, 200, "", "", std::nullopt, std::nullopt},
  }));
  CAPTURE(r.name);
  const auto out =
      cors::evaluate_preflight(r.config, r.bucket_exists, r.url_has_key, r.origin, r.acrm, r.acrh);
  CHECK(out.refusal == r.expected_refusal);
  CHECK(out.status == r.status);
  CHECK(out.code == r.code);
  CHECK(out.message == r.message);
  CHECK(out.method_element == r.method_element);
  CHECK(out.resource_type == r.resource_type);
  // Every refusal: no Access-Control-* header and no Vary (§8, §11).
  CHECK(out.cors.headers.empty() == (r.expected_refusal != refusal::none));
  CHECK(out.cors.matched_rule.has_value() == (r.expected_refusal == refusal::none));
}

TEST_CASE("cors §9: successful preflight — the spec's example, header for header", "[cors]") {
  const auto out =
      cors::evaluate_preflight(&configured(), true, true, "https://localhost:4200", "PUT", std::nullopt);
  REQUIRE(out.refusal == refusal::none);
  CHECK(out.status == 200);
  CHECK(out.code.empty());
  CHECK(out.message.empty());
  CHECK(out.cors.matched_rule == 0U);
  CHECK(out.cors.headers ==
        header_pairs{{"Access-Control-Allow-Origin", "https://localhost:4200"},
                     {"Access-Control-Allow-Credentials", "true"},
                     {"Access-Control-Allow-Methods", "GET, PUT"},
                     {"Access-Control-Max-Age", "3000"},
                     {"Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"}});
}

TEST_CASE("cors §9/§12.5: preflight echoes the requested headers lowercased", "[cors]") {
  const auto out = cors::evaluate_preflight(&configured(), true, true, "https://localhost:4200", "GET",
                                            "x-AMZ-expected-BUCKET-owner,Content-Type");
  REQUIRE(out.refusal == refusal::none);
  CHECK(out.cors.headers.at(3) ==
        std::pair<std::string, std::string>{"Access-Control-Allow-Headers",
                                            "x-amz-expected-bucket-owner, content-type"});
}

TEST_CASE("cors §8 step 5: the refusal keeps the per-rule trace for explanations", "[cors]") {
  const auto out = cors::evaluate_preflight(&configured(), true, true, "http://evil", "GET", std::nullopt);
  REQUIRE(out.refusal == refusal::no_rule_matched);
  REQUIRE(out.cors.trace.size() == 2);
  CHECK(out.cors.trace[0].what == cors::rule_trace::verdict::origin_mismatch);
  CHECK(out.cors.trace[1].what == cors::rule_trace::verdict::origin_mismatch);
}

TEST_CASE("cors §12.3: the message constants are AWS's, typo included", "[cors]") {
  CHECK(cors::not_allowed_message == not_allowed);
  CHECK(std::string_view(cors::not_allowed_message).find("evalution") != std::string_view::npos);
  CHECK(cors::cors_not_enabled_message == "CORSResponse: CORS is not enabled for this bucket.");
  CHECK(cors::bucket_not_found_message == "CORSResponse: Bucket not found");
  CHECK(cors::missing_origin_message == "Insufficient information. Origin request header needed.");
}
