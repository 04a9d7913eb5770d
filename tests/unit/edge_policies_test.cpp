#include "s3cors/edge/policies.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using namespace s3cors::edge;

struct managed_row {
  std::string_view name;
  std::string_view id;
};

}  // namespace

TEST_CASE("edge policies: managed cache policies are found by name, Managed- name and ID", "[edge]") {
  const managed_row rows[] = {
      {"CachingOptimized", "658327ea-f89d-4fab-a63d-7e88639e58f6"},
      {"CachingDisabled", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"},
      {"CachingOptimizedForUncompressedObjects", "b2884449-e4de-46a7-ac36-70bc7f1ddd6d"},
      {"UseOriginCacheControlHeaders", "83da9c7e-98b4-4e11-a168-04f0df8e2c65"},
      {"UseOriginCacheControlHeaders-QueryStrings", "4cc15a8a-d715-48a4-82b8-cc0b614638fe"},
      {"Elemental-MediaPackage", "08627262-05a9-4f76-9ded-b50ca2e3a84f"},
      {"Amplify", "2e54312d-136d-493c-8eb9-b001f22f67d2"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    const cache_policy* by_name = find_managed_cache_policy(row.name);
    REQUIRE(by_name != nullptr);
    CHECK(by_name->name == row.name);
    CHECK(find_managed_cache_policy(row.id) == by_name);
    CHECK(find_managed_cache_policy("Managed-" + std::string(row.name)) == by_name);
  }
  CHECK(find_managed_cache_policy("cachingoptimized") == nullptr);
  CHECK(find_managed_cache_policy("") == nullptr);
}

TEST_CASE("edge policies: managed cache policy contents", "[edge]") {
  const cache_policy& optimized = *find_managed_cache_policy("CachingOptimized");
  CHECK(optimized.min_ttl == 1);
  CHECK(optimized.default_ttl == 86400);
  CHECK(optimized.max_ttl == 31536000);
  CHECK(optimized.enable_accept_encoding_gzip);
  CHECK(optimized.enable_accept_encoding_brotli);
  CHECK(optimized.headers.behavior == behavior::none);
  CHECK(optimized.cookies.behavior == behavior::none);
  CHECK(optimized.query_strings.behavior == behavior::none);

  const cache_policy& uncompressed = *find_managed_cache_policy("CachingOptimizedForUncompressedObjects");
  CHECK(uncompressed.min_ttl == 1);
  CHECK_FALSE(uncompressed.enable_accept_encoding_gzip);
  CHECK_FALSE(uncompressed.enable_accept_encoding_brotli);

  const cache_policy& disabled = *find_managed_cache_policy("CachingDisabled");
  CHECK(disabled.min_ttl == 0);
  CHECK(disabled.default_ttl == 0);
  CHECK(disabled.max_ttl == 0);

  const cache_policy& origin_headers = *find_managed_cache_policy("UseOriginCacheControlHeaders");
  CHECK(origin_headers.default_ttl == 0);
  CHECK(origin_headers.headers.behavior == behavior::whitelist);
  CHECK(origin_headers.cookies.behavior == behavior::all);
  CHECK(origin_headers.query_strings.behavior == behavior::none);
  CHECK(find_managed_cache_policy("UseOriginCacheControlHeaders-QueryStrings")->query_strings.behavior ==
        behavior::all);

  const cache_policy& media = *find_managed_cache_policy("Elemental-MediaPackage");
  CHECK(media.headers.items == std::vector<std::string>{"Origin"});
  CHECK(media.query_strings.items.size() == 4);
}

TEST_CASE("edge policies: managed origin request policies", "[edge]") {
  const origin_request_policy& s3 = *find_managed_origin_request_policy("CORS-S3Origin");
  CHECK(find_managed_origin_request_policy("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf") == &s3);
  CHECK(s3.headers.behavior == behavior::whitelist);
  CHECK(s3.headers.items == std::vector<std::string>{"origin", "access-control-request-headers",
                                                     "access-control-request-method"});
  CHECK(s3.query_strings.behavior == behavior::none);
  CHECK(s3.cookies.behavior == behavior::none);

  const origin_request_policy& custom =
      *find_managed_origin_request_policy("59781a5b-3903-41f3-afcb-af62929ccde1");
  CHECK(custom.name == "CORS-CustomOrigin");
  CHECK(custom.headers.items == std::vector<std::string>{"origin"});

  const origin_request_policy& all = *find_managed_origin_request_policy("AllViewer");
  CHECK(all.headers.behavior == behavior::all_viewer);
  CHECK(all.query_strings.behavior == behavior::all);
  CHECK(all.drop_s3_response_overrides);

  const origin_request_policy& except_host =
      *find_managed_origin_request_policy("b689b0a8-53d0-40ab-baf2-68738e2966ac");
  CHECK(except_host.name == "AllViewerExceptHostHeader");
  CHECK(except_host.headers.behavior == behavior::all_except);
  CHECK(except_host.headers.items == std::vector<std::string>{"host"});

  CHECK(find_managed_origin_request_policy("UserAgentRefererHeaders") != nullptr);
  CHECK(find_managed_origin_request_policy("Elemental-MediaTailor-PersonalizedManifests") != nullptr);
  CHECK(find_managed_origin_request_policy("CachingOptimized") == nullptr);
}

TEST_CASE("edge policies: managed response headers policies", "[edge]") {
  const response_headers_policy& simple = *find_managed_response_headers_policy("SimpleCORS");
  CHECK(find_managed_response_headers_policy("60669652-455b-4ae9-85a4-c4c02393f86c") == &simple);
  REQUIRE(simple.cors);
  CHECK(simple.cors->allow_origins == std::vector<std::string>{"*"});
  CHECK(simple.cors->allow_methods.empty());
  CHECK_FALSE(simple.cors->origin_override);
  CHECK(simple.security_headers.empty());

  const response_headers_policy& preflight = *find_managed_response_headers_policy("CORS-With-Preflight");
  CHECK(find_managed_response_headers_policy("5cc3b908-e619-4b99-88e5-2cf7f45965bd") == &preflight);
  REQUIRE(preflight.cors);
  CHECK(preflight.cors->allow_methods ==
        std::vector<std::string>{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"});
  CHECK(preflight.cors->expose_headers == std::vector<std::string>{"*"});

  const response_headers_policy& security = *find_managed_response_headers_policy("SecurityHeadersPolicy");
  CHECK_FALSE(security.cors);
  REQUIRE(security.security_headers.size() == 5);
  for (const auto& h : security.security_headers) {
    CAPTURE(h.header);
    CHECK(h.override_origin == (h.header == "X-Content-Type-Options"));
  }

  const response_headers_policy& both =
      *find_managed_response_headers_policy("e61eb60c-9c35-4d20-a928-2b84e02af89c");
  CHECK(both.name == "CORS-and-SecurityHeadersPolicy");
  CHECK(both.cors == simple.cors);
  CHECK(both.security_headers == security.security_headers);

  const response_headers_policy& all =
      *find_managed_response_headers_policy("eaab4381-ed33-4a86-88ca-d9558dc6cd63");
  CHECK(all.cors == preflight.cors);
  CHECK(find_managed_response_headers_policy("CORS-With-Preflight-and-SecurityHeadersPolicy") == &all);
  CHECK(find_managed_response_headers_policy("Managed-CORS-with-preflight-and-SecurityHeadersPolicy") ==
        &all);
}

TEST_CASE("edge policies: a cache policy in the API's JSON shape", "[edge]") {
  const auto parsed = parse_cache_policy(R"({"CachePolicyConfig": {
    "Name": "with-origin", "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 600,
    "ParametersInCacheKeyAndForwardedToOrigin": {
      "EnableAcceptEncodingGzip": true, "EnableAcceptEncodingBrotli": false,
      "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Origin"]}},
      "CookiesConfig": {"CookieBehavior": "none"},
      "QueryStringsConfig": {"QueryStringBehavior": "allExcept", "QueryStrings": ["utm_source"]}}}})");
  REQUIRE(parsed.has_value());
  CHECK(parsed->name == "with-origin");
  CHECK(parsed->default_ttl == 60);
  CHECK(parsed->max_ttl == 600);
  CHECK(parsed->enable_accept_encoding_gzip);
  CHECK(parsed->headers.items == std::vector<std::string>{"Origin"});
  CHECK(parsed->query_strings.behavior == behavior::all_except);
}

