#include "s3cors/edge/distribution.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using namespace s3cors::edge;

}  // namespace

TEST_CASE("edge distribution: path patterns match as CloudFront's do", "[edge]") {
  struct row {
    std::string_view pattern;
    std::string_view path;
    bool matches;
  };
  const row rows[] = {
      {"*", "/anything/at/all", true},
      {"*", "/", true},
      {"/images/*", "/images/a.jpg", true},
      {"/images/*", "/images/2024/a.jpg", true},  // '*' crosses '/'
      {"/images/*", "/images", false},
      {"/images/*", "/Images/a.jpg", false},  // case-sensitive
      {"images/*", "/images/a.jpg", true},    // the leading '/' is optional
      {"/images/*.jpg", "/images/a.jpg", true},
      {"/images/*.jpg", "/images/a.jpeg", false},
      {"/images/*.jpg", "/images/a.JPG", false},
      {"/a?c", "/abc", true},
      {"/a?c", "/ac", false},
      {"/a?c", "/abbc", false},
      {"*.m3u8", "/live/index.m3u8", true},
      {"/*/thumb/*", "/x/thumb/y.png", true},
      {"/*/thumb/*", "/x/full/y.png", false},
      {"/exact.txt", "/exact.txt", true},
      {"/exact.txt", "/exact.txt2", false},
      {"/a*b*c", "/aXbYbZc", true},
      {"/a*b*c", "/aXbYbZ", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.pattern, r.path);
    CHECK(path_pattern_matches(r.pattern, r.path) == r.matches);
  }
}

TEST_CASE("edge distribution: the first matching behaviour in order wins, else the default", "[edge]") {
  const auto parsed = parse_distribution(R"({"id": "E1", "origin": "media",
    "default_behavior": {"cache_policy": "CachingOptimized"},
    "behaviors": [
      {"path_pattern": "/img/*.png", "cache_policy": "CachingDisabled"},
      {"path_pattern": "/img/*", "cache_policy": "658327ea-f89d-4fab-a63d-7e88639e58f6", "origin": "pictures"},
      {"path_pattern": "*.png", "cache_policy": "UseOriginCacheControlHeaders"}]})");
  REQUIRE(parsed.has_value());
  const distribution_config& d = *parsed;
  struct row {
    std::string_view path;
    std::string_view pattern;
  };
  const row rows[] = {
      {"/img/a.png", "/img/*.png"}, {"/img/a.jpg", "/img/*"}, {"/b.png", "*.png"}, {"/doc.txt", "*"},
      {"/IMG/a.jpg", "*"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.path);
    CHECK(match_behavior(d, r.path).path_pattern == r.pattern);
  }
  CHECK(match_behavior(d, "/img/a.jpg").origin_bucket == "pictures");
  CHECK(match_behavior(d, "/doc.txt").origin_bucket == "media");
  CHECK(match_behavior(d, "/img/a.png").cache.max_ttl == 0);
  CHECK(d.default_behavior.cache_policy_ref == "CachingOptimized");
}

TEST_CASE("edge distribution: our JSON with methods, legacy TTLs and inline policies", "[edge]") {
  const auto parsed = parse_distribution(R"({"id": "E2", "listen": "127.0.0.1:8081", "origin": "media",
    "default_behavior": {"allowed_methods": ["HEAD", "GET", "OPTIONS"], "cached_methods": ["GET", "HEAD", "OPTIONS"],
      "min_ttl": 5, "default_ttl": 60, "max_ttl": 120,
      "origin_request_policy": "Managed-CORS-S3Origin",
      "response_headers_policy": {"Name": "inline", "CustomHeadersConfig": {"Items": []}}},
    "error_caching_min_ttl": {"404": 3}})");
  REQUIRE(parsed.has_value());
  const cache_behavior& b = parsed->default_behavior;
  CHECK(parsed->listen == "127.0.0.1:8081");
  CHECK(b.allowed_methods == std::vector<std::string>{"GET", "HEAD", "OPTIONS"});
  CHECK(b.caches("OPTIONS"));
  CHECK_FALSE(b.allows("PUT"));
  CHECK(b.cache.min_ttl == 5);
  CHECK(b.cache.default_ttl == 60);
  CHECK(b.cache.max_ttl == 120);
  CHECK(b.cache.headers.behavior == behavior::none);
  REQUIRE(b.origin_request);
  CHECK(b.origin_request->name == "CORS-S3Origin");
  REQUIRE(b.response_headers);
  CHECK(b.response_headers->name == "inline");
  CHECK(parsed->error_caching_min_ttl_for(404) == 3);
  CHECK(parsed->error_caching_min_ttl_for(503) == 10);
}

