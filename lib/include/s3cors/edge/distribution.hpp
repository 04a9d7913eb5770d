#pragma once
// An edge distribution (docs/edge.md §3): a listen address, an origin bucket of this server and
// cache behaviours chosen by path pattern the way CloudFront chooses them.
#include "s3cors/edge/policies.hpp"
#include "s3cors/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::edge {

/// A CacheBehavior (or the DefaultCacheBehavior, whose path_pattern is "*").
struct cache_behavior {
  std::string path_pattern = "*";
  std::string origin_bucket;  ///< the bucket requests go to
  /// One of CloudFront's three sets, in CloudFront's order: GET,HEAD | GET,HEAD,OPTIONS |
  /// GET,HEAD,OPTIONS,PUT,PATCH,POST,DELETE.
  std::vector<std::string> allowed_methods = {"GET", "HEAD"};
  std::vector<std::string> cached_methods = {"GET", "HEAD"};  ///< GET,HEAD | GET,HEAD,OPTIONS
  /// The behaviour's policies, resolved. Without a cache policy reference, `cache` is a legacy
  /// policy built from the behaviour's MinTTL/DefaultTTL/MaxTTL with nothing in the cache key.
  cache_policy cache;
  std::string cache_policy_ref;  ///< the managed name or ID as written; "" for inline or legacy
  std::optional<origin_request_policy> origin_request;
  std::optional<response_headers_policy> response_headers;

  /// True when `method` (upper case, as sent) is among allowed_methods / cached_methods.
  [[nodiscard]] bool allows(std::string_view method) const noexcept;
  [[nodiscard]] bool caches(std::string_view method) const noexcept;
};

struct distribution_config {
  std::string id;      ///< e.g. "E2EXAMPLE"; appears in cache keys and statistics
  std::string listen;  ///< "HOST:PORT" as written; the transport binds it
  std::string origin_bucket;
  /// Origin access control: origin requests reach the bucket as the service principal
  /// cloudfront.amazonaws.com with aws:SourceArn this distribution's ARN
  /// (distribution_arn), which a bucket policy grants; otherwise they are anonymous.
  bool origin_access_control = false;
  std::vector<cache_behavior> behaviors;  ///< CacheBehaviors, in precedence order
  cache_behavior default_behavior;
  /// Error caching minimum TTL: 10 seconds unless a CustomErrorResponse names the status.
  std::map<int, std::uint64_t> error_caching_min_ttl;

  [[nodiscard]] std::uint64_t error_caching_min_ttl_for(int status) const noexcept;
};

/// "arn:aws:cloudfront::ACCOUNT:distribution/ID", ACCOUNT being s3cors's default account
/// (123456789012), as bucket policies for origin access control name it in aws:SourceArn.
[[nodiscard]] std::string distribution_arn(std::string_view id);

/// CloudFront's default error caching minimum TTL.
inline constexpr std::uint64_t default_error_caching_min_ttl = 10;

/// Matches a path pattern as CloudFront does: '*' matches any run of characters (also '/'), '?'
/// exactly one, everything else itself, case-sensitively; a pattern without a leading '/' is
/// matched as if it had one. `path` is the request path without its query string.
[[nodiscard]] bool path_pattern_matches(std::string_view pattern, std::string_view path) noexcept;

/// The first CacheBehavior in order whose pattern matches, else the default behaviour.
[[nodiscard]] const cache_behavior& match_behavior(const distribution_config& config,
                                                   std::string_view path) noexcept;

/// Parses a distribution in s3cors's JSON (docs/edge.md §3):
///   {"id": "E1", "listen": "127.0.0.1:8081", "origin": "media",
///    "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin",
///                         "response_headers_policy": {...inline...}, "allowed_methods": [...], ...},
///    "behaviors": [{"path_pattern": "/img/*", ...}], "error_caching_min_ttl": {"404": 5}}
/// Policy references are a managed name ("CachingOptimized" or "Managed-CachingOptimized"), a managed
/// ID, or an inline policy in the CloudFront API's shape.
[[nodiscard]] result<distribution_config, edge_error> parse_distribution(std::string_view json);

/// Parses a CloudFormation AWS::CloudFront::Distribution's DistributionConfig (the resource, its
/// Properties or the DistributionConfig itself). Origins are S3 bucket domain names
/// ("media.s3.amazonaws.com", "media.s3.eu-west-1.amazonaws.com") or bare bucket names; policies
/// are managed IDs. Settings without meaning here (ViewerProtocolPolicy, Aliases, ...) are ignored.
[[nodiscard]] result<distribution_config, edge_error> parse_cloudformation_distribution(
    std::string_view json);

}  // namespace s3cors::edge