TEST_CASE("edge policies: TTL defaults follow the API", "[edge]") {
  const auto parsed = parse_cache_policy(R"({"Name": "n", "MinTTL": 100000,
    "ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": false,
      "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "all"},
      "QueryStringsConfig": {"QueryStringBehavior": "none"}}})");
  REQUIRE(parsed.has_value());
  CHECK(parsed->default_ttl == 100000);
  CHECK(parsed->max_ttl == 31536000);
}

TEST_CASE("edge policies: bad policies name the offending field", "[edge]") {
  struct row {
    std::string_view text;
    std::string_view pointer;
  };
  const std::string params_ok =
      R"("ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": false,
      "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "none"},
      "QueryStringsConfig": {"QueryStringBehavior": "none"}})";
  const std::string with_min = R"({"Name": "n", "MinTTL": 10, "DefaultTTL": 5, )" + params_ok + "}";
  const std::string no_name = R"({"MinTTL": 1, )" + params_ok + "}";
  const std::string negative = R"({"Name": "n", "MinTTL": -1, )" + params_ok + "}";
  const std::string typo = R"({"Name": "n", "MinTTL": 1, "MaxTtl": 3, )" + params_ok + "}";
  const row rows[] = {
      {"[", ""},
      {"[]", ""},
      {with_min, "/DefaultTTL"},
      {no_name, "/Name"},
      {typo, "/MaxTtl"},
      {R"({"Name": "n", "MinTTL": 1, "ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": false,
          "HeadersConfig": {"HeaderBehavior": "allViewer"}, "CookiesConfig": {"CookieBehavior": "none"},
          "QueryStringsConfig": {"QueryStringBehavior": "none"}}})",
       "/ParametersInCacheKeyAndForwardedToOrigin/HeadersConfig/HeaderBehavior"},
      {R"({"Name": "n", "MinTTL": 1, "ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": false,
          "HeadersConfig": {"HeaderBehavior": "whitelist"}, "CookiesConfig": {"CookieBehavior": "none"},
          "QueryStringsConfig": {"QueryStringBehavior": "none"}}})",
       "/ParametersInCacheKeyAndForwardedToOrigin/HeadersConfig/Headers"},
      {negative, "/MinTTL"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto parsed = parse_cache_policy(r.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().pointer == r.pointer);
    CHECK_FALSE(parsed.error().message.empty());
  }
}

