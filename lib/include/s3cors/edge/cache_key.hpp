#pragma once
// The cache key and the origin request of one viewer request, computed as CloudFront computes them
// (docs/edge.md §4): the cache policy selects the headers, cookies and query strings that make up
// the key (and are forwarded); the origin request policy adds values that are forwarded only.
#include "s3cors/edge/distribution.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::edge {

using header_field = std::pair<std::string, std::string>;

/// The parts of a viewer request the edge looks at. Views only: the caller keeps the request alive.
struct request_view {
  std::string_view method;                ///< as sent, e.g. "GET"
  std::string_view path;                  ///< the request path as sent (percent-encoded), no query
  std::string_view query;                 ///< the raw query string without '?', "" when none
  std::span<const header_field> headers;  ///< names compare ignoring case

  /// First value of a header, or nullopt.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;
};

/// Normalises Accept-Encoding as CloudFront does when a cache policy enables gzip and/or Brotli:
/// "br,gzip", "gzip" or "br" from the encodings the viewer accepts (q=0 means refused) and the
/// policy enables; nullopt when none remains (the header is then left out of key and origin request).
[[nodiscard]] std::optional<std::string> normalize_accept_encoding(std::optional<std::string_view> value,
                                                                   bool gzip, bool brotli);

struct cache_key {
  std::string text;          ///< the whole key; equal keys = same cache entry
  std::string distribution;  ///< the distribution's id (invalidations are per distribution)
  std::string path;          ///< the request path (invalidation matches against path and query)
  std::string query;         ///< the query string as included in the key ("" when none is)

  friend bool operator==(const cache_key&, const cache_key&) = default;
};

/// The key for `request` under the behaviour's cache policy. GET and HEAD share entries; OPTIONS
/// responses are kept apart. Query strings and cookies keep the viewer's order.
[[nodiscard]] cache_key compute_cache_key(std::string_view distribution_id, const cache_behavior& behavior,
                                          const request_view& request);

/// What the edge sends to the origin bucket.
struct origin_request {
  /// The method to send: GET for a HEAD the behaviour caches (the entry GET and HEAD share must
  /// hold the whole object; the edge answers the HEAD from it), else the viewer's method.
  std::string method;
  std::vector<header_field> headers;  ///< viewer headers the policies forward (Cookie rebuilt)
  std::string query;                  ///< the forwarded query string, "" when none
};

/// Headers: the cache policy's plus the origin request policy's selection, never Host or
/// hop-by-hop fields; Accept-Encoding normalised when the cache policy enables compression
/// ("identity" when the viewer accepts none of the enabled codings); for
/// methods the behaviour caches, Range and validators (If-*) are left out because the edge fetches
/// and keeps whole objects. Query strings and cookies: the union of both policies' selections.
[[nodiscard]] origin_request build_origin_request(const cache_behavior& behavior,
                                                  const request_view& request);

}  // namespace s3cors::edge
