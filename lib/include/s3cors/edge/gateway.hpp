#pragma once
// One distribution at work (docs/edge.md §9): a viewer request in, the answer out, through the
// behaviour's policies, the cache and the origin seam. No sockets: the transport calls
// try_start() on its network thread (answers that need neither disk nor origin: cache hits,
// preflights answered at the edge, refused methods, the control endpoints) and start() on a
// worker for the rest (the origin fetch, reading a file body into the cache).
#include "s3cors/edge/distribution.hpp"
#include "s3cors/edge/edge_cache.hpp"
#include "s3cors/edge/origin.hpp"
#include "s3cors/http/body_sink.hpp"
#include "s3cors/s3/context.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace s3cors::edge {

struct gateway_options {
  /// The name the configuration file gives the distribution: control endpoints are
  /// /_s3cors/distributions/NAME/...
  std::string name;
  /// The bound of the distribution's cache (bodies, headers, keys), LRU eviction beyond it.
  std::size_t cache_bytes = std::size_t{512} << 20;
  /// Larger origin bodies are streamed to the viewer and not kept (X-Cache: Miss).
  std::uint64_t max_cached_object_bytes = std::uint64_t{64} << 20;
  std::string pop = "S3C50-C1";  ///< X-Amz-Cf-Pop
  std::string via_host;          ///< Via: 1.1 <via_host> (CloudFront); default "<id>.cloudfront.net"
  /// The time the cache works with; empty: the transport's request_context::now. Tests inject one.
  std::function<std::chrono::sys_seconds()> clock;
  /// Receives one warning line when a request with Origin is answered from cache without a
  /// matching Access-Control-Allow-Origin (a browser refuses it): at most once a minute per
  /// cached path. Empty: not reported. Called on the serving thread.
  std::function<void(const std::string&)> warn;
  /// Fill the answers' access_note details (bucket and key of the origin, access_note::edge) for
  /// every request (the JSON access log); otherwise only for requests with request::log_details
  /// (an inspector page is open).
  bool log_details = false;
};

/// An invalidation's outcome: entries removed, or why the request was refused.
struct invalidation_result {
  std::size_t removed = 0;
  std::optional<std::string> error;
};

class gateway {
 public:
  /// The origin must outlive the gateway.
  gateway(distribution_config config, const origin& origin, gateway_options options);

  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  /// Answers from memory when the request needs no origin and no disk; nullopt: call start()
  /// where waiting is allowed. Never counts a miss.
  [[nodiscard]] std::optional<started_request> try_start(const request& req, const s3::request_context& ctx);
  /// The whole treatment; may wait for the origin and the disk (worker threads).
  [[nodiscard]] started_request start(const request& req, const s3::request_context& ctx);

  /// Invalidates paths (each checked as CloudFront checks them; none removed when one is
  /// invalid). "/*" empties the distribution.
  [[nodiscard]] invalidation_result invalidate(const std::vector<std::string>& paths);
  /// Removes every entry; returns how many.
  std::size_t flush();
  /// {"distribution", "id", "hits", "misses", "refresh_hits", "evictions", "invalidations",
  /// "bytes", "entries", "max_bytes", "max_cached_object_bytes"}.
  [[nodiscard]] std::string stats_json() const;

  /// Answers /_s3cors/distributions/NAME/{invalidation,stats} for this gateway; `body` is the
  /// request body (POST invalidation). Used by both the distribution's listener and the main one.
  [[nodiscard]] answer control(const request& req, std::string_view action, std::string_view body,
                               const s3::request_context& ctx);

  [[nodiscard]] const distribution_config& config() const noexcept { return config_; }
  [[nodiscard]] const gateway_options& options() const noexcept { return options_; }
  [[nodiscard]] edge_cache& cache() noexcept { return cache_; }

