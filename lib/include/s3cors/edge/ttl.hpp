#pragma once
// How long the edge keeps a response (docs/edge.md §5): the origin's Cache-Control and Expires
// against the cache policy's minimum, default and maximum TTL, and CloudFront's rules for error
// responses (the error caching minimum TTL).
#include "s3cors/edge/cache_key.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace s3cors::edge {

/// The Cache-Control directives the edge reads; others are ignored.
struct cache_directives {
  std::optional<std::uint64_t> max_age;
  std::optional<std::uint64_t> s_maxage;
  bool no_cache = false;
  bool no_store = false;
  bool is_private = false;

  friend bool operator==(const cache_directives&, const cache_directives&) = default;
};

/// Parses Cache-Control (directive names ignore case; a malformed number drops that directive).
[[nodiscard]] cache_directives parse_cache_control(std::string_view value);

/// Statuses cached under the ordinary TTL rules: 200, 203, 204, 300, 301, 302, 307, 308
/// (307 and 308 only when the origin sent Cache-Control).
[[nodiscard]] bool is_cacheable_success(int status) noexcept;
/// Error statuses CloudFront caches for the error caching minimum TTL: 400, 403, 404, 405, 410,
/// 414, 500, 501, 502, 503, 504 (never 416).
[[nodiscard]] bool is_cacheable_error(int status) noexcept;

struct ttl_decision {
  bool store = false;     ///< false: answer the viewer but keep nothing
  std::uint64_t ttl = 0;  ///< seconds the entry is fresh; meaningful when store

  friend bool operator==(const ttl_decision&, const ttl_decision&) = default;
};

/// The TTL of an origin response. `now` stands in for a missing or unreadable Date header when
/// Expires is measured. A TTL of 0 is never stored (CachingDisabled keeps nothing).
[[nodiscard]] ttl_decision compute_ttl(int status, std::span<const header_field> response_headers,
                                       const cache_policy& policy, std::uint64_t error_caching_min_ttl,
                                       std::chrono::sys_seconds now);

}  // namespace s3cors::edge