TEST_CASE("edge policies: an origin request policy with Quantity/Items lists", "[edge]") {
  const auto parsed = parse_origin_request_policy(R"({"Name": "fwd",
    "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["host"]}},
    "CookiesConfig": {"CookieBehavior": "whitelist", "Cookies": {"Quantity": 1, "Items": ["session"]}},
    "QueryStringsConfig": {"QueryStringBehavior": "all"}})");
  REQUIRE(parsed.has_value());
  CHECK(parsed->headers.behavior == behavior::all_except);
  CHECK(parsed->cookies.items == std::vector<std::string>{"session"});

  const auto wrong_quantity = parse_origin_request_policy(R"({"Name": "fwd",
    "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 2, "Items": ["a"]}},
    "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}})");
  REQUIRE_FALSE(wrong_quantity.has_value());
  CHECK(wrong_quantity.error().pointer == "/HeadersConfig/Headers/Quantity");
}

TEST_CASE("edge policies: a response headers policy renders security headers", "[edge]") {
  const auto parsed = parse_response_headers_policy(R"({"ResponseHeadersPolicyConfig": {"Name": "mine",
    "CorsConfig": {"AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://app.example"]},
      "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["content-type"]},
      "AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "PUT"]},
      "AccessControlAllowCredentials": true, "AccessControlMaxAgeSec": 600, "OriginOverride": true},
    "CustomHeadersConfig": {"Quantity": 1, "Items": [{"Header": "X-Edge", "Value": "s3cors", "Override": false}]},
    "SecurityHeadersConfig": {
      "StrictTransportSecurity": {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": true, "Preload": true,
                                  "Override": true},
      "XSSProtection": {"Protection": true, "ReportUri": "https://r.example/x", "Override": false},
      "FrameOptions": {"FrameOption": "DENY", "Override": true}},
    "RemoveHeadersConfig": {"Quantity": 1, "Items": [{"Header": "Server"}]}}})");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->cors);
  CHECK(parsed->cors->allow_credentials);
  CHECK(parsed->cors->max_age_sec == 600u);
  CHECK(parsed->custom_headers == std::vector<custom_header>{{"X-Edge", "s3cors", false}});
  CHECK(parsed->security_headers ==
        std::vector<security_header>{
            {"X-Frame-Options", "DENY", true},
            {"Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload", true},
            {"X-XSS-Protection", "1; report=https://r.example/x", false},
        });
  CHECK(parsed->remove_headers == std::vector<std::string>{"Server"});
}

