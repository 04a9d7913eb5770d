#pragma once
// CORS rule matching and the Access-Control-* headers S3 adds (docs/cors.md §6, §7, §9–§11).
// Pure: the caller supplies the request fields, the engine returns values.
#include "s3cors/cors/configuration.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::cors {

struct cors_request {
  std::string_view origin;  ///< Origin header; empty = absent (an empty Origin counts as absent)
  std::string_view method;  ///< HTTP method of the request
  std::optional<std::string_view> access_control_request_method;
  std::optional<std::string_view> access_control_request_headers;
};

/// What happened to one rule during evaluation; the first failing condition is reported.
struct rule_trace {
  std::size_t index;
  enum class verdict { matched, origin_mismatch, method_mismatch, header_mismatch, not_evaluated } what;
  std::string detail;  ///< e.g. "header x-foo not allowed"

  friend bool operator==(const rule_trace&, const rule_trace&) = default;
};

struct decision {
  std::optional<std::size_t> matched_rule;
  /// Exact headers to add, in this order: Access-Control-Allow-Origin,
  /// Access-Control-Allow-Credentials?, Access-Control-Allow-Methods,
  /// Access-Control-Allow-Headers? (preflight only), Access-Control-Expose-Headers?,
  /// Access-Control-Max-Age?, Vary. Empty when no rule matched.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<rule_trace> trace;  ///< one entry per rule, in rule order
};

inline constexpr std::string_view vary_value =
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// Evaluates §7 for a preflight (`preflight` true; `method` is then ignored unless no
/// Access-Control-Request-Method was sent) or an actual request. The judged method is the
/// Access-Control-Request-Method when present, else `method`; requested headers come from
/// Access-Control-Request-Headers on either kind. Never fails: no match = no headers.
/// Without `explain` the trace is left empty (the outcome and headers are the same): for
/// callers that need no explanation of an allowed request.
[[nodiscard]] decision evaluate(const cors_configuration& config, const cors_request& request, bool preflight,
                                bool explain = true);

/// "matched", "origin_mismatch", "method_mismatch", "header_mismatch", "not_evaluated".
[[nodiscard]] std::string_view to_string(rule_trace::verdict v) noexcept;

/// The method §7 judges: Access-Control-Request-Method if present, else the HTTP method.
[[nodiscard]] std::string_view judged_method(const cors_request& request) noexcept;

/// Access-Control-Request-Headers split on ',', each item trimmed of spaces/tabs and
/// ASCII-lowercased, empty items dropped, request order kept (§7, §9).
[[nodiscard]] std::vector<std::string> split_request_headers(std::string_view value);

}  // namespace s3cors::cors
