#pragma once
// The bucket CORS configuration as S3 stores it (docs/cors.md §1): an ordered list of rules whose
// strings are kept verbatim, so GetBucketCors returns exactly what PutBucketCors received.
//
// Matching needs no compiled form: an origin/header pattern has at most one '*', so
// matching it is one find() plus a prefix and a suffix comparison on the stored string
// (pattern.hpp), without allocation. Keeping only the verbatim strings means the model
// can never disagree with a cached copy of itself.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::cors {

/// One <CORSRule>. Empty vectors mean "element absent" (JSON `[]` maps to absent, §2).
struct cors_rule {
  std::optional<std::string> id;             ///< <ID>, ≤ 255 characters
  std::vector<std::string> allowed_origins;  ///< <AllowedOrigin>, ≥ 1, patterns with ≤ 1 '*'
  std::vector<std::string> allowed_methods;  ///< <AllowedMethod>, ≥ 1, GET/PUT/HEAD/POST/DELETE
  std::vector<std::string> allowed_headers;  ///< <AllowedHeader>, case kept, matched ignoring case
  std::vector<std::string> expose_headers;   ///< <ExposeHeader>, no '*'
  std::optional<long long> max_age_seconds;  ///< <MaxAgeSeconds>, an xsd:int

  friend bool operator==(const cors_rule&, const cors_rule&) = default;
};

/// A bucket's <CORSConfiguration>: 1–100 rules; the first matching rule wins (§7).
struct cors_configuration {
  std::vector<cors_rule> rules;

  friend bool operator==(const cors_configuration&, const cors_configuration&) = default;
};

/// Limits of §1.
inline constexpr std::size_t max_rules = 100;
inline constexpr std::size_t max_document_bytes = 64 * 1024;
inline constexpr std::size_t max_id_characters = 255;
/// MaxAgeSeconds is an xsd:int in S3's schema.
inline constexpr long long min_max_age_seconds = -2147483648LL;
inline constexpr long long max_max_age_seconds = 2147483647LL;

/// The only values AllowedMethod may take, case-sensitive (§1).
inline constexpr std::array<std::string_view, 5> supported_methods = {"GET", "PUT", "HEAD", "POST", "DELETE"};

/// True for exactly GET, PUT, HEAD, POST and DELETE (case-sensitive).
[[nodiscard]] bool is_supported_method(std::string_view method) noexcept;

/// True when the rule lists the bare origin "*"; S3 then answers Allow-Origin "*" (§9, §14).
[[nodiscard]] bool has_any_origin(const cors_rule& rule) noexcept;

}  // namespace s3cors::cors
