#pragma once
// The edge's in-memory cache (docs/edge.md §7): responses keyed by cache key, with shared
// immutable bodies (a hit copies a pointer, not bytes), a byte bound enforced by LRU eviction,
// invalidation by path pattern and statistics. Time is passed in; the cache reads no clock.
// Thread-safe: one mutex guards the index (a hit moves the entry to the LRU front).
#include "s3cors/edge/body_bytes.hpp"
#include "s3cors/edge/cache_key.hpp"
#include "s3cors/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace s3cors::edge {

/// One stored response. Immutable once stored: a refresh replaces the entry (sharing the body).
struct cached_response {
  int status = 200;
  std::vector<header_field> headers;
  std::shared_ptr<const body_bytes> body;
  std::chrono::sys_seconds stored_at{};  ///< fetched or last revalidated: Age counts from here
  std::chrono::sys_seconds expires_at{};
  std::string distribution;
  std::string path;   ///< for invalidation
  std::string query;  ///< the query part of the key
  /// The Origin of the viewer request whose miss stored the entry (nullopt: it had none): what
  /// `edge explain` and the refused-from-cache log line say about who populated it.
  std::optional<std::string> stored_for_origin;

  [[nodiscard]] bool is_fresh(std::chrono::sys_seconds now) const noexcept { return now < expires_at; }
  /// Seconds since stored_at (0 when the clock went back).
  [[nodiscard]] std::uint64_t age(std::chrono::sys_seconds now) const noexcept;
};

enum class lookup_kind {
  miss,   ///< nothing stored: fetch from the origin
  hit,    ///< fresh: answer from `entry` (X-Cache: Hit)
  stale,  ///< expired but kept: revalidate with the origin, then refresh() (RefreshHit) or store()
};

struct lookup_result {
  lookup_kind kind = lookup_kind::miss;
  std::shared_ptr<const cached_response> entry;  ///< set for hit and stale
};

struct cache_stats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;         ///< absent entries, and stale ones the origin replaced
  std::uint64_t refresh_hits = 0;   ///< stale entries the origin confirmed (304)
  std::uint64_t evictions = 0;      ///< removed to stay under the byte bound
  std::uint64_t invalidations = 0;  ///< entries removed by invalidate() or flush()
  std::uint64_t bytes = 0;
  std::uint64_t entries = 0;

  friend bool operator==(const cache_stats&, const cache_stats&) = default;
};

/// An invalidation path as CloudFront accepts it: starts with '/', at most 4,000 characters,
/// at most one '*', which must be
/// the last character. Returns the error message, or nullopt when valid.
[[nodiscard]] std::optional<std::string> check_invalidation_path(std::string_view path);

class edge_cache {
 public:
  /// max_bytes bounds the stored bytes (bodies, headers and keys).
  explicit edge_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  edge_cache(const edge_cache&) = delete;
  edge_cache& operator=(const edge_cache&) = delete;

  /// Looks the key up at `now`. Counts a hit or (for an absent key) a miss.
  [[nodiscard]] lookup_result lookup(const std::string& key, std::chrono::sys_seconds now);

  /// The entry when it is fresh at `now` (counted as a hit), else nullptr and nothing counted:
  /// for a first look that must not wait (a network thread), before lookup() on a worker.
  [[nodiscard]] std::shared_ptr<const cached_response> find_fresh(const std::string& key,
                                                                  std::chrono::sys_seconds now);

  /// Stores a response fresh for `ttl` seconds from `now`, replacing any entry of that key (a
  /// replaced stale entry counts as a miss). Entries larger than the whole bound are not stored
  /// (nullptr). Evicts least recently used entries to stay under the bound. `viewer_origin` is
  /// the Origin of the request that caused the store (cached_response::stored_for_origin).
  std::shared_ptr<const cached_response> store(const cache_key& key, int status,
                                               std::vector<header_field> headers,
                                               std::shared_ptr<const body_bytes> body, std::uint64_t ttl,
                                               std::chrono::sys_seconds now,
                                               std::optional<std::string> viewer_origin = std::nullopt);

