#pragma once
// Private helpers of the policy module: wildcard patterns with literal runs (what a policy
// variable expands to is never a wildcard), ARN parts, addresses, numbers and dates.
#include "s3cors/policy/policy.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::policy::detail {

/// A compiled pattern: bytes, or any_run (`*`) / any_one (`?`).
inline constexpr int any_run = -1;
inline constexpr int any_one = -2;
using glob = std::vector<int>;

/// `*` and `?` are wildcards; every other byte is literal.
[[nodiscard]] glob compile(std::string_view pattern);
/// Every byte literal.
[[nodiscard]] glob literal(std::string_view text);

[[nodiscard]] bool glob_matches(const int* p, std::size_t pn, std::string_view s, bool ignore_case) noexcept;
[[nodiscard]] inline bool glob_matches(const glob& g, std::string_view s, bool ignore_case) noexcept {
  return glob_matches(g.data(), g.size(), s, ignore_case);
}
/// ARN comparison of a compiled pattern, part by part (policy.hpp arn_matches).
[[nodiscard]] bool arn_glob_matches(const glob& pattern, std::string_view arn) noexcept;

[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
[[nodiscard]] bool istarts_with(std::string_view s, std::string_view prefix) noexcept;
[[nodiscard]] std::string lower(std::string_view s);

/// Expands policy variables: ${key} (the key's single value), ${key, 'default'}, ${*} ${?} ${$}
/// (a literal '*', '?', '$'). Text outside variables goes through `compile` when `wildcards`,
/// else stays literal; expanded values are always literal. nullopt when a variable has no value
/// and no default (the element then matches nothing).
[[nodiscard]] std::optional<glob> expand(std::string_view text, const context_keys& keys, bool variables,
                                         bool wildcards);
/// Whether `text` holds a "${" variable (special characters included).
[[nodiscard]] bool has_variable(std::string_view text) noexcept;

struct cidr {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  unsigned prefix = 0;  ///< 0..32 or 0..128
};
/// "192.0.2.0/24", "192.0.2.7" (= /32), "2001:db8::/32", "::1" (= /128); nullopt when invalid.
[[nodiscard]] std::optional<cidr> parse_cidr(std::string_view text);
[[nodiscard]] bool cidr_contains(const cidr& range, const cidr& address) noexcept;

[[nodiscard]] std::optional<double> parse_number(std::string_view text) noexcept;
/// ISO 8601 ("2026-12-05", "2026-12-05T22:15:00Z", fractions, "+01:00" offsets) or epoch
/// seconds; milliseconds since the epoch.
[[nodiscard]] std::optional<std::int64_t> parse_date(std::string_view text) noexcept;
/// "true"/"false" in any case.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view text) noexcept;

/// Whether the operator's match is negated (StringNotEquals, NotIpAddress, ...).
[[nodiscard]] bool is_negated(condition_operator op) noexcept;
/// The operator for its name without qualifier and IfExists ("StringEquals"); case-sensitive.
[[nodiscard]] std::optional<condition_operator> operator_from_name(std::string_view name) noexcept;

}  // namespace s3cors::policy::detail