TEST_CASE("edge policies: response headers policy refusals", "[edge]") {
  struct row {
    std::string_view text;
    std::string_view pointer;
  };
  const row rows[] = {
      {R"({"Name": "x", "CorsConfig": {"AccessControlAllowOrigins": ["*"], "AccessControlAllowHeaders": [],
          "AccessControlAllowMethods": ["GET"], "AccessControlAllowCredentials": true, "OriginOverride": false}})",
       "/CorsConfig/AccessControlAllowCredentials"},
      {R"({"Name": "x", "CorsConfig": {"AccessControlAllowOrigins": ["*"], "AccessControlAllowHeaders": [],
          "AccessControlAllowMethods": ["FETCH"], "AccessControlAllowCredentials": false, "OriginOverride": false}})",
       "/CorsConfig/AccessControlAllowMethods/0"},
      {R"({"Name": "x", "SecurityHeadersConfig": {"FrameOptions": {"FrameOption": "ALLOW", "Override": true}}})",
       "/SecurityHeadersConfig/FrameOptions/FrameOption"},
      {R"({"Name": "x", "SecurityHeadersConfig": {"ReferrerPolicy": {"ReferrerPolicy": "never", "Override": true}}})",
       "/SecurityHeadersConfig/ReferrerPolicy/ReferrerPolicy"},
      {R"({"Name": "x", "CustomHeadersConfig": {"Items": [{"Header": "X", "Value": "v"}]}})",
       "/CustomHeadersConfig/Items/0/Override"},
      {R"({"Name": "x", "RemoveHeadersConfig": {"Items": [{"Header": "Server"}, {"Header": "X-Amz-Cf-Pop"}]}})",
       "/RemoveHeadersConfig/Items/1/Header"},
      {R"({"Name": "x", "RemoveHeadersConfig": {"Items": [{"Header": "content-length"}]}})",
       "/RemoveHeadersConfig/Items/0/Header"},
      {R"({"Name": "x", "CorsConfig": {"AccessControlAllowOrigins": ["https://a.*.example"],
          "AccessControlAllowHeaders": [], "AccessControlAllowMethods": ["GET"], "AccessControlAllowCredentials": false,
          "OriginOverride": false}})",
       "/CorsConfig/AccessControlAllowOrigins/0"},
      {R"({"Name": "x", "CorsConfig": {"AccessControlAllowOrigins": ["example.com"],
          "AccessControlAllowHeaders": [], "AccessControlAllowMethods": ["GET"], "AccessControlAllowCredentials": false,
          "OriginOverride": false}})",
       "/CorsConfig/AccessControlAllowOrigins/0"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto parsed = parse_response_headers_policy(r.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().pointer == r.pointer);
  }
}