  /// The entry of a key, fresh or not, without counting anything or touching the LRU order
  /// (for explanations and tests); nullptr when absent.
  [[nodiscard]] std::shared_ptr<const cached_response> peek(const std::string& key) const;

  /// After a 304 for a stale entry: fresh again for `ttl` from `now`, with `updated` headers
  /// (e.g. the 304's Cache-Control, Expires, ETag) replacing the stored ones. Counts a refresh
  /// hit. nullptr when the entry is gone meanwhile.
  std::shared_ptr<const cached_response> refresh(const std::string& key, std::uint64_t ttl,
                                                 const std::vector<header_field>& updated,
                                                 std::chrono::sys_seconds now);

  /// Removes one entry (e.g. a stale one the origin now refuses to have cached); counts a miss
  /// when it was there.
  void remove(const std::string& key);

  /// Removes the distribution's entries whose path (with "?query" when the key has a query)
  /// matches an invalidation path: exact, or a prefix when it ends in '*' ("/*" is everything).
  /// Returns the number removed. The path must pass check_invalidation_path().
  std::size_t invalidate(std::string_view distribution, std::string_view path);

  /// Removes every entry of a distribution ("" = all distributions); returns the number removed.
  std::size_t flush(std::string_view distribution = {});

  [[nodiscard]] cache_stats stats() const;
  [[nodiscard]] std::size_t max_bytes() const noexcept { return max_bytes_; }

 private:
  struct slot {
    std::shared_ptr<const cached_response> entry;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
    std::size_t bytes = 0;
  };

  void erase_locked(std::unordered_map<std::string, slot>::iterator it);
  void evict_locked();

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, slot> slots_;
  std::list<std::string> lru_;
  cache_stats stats_;
};

/// What the edge sends for a cached (or just fetched) response: the body is shared, and
/// offset/length select the bytes to send.
struct edge_response {
  int status = 200;
  std::vector<header_field> headers;
  std::shared_ptr<const body_bytes> body;
  std::size_t offset = 0;
  std::size_t length = 0;
};

/// The viewer's conditional headers. The edge answers them from the cached object because it
/// does not forward validators to the origin (docs/edge.md §7).
struct viewer_conditions {
  std::optional<std::string_view> if_match = std::nullopt;
  std::optional<std::string_view> if_none_match = std::nullopt;
  std::optional<std::string_view> if_modified_since = std::nullopt;
  std::optional<std::string_view> if_unmodified_since = std::nullopt;
  std::optional<std::string_view> if_range = std::nullopt;
};

/// Answers a request from a cached entry. On a cached 200:
/// - the conditions are evaluated as S3 evaluates them (lib/conditional) against the entry's
///   ETag and Last-Modified: 304 (validators and caching headers, no body) or 412 (no body);
/// - a Range header is served from the whole object as S3 would (lib/range): 206 with
///   Content-Range, or 416 with "Content-Range: bytes */size" and no body; ranges S3 ignores give
///   the whole 200. An If-Range that names neither the ETag nor the Last-Modified date drops the
///   Range.
[[nodiscard]] edge_response respond_from_cache(const cached_response& entry,
                                               std::optional<std::string_view> range,
                                               const viewer_conditions& conditions = {});

/// X-Cache outcomes.
enum class cache_outcome { hit, miss, refresh_hit, error, function_generated };

/// "Hit from cloudfront", "Miss from cloudfront", "RefreshHit from cloudfront", "Error from
/// cloudfront", "FunctionGeneratedResponse from cloudfront".
[[nodiscard]] std::string_view x_cache_value(cache_outcome outcome) noexcept;

/// Adds X-Cache, Via ("1.1 <host> (CloudFront)"), X-Amz-Cf-Pop and X-Amz-Cf-Id, and Age when
/// given (hits and refresh hits), replacing fields of those names.
void add_edge_headers(std::vector<header_field>& headers, cache_outcome outcome,
                      std::optional<std::uint64_t> age, std::string_view via_host, std::string_view pop,
                      std::string_view request_id);

}  // namespace s3cors::edge
