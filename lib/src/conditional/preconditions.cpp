#include "s3cors/conditional/preconditions.hpp"

#include "detail/parse_text.hpp"

#include <cstddef>

#include "s3cors/http/date.hpp"

namespace s3cors::conditional {
namespace {

using detail::is_ows;
using detail::trim_ows;

/// The header's value with whitespace trimmed, or nullopt when absent or blank.
std::optional<std::string_view> present(std::optional<std::string_view> header) noexcept {
  if (!header) return std::nullopt;
  const std::string_view value = trim_ows(*header);
  if (value.empty()) return std::nullopt;
  return value;
}

enum class comparison { strong, weak };

/// True when `list` (`*` or 1#entity-tag) names `etag`. Entity tags are scanned rather than split
/// on commas because a quoted tag may itself contain a comma. Clients that send the bare hex
/// S3 shows in consoles (no quotes) are accepted too. An unterminated quote ends the scan.
bool list_matches(std::string_view list, std::string_view etag, comparison mode) noexcept {
  while (true) {
    while (!list.empty() && (is_ows(list.front()) || list.front() == ',')) list.remove_prefix(1);
    if (list.empty()) return false;

    if (list.front() == '*') return true;

    bool is_weak = false;
    if (list.starts_with("W/")) {
      is_weak = true;
      list.remove_prefix(2);
    }

    std::string_view opaque;
    if (!list.empty() && list.front() == '"') {
      const auto close = list.find('"', 1);
      if (close == std::string_view::npos) return false;
      opaque = list.substr(1, close - 1);
      list.remove_prefix(close + 1);
    } else {
      std::size_t end = 0;
      while (end < list.size() && list[end] != ',' && !is_ows(list[end])) ++end;
      opaque = list.substr(0, end);
      list.remove_prefix(end);
    }

    // Our validators are always strong, so only the tag's own weakness matters.
    if (opaque == etag && (mode == comparison::weak || !is_weak)) return true;
  }
}

constexpr std::string_view if_match_name = "If-Match";
constexpr std::string_view if_unmodified_since_name = "If-Unmodified-Since";
constexpr std::string_view if_none_match_name = "If-None-Match";
constexpr std::string_view if_modified_since_name = "If-Modified-Since";

}  // namespace

precondition_result evaluate_preconditions(const precondition_headers& h, const validators& v) {
  // RFC 9110 §13.2.2, steps 1-4 (step 5, If-Range, belongs to the range decision):
  // 1. If-Match present: false -> 412. True -> skip step 2.
  // 2. Else If-Unmodified-Since (valid date): modified after it -> 412.
  // 3. If-None-Match present: true (a tag matches) -> 304 for GET/HEAD. Either way skip step 4.
  // 4. Else If-Modified-Since (valid date): not modified after it -> 304.
  // S3's GetObject documentation spells out the two mixed cases this order produces: If-Match true
  // with If-Unmodified-Since false is 200, and If-None-Match false with If-Modified-Since true
  // is 304.
  if (const auto if_match = present(h.if_match)) {
    if (!list_matches(*if_match, v.etag, comparison::strong)) {
      return {outcome::precondition_failed, if_match_name};
    }
  } else if (const auto text = present(h.if_unmodified_since)) {
    if (const auto date = parse_http_date(*text); date && v.last_modified > *date) {
      return {outcome::precondition_failed, if_unmodified_since_name};
    }
  }

  if (const auto if_none_match = present(h.if_none_match)) {
    if (list_matches(*if_none_match, v.etag, comparison::weak)) {
      return {outcome::not_modified, if_none_match_name};
    }
  } else if (const auto text = present(h.if_modified_since)) {
    if (const auto date = parse_http_date(*text); date && v.last_modified <= *date) {
      return {outcome::not_modified, if_modified_since_name};
    }
  }

  return {};
}

}  // namespace s3cors::conditional
