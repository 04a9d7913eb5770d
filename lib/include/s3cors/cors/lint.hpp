#pragma once
// Advice on a CORS configuration beyond what PutBucketCors refuses: rules that can never
// match, and settings that make browser players and uploads fail.
#include "s3cors/cors/configuration.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace s3cors::cors {

struct lint_finding {
  enum class severity { error, warning } level;
  std::optional<std::size_t> rule;  ///< 0-based rule index; nullopt for the whole configuration
  std::string message;

  friend bool operator==(const lint_finding&, const lint_finding&) = default;
};

/// Errors: whatever validate() refuses (only the first violation, as S3 reports one).
/// Warnings, per rule in order: duplicate of an earlier rule; shadowed by an earlier rule
/// (it allows nothing the earlier one doesn't, so it never matches); GET without HEAD;
/// '*' origin together with PUT/POST/DELETE; upload headers allowed without PUT or POST;
/// PUT or POST without ETag exposed; AllowedHeader names next to '*'; duplicate values;
/// other origins next to '*'; origins with a path, a trailing '/', upper case, no scheme, or
/// empty (they never match what browsers send); MaxAgeSeconds negative or above 86400
/// (browsers cap it); duplicate IDs.
[[nodiscard]] std::vector<lint_finding> lint(const cors_configuration& config);

}  // namespace s3cors::cors
