#include "s3cors/store/names.hpp"

#include <cstddef>
#include <string_view>

namespace s3cors::store {
namespace {

constexpr bool is_lower_or_digit(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// "Formatted as an IP address" per the S3 naming rules: four dot-separated groups of 1-3
// digits. Values above 255 are refused too; S3 does not accept them either.
bool is_ipv4_form(std::string_view name) noexcept {
  int groups = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view group = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (group.empty() || group.size() > 3) return false;
    for (const char c : group) {
      if (!is_digit(c)) return false;
    }
    ++groups;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return groups == 4;
}

// A filename component longer than this fails with ENAMETOOLONG on Linux file systems.
constexpr std::size_t max_segment = 255;
// The S3 limit on key length, in bytes.
constexpr std::size_t max_key = 1024;

}  // namespace

bool is_valid_bucket_name(std::string_view name) noexcept {
  if (name.size() < 3 || name.size() > 63) return false;
  if (!is_lower_or_digit(name.front()) || !is_lower_or_digit(name.back())) return false;
  for (const char c : name) {
    if (!is_lower_or_digit(c) && c != '.' && c != '-') return false;
  }
  // Naming rules, not path checks: no adjacent dots, no dot next to a hyphen.
  for (const std::string_view bad : {"..", ".-", "-."}) {
    if (name.find(bad) != std::string_view::npos) return false;
  }
  return !is_ipv4_form(name);
}

bool is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_key) return false;
  // NUL truncates C paths; a backslash is a separator on other systems and would make the
  // same file reachable under two keys on a shared volume.
  if (key.find('\0') != std::string_view::npos || key.find('\\') != std::string_view::npos) return false;
  // Reason per '/'-separated segment. This refuses a leading '/' (empty first segment),
  // "a//b" (empty middle segment) and a trailing '/' (empty last segment): S3 "folder"
  // markers such as "photos/" are legal keys, but a directory cannot also be a file, so
  // such keys are not mappable here.
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty() || segment == "." || segment == ".." || segment.size() > max_segment ||
        segment.starts_with(near_file_prefix)) {
      return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace s3cors::store
