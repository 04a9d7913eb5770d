#pragma once
// Private helpers for the request target as the signatures cover it, shared by SigV2 and SigV4:
// the target split into its raw path and raw query, and the percent decoding both apply to them.
#include <array>
#include <string>
#include <string_view>

namespace s3cors::auth {

/// A request target's raw (still percent-encoded) parts, as views into the target.
struct target_parts {
  std::string_view path;   ///< "" when the target has none (an absolute-form target with no path)
  std::string_view query;  ///< after the first '?', without it; "" when there is none
};

/// Splits a request target into path and query. An absolute-form target ("http://host/p?q")
/// loses its scheme and authority, and any fragment is dropped.
[[nodiscard]] target_parts split_target(std::string_view target) noexcept;

/// The value of each byte as a hex digit, -1 for the bytes that are none.
inline constexpr std::array<signed char, 256> hex_digit_values = [] {
  std::array<signed char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = static_cast<signed char>(c >= '0' && c <= '9'   ? c - '0'
                                                                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                                         : -1);
  }
  return table;
}();

/// c as a hex digit of either case (0 to 15), or -1.
[[nodiscard]] constexpr int hex_digit(char c) noexcept {
  return hex_digit_values[static_cast<unsigned char>(c)];
}

/// Whether percent_decode(text, plus_is_space) differs from text, or may: text holds a '%'
/// (or, with plus_is_space, a '+').
[[nodiscard]] bool needs_decoding(std::string_view text, bool plus_is_space) noexcept;

/// Appends text with %XX escapes decoded once; a '%' without two hex digits after it stays
/// literal, and '+' becomes a space only with plus_is_space (a query read as a form; SDKs escape
/// spaces in paths as %20). Never appends more than text.size() bytes.
void append_percent_decoded(std::string& out, std::string_view text, bool plus_is_space);

/// text decoded as append_percent_decoded does. Never fails: unlike s3::percent_decode, which
/// routes requests, a malformed escape is kept as it is, as the signed bytes are.
[[nodiscard]] std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace s3cors::auth
