#pragma once
// Conditional GET/HEAD (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since),
// evaluated the way Amazon S3's GetObject and HeadObject document it.
#include <chrono>
#include <optional>
#include <string_view>

namespace s3cors::conditional {

enum class outcome { proceed, not_modified, precondition_failed };

/// Raw header values, nullopt when absent.
struct precondition_headers {
  std::optional<std::string_view> if_match, if_none_match, if_modified_since, if_unmodified_since;
};

struct validators {
  std::string_view etag;  ///< lowercase hex, unquoted
  std::chrono::sys_seconds last_modified;
};

struct precondition_result {
  outcome result = outcome::proceed;
  /// "If-Match" / "If-Unmodified-Since" / "If-None-Match" / "If-Modified-Since" that decided a
  /// non-proceed outcome; empty on proceed.
  std::string_view failed_condition;
};

/// Evaluates the preconditions of a GetObject/HeadObject against an existing object.
///
/// RFC 9110 §13.2.2 order: If-Match (else If-Unmodified-Since), then If-None-Match (else
/// If-Modified-Since). So If-Match true + If-Unmodified-Since false is 200 and If-None-Match
/// false + If-Modified-Since true is 304, exactly as S3 documents.
/// - ETag lists are comma separated; `*` matches any object; quoted, unquoted and W/ forms are
///   accepted. If-Match compares strongly (a W/ tag never matches), If-None-Match weakly.
/// - A header that is empty or all whitespace counts as absent; a date that does not parse is
///   ignored. Dates compare at whole seconds.
[[nodiscard]] precondition_result evaluate_preconditions(const precondition_headers& h, const validators& v);

}  // namespace s3cors::conditional
