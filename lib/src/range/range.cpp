#include "s3cors/range/range.hpp"

#include "detail/parse_text.hpp"

#include <cstddef>
#include <limits>

namespace s3cors::range {
namespace {

using detail::is_ows;
using detail::trim_ows;

/// RFC 9110 §14.1: range units are case-insensitive.
bool is_bytes_unit(std::string_view unit) noexcept {
  constexpr std::string_view bytes = "bytes";
  if (unit.size() != bytes.size()) return false;
  for (std::size_t i = 0; i < unit.size(); ++i) {
    const char c = (unit[i] >= 'A' && unit[i] <= 'Z') ? static_cast<char>(unit[i] - 'A' + 'a') : unit[i];
    if (c != bytes[i]) return false;
  }
  return true;
}

/// 1*DIGIT that fits in 64 bits; nullopt for empty, non-digit or overflowing text.
std::optional<std::uint64_t> parse_digits(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

/// The single non-empty element of the range-set, or nullopt when there is none or more than one.
/// RFC 9110 §5.6.1: list elements are separated by OWS "," OWS and empty elements are skipped.
std::optional<std::string_view> single_range_spec(std::string_view set) noexcept {
  std::optional<std::string_view> found;
  while (true) {
    const auto comma = set.find(',');
    const std::string_view element = trim_ows(set.substr(0, comma));
    if (!element.empty()) {
      if (found) return std::nullopt;  // several ranges: S3 serves none of them
      found = element;
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  return found;
}

constexpr range_decision ignored{range_kind::ignore, {}};
constexpr range_decision unsatisfiable{range_kind::unsatisfiable, {}};

range_decision satisfiable(std::uint64_t first, std::uint64_t last) noexcept {
  return range_decision{range_kind::satisfiable, byte_range{first, last}};
}

}  // namespace

range_decision parse_range(std::optional<std::string_view> header, std::uint64_t object_size) {
  if (!header) return range_decision{};

  const std::string_view value = trim_ows(*header);
  const auto equals = value.find('=');
  if (equals == std::string_view::npos || !is_bytes_unit(value.substr(0, equals))) return ignored;

  const auto spec = single_range_spec(value.substr(equals + 1));
  if (!spec) return ignored;

  const auto dash = spec->find('-');
  if (dash == std::string_view::npos) return ignored;
  const std::string_view first_text = spec->substr(0, dash);
  const std::string_view last_text = spec->substr(dash + 1);

  if (first_text.empty()) {
    // suffix-range "-n": the last n bytes.
    const auto suffix = parse_digits(last_text);
    if (!suffix) return ignored;
    if (*suffix == 0) return unsatisfiable;
    // An empty object has no last byte to name, so no 206 can describe it; S3 answers such
    // tail reads with the (empty) whole object. Evidence: floci-io/floci#1141/#1142, where
    // Trino's tail read of an empty S3 object expects a successful empty read.
    if (object_size == 0) return ignored;
    if (*suffix >= object_size) return satisfiable(0, object_size - 1);
    return satisfiable(object_size - *suffix, object_size - 1);
  }

  const auto first = parse_digits(first_text);
  if (!first) return ignored;

  std::uint64_t last = std::numeric_limits<std::uint64_t>::max();  // "a-": to the end
  if (!last_text.empty()) {
    const auto parsed_last = parse_digits(last_text);
    // S3 ignores an inverted range (bytes=33-10) instead of answering 416.
    if (!parsed_last || *parsed_last < *first) return ignored;
    last = *parsed_last;
  }

  // A start at or past the end is unsatisfiable. That includes every "a-b" and "a-" on an empty
  // object: Amazon S3 answers `bytes=0-` on a 0-byte object with 416 InvalidRange (AWS trace in
  // minio/minio-java#636, confirmed in minio/minio#17713), and ceph/s3-tests'
  // test_ranged_request_empty_object expects 416 for bytes=40-50 on an empty object.
  if (*first >= object_size) return unsatisfiable;
  return satisfiable(*first, last < object_size ? last : object_size - 1);
}

std::string content_range(const byte_range& r, std::uint64_t size) {
  return "bytes " + std::to_string(r.first) + '-' + std::to_string(r.last) + '/' + std::to_string(size);
}

std::string unsatisfied_content_range(std::uint64_t size) {
  return "bytes */" + std::to_string(size);
}

}  // namespace s3cors::range
