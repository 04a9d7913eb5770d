#pragma once
// The fault rule language (docs/faults.md §3): which requests a rule selects, what it does to
// them and how often. Parsed from JSON; every refusal names the JSON pointer of the bad field.
#include "s3cors/faults/media_kind.hpp"
#include "s3cors/faults/throttle.hpp"
#include "s3cors/glob.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::faults {

struct fault_error {
  std::string pointer;  ///< JSON pointer of the offending value ("" for the document)
  std::string message;

  friend bool operator==(const fault_error&, const fault_error&) = default;
};

/// An inclusive range of unsigned values.
struct u64_range {
  std::uint64_t min = 0;
  std::uint64_t max = std::numeric_limits<std::uint64_t>::max();

  [[nodiscard]] bool contains(std::uint64_t v) const noexcept { return v >= min && v <= max; }
  friend bool operator==(const u64_range&, const u64_range&) = default;
};

/// Limits a rule to requests carrying a header or query parameter the test sets.
struct client_tag {
  enum class source { header, query };
  source from = source::header;
  std::string name;   ///< header names compare case-insensitively, query parameter names exactly
  std::string value;  ///< compared exactly

  friend bool operator==(const client_tag&, const client_tag&) = default;
};

struct rendition_selector {
  std::optional<u64_range> bandwidth;  ///< bits per second, as BANDWIDTH / @bandwidth say
  std::optional<unsigned> width;
  std::optional<unsigned> height;
  std::optional<std::string> path;  ///< a glob over the rendition's path (its playlist key)

  friend bool operator==(const rendition_selector&, const rendition_selector&) = default;
};

/// Every present selector must hold; lists match when any element does; absent ones match all.
struct selector {
  std::vector<std::string> buckets;
  std::vector<std::string> keys;     ///< globs: '*' any run of characters ('/' too), '?' one
  std::vector<std::string> methods;  ///< upper case
  std::vector<media_kind> kinds;
  std::optional<rendition_selector> rendition;  ///< requires a known rendition
  std::optional<u64_range> segment;             ///< 0-based segment index
  std::optional<u64_range> sequence;            ///< media sequence number (DASH: $Number$)
  std::vector<std::string> origins;             ///< globs over the Origin header; requires one
  std::optional<client_tag> client;
  double probability = 1.0;  ///< after the schedule, drawn from `seed` and the match number
  std::uint64_t seed = 0;

  friend bool operator==(const selector&, const selector&) = default;
};

struct injected_error {
  s3::error code = s3::error::internal_error;  ///< status and Code from S3's table
  std::string message;                         ///< empty: the table's message

  friend bool operator==(const injected_error&, const injected_error&) = default;
};

/// Where a rule's bandwidth timeline starts: at the rule's first firing (one timeline across
/// every request it selects: a network that degrades mid-stream), or at each request.
enum class timeline_origin { rule, request };

struct fault_actions {
  std::chrono::milliseconds latency{0};     ///< before the response head
  std::optional<std::uint64_t> throughput;  ///< body cap, bytes per second
  std::optional<bandwidth_timeline> timeline;
  timeline_origin timeline_from = timeline_origin::rule;
  std::optional<injected_error> error;     ///< answer with S3's error instead of the object
  std::optional<std::uint64_t> cut_after;  ///< the body ends after this many bytes
  /// How the connection ends: without cut_after, instead of the head; with it, after the cut.
  /// Neither: a clean close after the cut.
  bool reset = false;  ///< TCP reset (SO_LINGER 0)
  bool stall = false;  ///< nothing more is sent; the connection stays open until the client leaves

  friend bool operator==(const fault_actions&, const fault_actions&) = default;
};

struct schedule {
  enum class kind { always, first, every };
  kind what = kind::always;
  std::uint64_t n = 0;  ///< first: the first n matches; every: the nth, 2nth, ...

  friend bool operator==(const schedule&, const schedule&) = default;
};

struct fault_rule {
  std::string name;
  bool enabled = true;
  selector match;
  fault_actions action;
  schedule when;
  bool drop_cors = false;        ///< injected errors go without CORS headers (a CDN's error page)
  bool response_header = false;  ///< x-s3cors-fault: <name> on the response

  friend bool operator==(const fault_rule&, const fault_rule&) = default;
};

/// Human units (docs/faults.md §3.4). Rates: a number is bytes/s; "5Mbit", "500kbit/s",
/// "5Mbps" are bits (k, M, G are 1000s), "64kB/s", "1MB", "1.5MiB/s" bytes (KiB, MiB, GiB are
/// 1024s); "unlimited" is rate_step::unlimited. Durations: a number is milliseconds;
/// "250ms", "20s", "1.5s", "2m", "1h", "100us". Sizes: a number is bytes; "16KiB", "1MB", "100B".
/// Each returns a message saying what was expected on failure.
[[nodiscard]] result<std::uint64_t, std::string> parse_rate(std::string_view text);
[[nodiscard]] result<std::chrono::nanoseconds, std::string> parse_duration(std::string_view text);
[[nodiscard]] result<std::uint64_t, std::string> parse_size(std::string_view text);

using s3cors::glob_matches;  // s3cors/glob.hpp

/// One rule: {"name": ..., "match": {...}, "action": {...}, "when": ...} (docs/faults.md §3).
/// Unknown fields are refused. A rule without a name is named "rule-<n>" by whoever adds it.
[[nodiscard]] result<fault_rule, fault_error> parse_rule(std::string_view json);
/// A list of rules: an array, or {"rules": [...]}. Names must be unique.
[[nodiscard]] result<std::vector<fault_rule>, fault_error> parse_rules(std::string_view json);

/// The rule in the JSON form parse_rule reads (units normalised: bytes/s, milliseconds, bytes).
[[nodiscard]] std::string to_json(const fault_rule& rule);

}  // namespace s3cors::faults