 private:
  struct viewer;
  [[nodiscard]] std::chrono::sys_seconds now(const s3::request_context& ctx) const;
  /// 400 for a request target that is not a path.
  [[nodiscard]] std::optional<answer> refuse_target(const request& req, std::string_view path,
                                                    const s3::request_context& ctx) const;
  [[nodiscard]] std::optional<started_request> answer_locally(const viewer& v, const s3::request_context& ctx,
                                                              bool may_wait);
  [[nodiscard]] started_request through_cache(const viewer& v, const s3::request_context& ctx);
  [[nodiscard]] started_request forward(const viewer& v, const request& req, const s3::request_context& ctx);
  [[nodiscard]] answer finish(const viewer& v, int status, std::vector<header_field> headers,
                              std::shared_ptr<const body_bytes> body, std::size_t offset, std::size_t length,
                              cache_outcome outcome, std::optional<std::uint64_t> age,
                              const s3::request_context& ctx) const;
  [[nodiscard]] answer from_entry(const viewer& v, const cached_response& entry, cache_outcome outcome,
                                  std::optional<std::uint64_t> age, const s3::request_context& ctx) const;
  /// Reports (options_.warn) a cached answer a browser refuses.
  void report_refused(const viewer& v, const cached_response& entry, const answer& out, cache_outcome outcome,
                      std::chrono::sys_seconds t) const;
  /// The response headers policy and the edge headers; with `log`, what the policy did to the
  /// CORS headers goes to log->edge.
  void decorate(const viewer& v, std::vector<header_field>& headers, cache_outcome outcome,
                std::optional<std::uint64_t> age, const s3::request_context& ctx,
                access_note* log = nullptr) const;
  [[nodiscard]] bool log_details(const request& req) const noexcept {
    return options_.log_details || req.log_details;
  }
  /// The origin bucket and key the request maps to, and the distribution's id, into the log.
  void note_route(const viewer& v, access_note& log) const;

  /// Request collapsing: the keys being fetched. A request that finds its key here waits (at
  /// most collapse_wait) for the fetch to end, then looks the cache up again.
  class flight_guard {
   public:
    flight_guard(gateway* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    flight_guard(const flight_guard&) = delete;
    flight_guard& operator=(const flight_guard&) = delete;
    flight_guard(flight_guard&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), key_(std::move(other.key_)) {}
    flight_guard& operator=(flight_guard&&) = delete;
    ~flight_guard() {
      if (owner_ != nullptr) owner_->leave_flight(key_);
    }
    /// True for the request that fetches; false for one that waited.
    [[nodiscard]] bool leads() const noexcept { return owner_ != nullptr; }

   private:
    gateway* owner_;
    std::string key_;
  };
  static constexpr std::chrono::seconds collapse_wait{10};
  [[nodiscard]] flight_guard join_flight(const std::string& key);
  void leave_flight(const std::string& key);

  distribution_config config_;
  std::string distribution_arn_;  ///< set with origin access control (origin_fetch)
  const origin& origin_;
  gateway_options options_;
  edge_cache cache_;
  std::mutex flights_mutex_;
  std::condition_variable flights_changed_;
  std::unordered_set<std::string> flights_;
  /// When each cached path was last reported by report_refused().
  mutable std::mutex reported_mutex_;
  mutable std::unordered_map<std::string, std::chrono::sys_seconds> reported_;
};

/// The control path prefix: /_s3cors/distributions/NAME/ACTION.
inline constexpr std::string_view control_prefix = "/_s3cors/distributions/";

/// Splits a control target into NAME and ACTION; nullopt when target is not one.
[[nodiscard]] std::optional<std::pair<std::string_view, std::string_view>> parse_control_target(
    std::string_view path);

/// 404 NoSuchDistribution (JSON) for a control target naming no distribution.
[[nodiscard]] answer no_such_distribution();

/// Reads an invalidation body: JSON {"paths": [...]} (or {"Paths": {"Items": [...]}}), or
/// CloudFront's InvalidationBatch XML (<Paths><Items><Path>...</Path></Items></Paths>).
[[nodiscard]] result<std::vector<std::string>, std::string> parse_invalidation_body(std::string_view body);

}  // namespace s3cors::edge
