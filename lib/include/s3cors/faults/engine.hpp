#pragma once
// The fault engine (docs/faults.md §5): the rule list, and for each request the plan the
// transport carries out. Thread-safe; the only state is the rule list and each rule's counters.
#include "s3cors/faults/media_kind.hpp"
#include "s3cors/faults/rules.hpp"
#include "s3cors/faults/throttle.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::faults {

/// The response header naming the rules that fired, when a rule asks for it.
inline constexpr std::string_view fault_header = "x-s3cors-fault";

/// What the engine needs to know of a request. Views: the caller keeps the data alive for the
/// call to decide().
struct fault_request {
  std::string_view bucket;
  std::string_view key;
  std::string_view method;               ///< as sent ("GET")
  const header_list* headers = nullptr;  ///< nullptr: none
  /// Decoded query parameters; nullptr: none.
  const std::vector<std::pair<std::string, std::string>>* query = nullptr;
  media_info media;  ///< lookup(index, bucket, key, ...)
  steady_time now{};
  /// A CORS preflight (OPTIONS with Access-Control-Request-Method): selected only by rules
  /// whose method selector names OPTIONS, so a general rule never breaks preflights.
  bool preflight = false;
};

/// What the transport does to one response. Fired rules merge in order: latencies add up, the
/// lowest throughput cap and the smallest cut win, the first timeline and the first error win,
/// reset, stall, drop_cors and response_header hold if any rule sets them.
struct fault_plan {
  std::vector<std::string> rules;      ///< names of the rules that fired, in order
  std::chrono::milliseconds delay{0};  ///< before the head
  std::optional<std::uint64_t> throughput;
  std::optional<bandwidth_timeline> timeline;
  /// Where the timeline's first step begins: the rule's first firing, or nullopt for the body's
  /// start (a timeline "from": "request").
  std::optional<steady_time> timeline_origin;
  std::optional<injected_error> error;
  bool drop_cors = false;  ///< the error goes without CORS headers
  std::optional<std::uint64_t> cut_after;
  bool reset = false;
  bool stall = false;
  bool response_header = false;

  [[nodiscard]] bool empty() const noexcept { return rules.empty(); }
  /// The access log's field: the rule names joined by ',', or "-".
  [[nodiscard]] std::string log_field() const;
  /// The body's pacing from `start` (the first body byte), or nullopt when unthrottled. A cap
  /// and a timeline together give the timeline with each step capped.
  [[nodiscard]] std::optional<throttle> make_throttle(steady_time start) const;
};

/// The injected error as S3 would send it (make_error_response, Key or BucketName added as S3
/// adds them), plus the fault header when asked. CORS headers are the caller's, as for any error.
[[nodiscard]] response make_fault_response(const fault_plan& plan, const s3::request_context& ctx,
                                           std::string_view bucket, std::string_view key, bool is_head);

/// Adds the fault header naming the fired rules when the plan asks for it (any response).
void annotate(response& res, const fault_plan& plan);

/// Lists the fault header in Access-Control-Expose-Headers when the response carries both it
/// and CORS headers (Access-Control-Allow-Origin), so a browser test can read it. Call after
/// the CORS headers are in.
void expose_fault_header(response& res);

/// The uniform draw in [0, 1) for a rule's n-th match: a counter-based generator (SplitMix64 of
/// the seed, the rule's name and n), so the n-th match draws the same number in every run
/// whatever the threads did before it.
[[nodiscard]] double draw(std::uint64_t seed, std::string_view rule_name, std::uint64_t n) noexcept;

class fault_engine {
 public:
  fault_engine() = default;
  fault_engine(const fault_engine&) = delete;
  fault_engine& operator=(const fault_engine&) = delete;

  /// Replaces the rule list (configuration reload). A rule equal to one already held (same name,
  /// same definition) keeps its counters and its timeline's origin; every other starts afresh.
  void replace(std::vector<fault_rule> rules);
  /// Adds a rule parsed from JSON (the API's POST); an unnamed rule gets "rule-<n>". Returns the
  /// name, or an error: bad JSON, or a rule of that name exists (pointer "/name").
  [[nodiscard]] result<std::string, fault_error> add(std::string_view json);
  [[nodiscard]] result<std::string, fault_error> add(fault_rule rule);
  /// False when no rule has that name.
  bool remove(std::string_view name);
  void clear();

  [[nodiscard]] std::vector<fault_rule> rules() const;
  /// {"rules": [{...rule..., "matches": n, "fired": n}, ...]}
  [[nodiscard]] std::string list_json() const;
  /// Cheap check for the transport's fast path (no lock).
  [[nodiscard]] bool empty() const noexcept { return count_.load(std::memory_order_acquire) == 0; }

  /// Which rules fire for the request, counting the match for each selecting rule.
  [[nodiscard]] fault_plan decide(const fault_request& request);

 private:
  struct held {
    fault_rule rule;
    std::uint64_t matches = 0;
    std::uint64_t fired = 0;
    std::optional<steady_time> first_fired;
  };
  mutable std::mutex mutex_;
  std::vector<held> rules_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::size_t> count_{0};
};

/// Whether the rule's selector holds for the request (schedule and probability aside).
[[nodiscard]] bool selects(const selector& s, const fault_request& request);

}  // namespace s3cors::faults
