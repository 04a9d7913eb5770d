#include "s3cors/cors/pattern.hpp"

#include "cors/detail/text.hpp"

#include <algorithm>

namespace s3cors::cors {
namespace {

bool equal(std::string_view a, std::string_view b, bool case_insensitive) noexcept {
  return case_insensitive ? detail::iequal(a, b) : a == b;
}

bool starts_with(std::string_view s, std::string_view prefix, bool case_insensitive) noexcept {
  return s.size() >= prefix.size() && equal(s.substr(0, prefix.size()), prefix, case_insensitive);
}

bool ends_with(std::string_view s, std::string_view suffix, bool case_insensitive) noexcept {
  return s.size() >= suffix.size() && equal(s.substr(s.size() - suffix.size()), suffix, case_insensitive);
}

bool matches(std::string_view pattern, std::string_view text, bool case_insensitive) noexcept {
  const wildcard_pattern p = split_pattern(pattern);
  if (!p.has_star) return equal(p.prefix, text, case_insensitive);
  // Anchored at both ends; '*' takes zero or more characters, so prefix and suffix must not
  // overlap inside the text.
  return text.size() >= p.prefix.size() + p.suffix.size() && starts_with(text, p.prefix, case_insensitive) &&
         ends_with(text, p.suffix, case_insensitive);
}

}  // namespace

wildcard_pattern split_pattern(std::string_view pattern) noexcept {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return {pattern, {}, false};
  return {pattern.substr(0, star), pattern.substr(star + 1), true};
}

std::size_t count_wildcards(std::string_view text) noexcept {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '*'));
}

bool origin_matches(std::string_view pattern, std::string_view origin) noexcept {
  return matches(pattern, origin, false);
}

bool header_matches(std::string_view pattern, std::string_view header_name) noexcept {
  return matches(pattern, header_name, true);
}

bool pattern_covers(std::string_view outer, std::string_view inner, bool case_insensitive) noexcept {
  const wildcard_pattern o = split_pattern(outer);
  const wildcard_pattern i = split_pattern(inner);
  if (!i.has_star) return matches(outer, inner, case_insensitive);
  if (!o.has_star) return false;  // an exact string cannot cover infinitely many
  // {C x D} ⊆ {A y B} for every x exactly when C starts with A and D ends with B.
  return starts_with(i.prefix, o.prefix, case_insensitive) && ends_with(i.suffix, o.suffix, case_insensitive);
}

}  // namespace s3cors::cors
