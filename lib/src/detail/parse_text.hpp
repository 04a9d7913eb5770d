#pragma once
// Private text helpers shared by the core's parsers.
#include <string>
#include <string_view>

namespace s3cors::detail {

/// Optional whitespace of HTTP (RFC 9110 §5.6.3).
[[nodiscard]] constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

/// One reference token of a JSON pointer: '~' and '/' escaped as ~0 and ~1 (RFC 6901).
[[nodiscard]] inline std::string json_pointer_token(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace s3cors::detail
