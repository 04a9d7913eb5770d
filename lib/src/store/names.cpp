#include "s3cors/store/names.hpp"

#include <cstddef>
#include <string>
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

bool is_reserved_segment(std::string_view segment) noexcept {
  // Every reserved name begins with ".s3cors-": most segments are told apart by one byte.
  if (segment.size() < 8 || segment[0] != '.' || segment[1] != 's') return false;
  return segment == nested_object_name || segment == folder_marker_name ||
         segment.starts_with(near_file_prefix) || segment.starts_with(nest_dir_prefix);
}

bool is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_key) return false;
  // NUL truncates C paths; a backslash is a separator on other systems and would make the
  // same file reachable under two keys on a shared volume.
  if (key.find('\0') != std::string_view::npos || key.find('\\') != std::string_view::npos) return false;
  // Reason per '/'-separated segment. This refuses a leading '/' (empty first segment) and
  // "a//b" (empty middle segment): "a//b" and "a/b" would be the same path. A trailing '/'
  // (S3 "folder" keys such as "photos/") leaves an empty last segment, which is allowed: such
  // a key is a marker file inside the folder (key_path).
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) return slash == std::string_view::npos && start > 0;  // "x/": the folder key
    if (segment == "." || segment == ".." || segment.size() > max_segment || is_reserved_segment(segment)) {
      return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string key_path(std::string_view key) {
  std::string path{key};
  if (key.ends_with('/')) path += folder_marker_name;
  return path;
}

std::string nested_key_path(std::string_view key) {
  if (key.ends_with('/')) return {};
  std::string path{key};
  path += '/';
  path += nested_object_name;
  return path;
}

std::string key_of_path(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string key;
  if (last == folder_marker_name && slash != std::string_view::npos) {
    key = path.substr(0, slash + 1);
  } else if (last == nested_object_name && slash != std::string_view::npos) {
    key = path.substr(0, slash);
  } else {
    key = path;
  }
  if (!is_valid_key(key)) return {};
  return key;
}

}  // namespace s3cors::store
