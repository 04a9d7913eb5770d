#pragma once
// The one-'*' wildcard patterns of AllowedOrigin and AllowedHeader (docs/cors.md §7).
// A pattern "A*B" matches every string that starts with A, ends with B and is at least
// |A|+|B| long: '*' stands for zero or more characters of any kind, and the pattern is
// anchored at both ends.
#include <cstddef>
#include <string_view>

namespace s3cors::cors {

/// A pattern split at its first '*'. Views into the pattern string.
struct wildcard_pattern {
  std::string_view prefix;  ///< text before the '*', or the whole pattern without one
  std::string_view suffix;  ///< text after the '*' (empty without one)
  bool has_star = false;
};

[[nodiscard]] wildcard_pattern split_pattern(std::string_view pattern) noexcept;

/// Number of '*' characters (validation refuses more than one, §3).
[[nodiscard]] std::size_t count_wildcards(std::string_view text) noexcept;

/// AllowedOrigin semantics: case-sensitive, byte-for-byte.
[[nodiscard]] bool origin_matches(std::string_view pattern, std::string_view origin) noexcept;

/// AllowedHeader semantics: ASCII case-insensitive.
[[nodiscard]] bool header_matches(std::string_view pattern, std::string_view header_name) noexcept;

/// True when every string `inner` matches is also matched by `outer` (used by lint to
/// find shadowed rules). Exact for one-'*' patterns.
[[nodiscard]] bool pattern_covers(std::string_view outer, std::string_view inner,
                                  bool case_insensitive) noexcept;

}  // namespace s3cors::cors
