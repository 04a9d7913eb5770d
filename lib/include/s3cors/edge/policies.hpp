#pragma once
// CloudFront's three policy kinds in the shape of the CloudFront API (docs/edge.md §2): the cache
// policy (what goes into the cache key, and the TTLs), the origin request policy (what else is
// forwarded to the origin) and the response headers policy (CORS, custom and security headers the
// edge adds), plus AWS's managed policies with their exact names, IDs and contents.
#include "s3cors/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::edge {

/// A configuration error: the JSON pointer of the offending field ("" for the document) and why.
struct edge_error {
  std::string pointer;
  std::string message;

  friend bool operator==(const edge_error&, const edge_error&) = default;
};

/// HeaderBehavior / CookieBehavior / QueryStringBehavior values. Not every kind allows every
/// value: a cache policy's headers are none|whitelist; an origin request policy's headers add
/// allViewer, allViewerAndWhitelistCloudFront and allExcept; cookies and query strings take
/// none|whitelist|allExcept|all in both.
enum class behavior { none, whitelist, all_except, all, all_viewer, all_viewer_and_whitelist_cloudfront };

/// "none", "whitelist", "allExcept", "all", "allViewer", "allViewerAndWhitelistCloudFront".
[[nodiscard]] std::string_view to_string(behavior b) noexcept;

/// HeadersConfig, CookiesConfig or QueryStringsConfig: a behaviour and its item list.
struct values_config {
  edge::behavior behavior = behavior::none;
  std::vector<std::string> items;  ///< names as written (header names compare ignoring case)

  friend bool operator==(const values_config&, const values_config&) = default;
};

/// CachePolicyConfig.
struct cache_policy {
  std::string name;
  std::string comment;
  std::uint64_t min_ttl = 0;
  std::uint64_t default_ttl = 86400;
  std::uint64_t max_ttl = 31536000;
  // ParametersInCacheKeyAndForwardedToOrigin
  bool enable_accept_encoding_gzip = false;
  bool enable_accept_encoding_brotli = false;
  values_config headers;        ///< none | whitelist
  values_config cookies;        ///< none | whitelist | allExcept | all
  values_config query_strings;  ///< none | whitelist | allExcept | all

  friend bool operator==(const cache_policy&, const cache_policy&) = default;
};

/// OriginRequestPolicyConfig.
struct origin_request_policy {
  std::string name;
  std::string comment;
  values_config headers;  ///< none | whitelist | allViewer | allViewerAndWhitelistCloudFront | allExcept
  values_config cookies;
  values_config query_strings;
  /// Managed policies that forward every query string keep response-content-type,
  /// response-content-disposition and response-content-encoding from an S3 origin (docs/edge.md §2).
  bool drop_s3_response_overrides = false;

  friend bool operator==(const origin_request_policy&, const origin_request_policy&) = default;
};

/// ResponseHeadersPolicyCorsConfig.
struct cors_config {
  std::vector<std::string> allow_origins;  ///< "*" or origins; "https://*.example.com" allowed
  std::vector<std::string> allow_headers;  ///< "*" allowed
  std::vector<std::string> allow_methods;  ///< GET POST OPTIONS PUT DELETE PATCH HEAD, or "ALL"
  bool allow_credentials = false;
  std::vector<std::string> expose_headers;
  std::optional<std::uint64_t> max_age_sec;
  bool origin_override = false;

  friend bool operator==(const cors_config&, const cors_config&) = default;
};

/// One CustomHeadersConfig item.
struct custom_header {
  std::string header;
  std::string value;
  bool override_origin = false;

  friend bool operator==(const custom_header&, const custom_header&) = default;
};

/// One SecurityHeadersConfig header, already rendered to its value.
struct security_header {
  std::string header;  ///< e.g. "Strict-Transport-Security"
  std::string value;   ///< e.g. "max-age=31536000; includeSubDomains"
  bool override_origin = false;

  friend bool operator==(const security_header&, const security_header&) = default;
};

/// ResponseHeadersPolicyConfig.
struct response_headers_policy {
  std::string name;
  std::string comment;
  std::optional<cors_config> cors;
  std::vector<custom_header> custom_headers;
  std::vector<security_header> security_headers;  ///< in SecurityHeadersConfig's field order
  std::vector<std::string> remove_headers;        ///< RemoveHeadersConfig

  friend bool operator==(const response_headers_policy&, const response_headers_policy&) = default;
};

/// A managed policy: AWS's name (without the console's "Managed-" prefix), its ID and contents.
template <class Policy>
struct managed {
  std::string_view name;
  std::string_view id;
  Policy policy;
};

[[nodiscard]] const std::vector<managed<cache_policy>>& managed_cache_policies();
[[nodiscard]] const std::vector<managed<origin_request_policy>>& managed_origin_request_policies();
[[nodiscard]] const std::vector<managed<response_headers_policy>>& managed_response_headers_policies();

/// Looks a managed policy up by name ("CachingOptimized" or "Managed-CachingOptimized", compared
/// exactly as AWS spells it) or by ID; nullptr when there is none.
[[nodiscard]] const cache_policy* find_managed_cache_policy(std::string_view name_or_id) noexcept;
[[nodiscard]] const origin_request_policy* find_managed_origin_request_policy(
    std::string_view name_or_id) noexcept;
[[nodiscard]] const response_headers_policy* find_managed_response_headers_policy(
    std::string_view name_or_id) noexcept;

/// Parse a policy from JSON text in the CloudFront API's shape (lists either as arrays or as
/// {"Quantity": n, "Items": [...]}), optionally wrapped in {"CachePolicyConfig": ...} etc.
/// Errors name the JSON pointer of the offending field.
[[nodiscard]] result<cache_policy, edge_error> parse_cache_policy(std::string_view json);
[[nodiscard]] result<origin_request_policy, edge_error> parse_origin_request_policy(std::string_view json);
[[nodiscard]] result<response_headers_policy, edge_error> parse_response_headers_policy(
    std::string_view json);

}  // namespace s3cors::edge