TEST_CASE("edge distribution: configuration errors name the field", "[edge]") {
  struct row {
    std::string_view text;
    std::string_view pointer;
  };
  const row rows[] = {
      {R"({"origin": "m"})", "/id"},
      {R"({"id": "E"})", "/origin"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"cache_policy": "NoSuchPolicy"}})",
       "/default_behavior/cache_policy"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"cache_policy": "CachingOptimized", "min_ttl": 1}})",
       "/default_behavior"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"allowed_methods": ["GET", "PUT"]}})",
       "/default_behavior/allowed_methods"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"cached_methods": ["GET", "HEAD", "OPTIONS"]}})",
       "/default_behavior/cached_methods"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"path_pattern": "/x"}})",
       "/default_behavior/path_pattern"},
      {R"({"id": "E", "origin": "m", "behaviors": [{"cache_policy": "CachingOptimized"}]})",
       "/behaviors/0/path_pattern"},
      {R"({"id": "E", "origin": "m", "behaviors": [{"path_pattern": "/a b"}]})", "/behaviors/0/path_pattern"},
      {R"({"id": "E", "origin": "m", "behaviors": [{"path_pattern": "/a", "respons_headers_policy": "SimpleCORS"}]})",
       "/behaviors/0/respons_headers_policy"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"min_ttl": 10, "default_ttl": 5}})",
       "/default_behavior/default_ttl"},
      {R"({"id": "E", "origin": "m", "error_caching_min_ttl": {"200": 1}})", "/error_caching_min_ttl/200"},
      {R"({"id": "E", "origin": "m", "default_behavior": {"cache_policy": {"Name": "x"}}})",
       "/default_behavior/cache_policy/MinTTL"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto parsed = parse_distribution(r.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().pointer == r.pointer);
  }
}

TEST_CASE("edge distribution: a CloudFormation DistributionConfig", "[edge]") {
  const auto parsed = parse_cloudformation_distribution(R"({"Type": "AWS::CloudFront::Distribution",
    "Properties": {"DistributionConfig": {
      "Enabled": true, "Comment": "media", "PriceClass": "PriceClass_100",
      "Origins": [
        {"Id": "media-origin", "DomainName": "media.s3.eu-west-1.amazonaws.com",
         "S3OriginConfig": {"OriginAccessIdentity": ""}},
        {"Id": "thumbs", "DomainName": "thumbs.s3.amazonaws.com", "S3OriginConfig": {}}],
      "DefaultCacheBehavior": {"TargetOriginId": "media-origin", "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD", "OPTIONS"], "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "OriginRequestPolicyId": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
        "ResponseHeadersPolicyId": "5cc3b908-e619-4b99-88e5-2cf7f45965bd", "Compress": true},
      "CacheBehaviors": [{"PathPattern": "/thumbs/*", "TargetOriginId": "thumbs",
        "ViewerProtocolPolicy": "allow-all", "MinTTL": "0", "DefaultTTL": 30, "MaxTTL": 60}],
      "CustomErrorResponses": [{"ErrorCode": 404, "ErrorCachingMinTTL": 2}]}}})");
  REQUIRE(parsed.has_value());
  const distribution_config& d = *parsed;
  CHECK(d.origin_bucket == "media");
  CHECK(d.default_behavior.cache_policy_ref == "658327ea-f89d-4fab-a63d-7e88639e58f6");
  CHECK(d.default_behavior.cache.name == "CachingOptimized");
  REQUIRE(d.default_behavior.origin_request);
  CHECK(d.default_behavior.origin_request->name == "CORS-S3Origin");
  REQUIRE(d.default_behavior.response_headers);
  CHECK(d.default_behavior.response_headers->name == "CORS-With-Preflight");
  REQUIRE(d.behaviors.size() == 1);
  CHECK(d.behaviors[0].origin_bucket == "thumbs");
  CHECK(d.behaviors[0].cache.default_ttl == 30);
  CHECK(d.error_caching_min_ttl_for(404) == 2);
  CHECK(match_behavior(d, "/thumbs/a.png").origin_bucket == "thumbs");
}

TEST_CASE("edge distribution: CloudFormation refusals", "[edge]") {
  struct row {
    std::string_view text;
    std::string_view pointer;
  };
  const row rows[] = {
      {R"({"DistributionConfig": {"Origins": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}],
          "DefaultCacheBehavior": {"TargetOriginId": "p"}}})",
       "/DistributionConfig/DefaultCacheBehavior/TargetOriginId"},
      {R"({"Origins": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}],
          "DefaultCacheBehavior": {"TargetOriginId": "o", "CachePolicyId": {"Ref": "MyPolicy"}}})",
       "/DefaultCacheBehavior/CachePolicyId"},
      {R"({"Origins": [{"Id": "o", "DomainName": "example.com", "CustomOriginConfig": {}}],
          "DefaultCacheBehavior": {"TargetOriginId": "o"}})",
       "/Origins/0/CustomOriginConfig"},
      {R"({"Origins": [], "DefaultCacheBehavior": {"TargetOriginId": "o"}})", "/Origins"},
      {R"({"Origins": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}],
          "DefaultCacheBehavior": {"TargetOriginId": "o", "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                                   "DefaultTTL": 5}})",
       "/DefaultCacheBehavior/DefaultTTL"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto parsed = parse_cloudformation_distribution(r.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().pointer == r.pointer);
  }
}
