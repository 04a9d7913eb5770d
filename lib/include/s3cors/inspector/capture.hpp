#pragma once
// The inspector's capture (docs/inspector.md): a bounded ring of answered requests, and the
// subscribers (open inspector pages) that get each new one pushed. Costs one atomic load per
// request while nobody watches (is_active); a slow subscriber loses records (counted) instead
// of holding up the requests that publish them.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::inspector {

using header_fields = std::vector<std::pair<std::string, std::string>>;

/// One answered request as the inspector shows it. Empty strings are absent fields.
struct record {
  std::uint64_t id = 0;  ///< set by capture::publish, from 1
  std::string time;      ///< ISO 8601, UTC
  std::string listener;  ///< "" for the S3 listener, else the distribution's name
  std::string method;
  std::string target;  ///< the raw request-target
  std::string bucket;
  std::string key;
  std::string origin;
  std::string cors;        ///< the CORS decision as the access log states it
  std::string note;        ///< why the server answered so (refusals, failures)
  std::string edge_cache;  ///< X-Cache of a distribution's answer ("Hit from cloudfront", ...)
  std::string fault;       ///< the injected fault, when one was
  // A distribution's record (bucket and key are then the origin bucket and key it maps to):
  std::string distribution;             ///< the distribution's id
  std::string response_headers_policy;  ///< what its response headers policy did to the CORS headers
  std::string cache_entry;              ///< from the cache: the request its entry was stored for
  unsigned status = 0;
  std::uint64_t bytes = 0;
  double duration_ms = 0;
  header_fields request_headers;  ///< bounded: see capture_limits
  header_fields response_headers;
  bool headers_truncated = false;
};

/// True for a cross-origin request whose answer lets no page read it: an Origin was sent and
/// no Access-Control-Allow-Origin came back (what the browser reports as "blocked by CORS").
[[nodiscard]] bool is_refused(const record& r) noexcept;
/// True for an OPTIONS request with Origin and Access-Control-Request-Method.
[[nodiscard]] bool is_preflight(const record& r) noexcept;
/// The first value of a header (case-insensitive), or nullopt.
[[nodiscard]] std::optional<std::string_view> find_header(const header_fields& fields, std::string_view name);

/// What a page shows. Empty fields match everything.
struct record_filter {
  std::string bucket;         ///< exact bucket name
  std::string origin;         ///< substring of Origin, case-insensitive
  unsigned status_class = 0;  ///< 1..5 for 1xx..5xx; 0: any
  bool refused_only = false;
};

/// From a query string (without '?'): bucket=, origin=, status=2xx (or 2), refused=1|true.
/// Unknown parameters and malformed values are ignored (the filter is then wider).
[[nodiscard]] record_filter parse_filter(std::string_view query);
[[nodiscard]] bool matches(const record_filter& filter, const record& r) noexcept;

/// Headers kept per record: at most this many fields, and of this many bytes in all, per side.
struct capture_limits {
  std::size_t records = 2000;           ///< the ring
  std::size_t subscriber_queue = 4096;  ///< records waiting for one slow page before it loses some
  std::size_t header_fields = 64;
  std::size_t header_bytes = 8 * 1024;
};

/// Copies headers into a record side, within the limits; returns false when some were left out.
bool copy_headers(header_fields& into, const std::vector<std::pair<std::string, std::string>>& from,
                  const capture_limits& limits);

class capture;

/// One page's queue of new records. Thread-safe.
class subscription {
 public:
  subscription(record_filter filter, std::size_t queue_limit)
      : filter_(std::move(filter)), limit_(queue_limit) {}
  /// The records queued since the last call, oldest first.
  [[nodiscard]] std::vector<std::shared_ptr<const record>> take();
  /// Records lost because the queue was full, in all.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  [[nodiscard]] const record_filter& filter() const noexcept { return filter_; }

 private:
  friend class capture;
  void push(const std::shared_ptr<const record>& r);
  void set_wake(std::function<void()> wake);

  const record_filter filter_;
  const std::size_t limit_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<const record>> queue_;
  std::function<void()> wake_;
  std::atomic<std::uint64_t> dropped_{0};
};

class capture {
 public:
  explicit capture(capture_limits limits = {}) : limits_(limits) {}
  capture(const capture&) = delete;
  capture& operator=(const capture&) = delete;

  [[nodiscard]] const capture_limits& limits() const noexcept { return limits_; }
  /// Whether anybody watches: the one check the request path makes before building a record.
  [[nodiscard]] bool is_active() const noexcept { return subscribers_.load(std::memory_order_relaxed) > 0; }

  /// Stores r (its id assigned), dropping the oldest record when the ring is full, and queues
  /// it for every subscriber whose filter it matches. Returns the id.
  std::uint64_t publish(record r);

  /// A new subscriber; the matching records already in the ring (at most backlog, newest
  /// ones) are queued first, so a page opened now sees what came just before. wake is called
  /// (under the subscription's lock: it must not block) when its queue stops being empty.
  [[nodiscard]] std::shared_ptr<subscription> subscribe(record_filter filter, std::size_t backlog,
                                                        std::function<void()> wake);
  /// Ends a subscription: wake is not called again once this returns. Idempotent.
  void unsubscribe(const std::shared_ptr<subscription>& s) noexcept;

  /// The record with that id while it is in the ring.
  [[nodiscard]] std::shared_ptr<const record> find(std::uint64_t id) const;
  /// The matching records in the ring, oldest first; at most limit (the newest ones).
  [[nodiscard]] std::vector<std::shared_ptr<const record>> snapshot(const record_filter& filter,
                                                                    std::size_t limit) const;

 private:
  const capture_limits limits_;
  std::atomic<std::size_t> subscribers_{0};
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const record>> ring_;
  std::size_t next_slot_ = 0;
  std::uint64_t next_id_ = 1;
  std::vector<std::shared_ptr<subscription>> subscribers_list_;
};

}  // namespace s3cors::inspector
