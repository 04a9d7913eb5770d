#include "s3cors/mime/mime.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace s3cors::mime {
namespace {

struct entry {
  std::string_view extension;  // lowercase, without the dot
  std::string_view type;
};

// Sorted by extension (checked below) for binary search. Streaming types follow the HLS
// (RFC 8216), DASH (ISO/IEC 23009-1) and CMAF (CTA-5004) specifications.
constexpr std::array table{
    entry{"aac", "audio/aac"},
    entry{"avif", "image/avif"},
    entry{"bmp", "image/bmp"},
    entry{"cmfa", "audio/mp4"},
    entry{"cmfv", "video/mp4"},
    entry{"css", "text/css"},
    entry{"csv", "text/csv"},
    entry{"flac", "audio/flac"},
    entry{"gif", "image/gif"},
    entry{"gz", "application/gzip"},
    entry{"htm", "text/html"},
    entry{"html", "text/html"},
    entry{"ico", "image/x-icon"},
    entry{"jpeg", "image/jpeg"},
    entry{"jpg", "image/jpeg"},
    entry{"js", "text/javascript"},
    entry{"json", "application/json"},
    // HLS AES-128 keys are opaque bytes; players only need them served, not typed.
    entry{"key", "application/octet-stream"},
    entry{"m3u8", "application/vnd.apple.mpegurl"},
    entry{"m4a", "audio/mp4"},
    entry{"m4s", "video/iso.segment"},
    entry{"m4v", "video/mp4"},
    entry{"mjs", "text/javascript"},
    entry{"mov", "video/quicktime"},
    entry{"mp3", "audio/mpeg"},
    entry{"mp4", "video/mp4"},
    entry{"mpd", "application/dash+xml"},
    entry{"oga", "audio/ogg"},
    entry{"ogg", "audio/ogg"},
    entry{"ogv", "video/ogg"},
    // Opus is normally carried in Ogg (RFC 7845 §9).
    entry{"opus", "audio/ogg"},
    entry{"otf", "font/otf"},
    entry{"pdf", "application/pdf"},
    entry{"png", "image/png"},
    entry{"srt", "application/x-subrip"},
    entry{"svg", "image/svg+xml"},
    entry{"ts", "video/mp2t"},
    entry{"ttf", "font/ttf"},
    entry{"ttml", "application/ttml+xml"},
    entry{"txt", "text/plain"},
    entry{"vtt", "text/vtt"},
    entry{"wasm", "application/wasm"},
    entry{"wav", "audio/wav"},
    entry{"weba", "audio/webm"},
    entry{"webm", "video/webm"},
    entry{"webp", "image/webp"},
    entry{"woff", "font/woff"},
    entry{"woff2", "font/woff2"},
    entry{"xml", "application/xml"},
    entry{"zip", "application/zip"},
};

constexpr bool is_sorted_and_lowercase() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    for (const char c : table[i].extension) {
      if (c >= 'A' && c <= 'Z') return false;
    }
    if (i > 0 && !(table[i - 1].extension < table[i].extension)) return false;
  }
  return true;
}
static_assert(is_sorted_and_lowercase(), "mime table must be sorted, unique and lowercase");

constexpr std::size_t longest_extension() {
  std::size_t longest = 0;
  for (const entry& e : table) longest = std::max(longest, e.extension.size());
  return longest;
}

/// The text after the last dot of the last path segment, ignoring leading dots.
std::string_view extension_of(std::string_view key) noexcept {
  if (const auto slash = key.rfind('/'); slash != std::string_view::npos) key.remove_prefix(slash + 1);
  const auto first_non_dot = key.find_first_not_of('.');
  if (first_non_dot == std::string_view::npos) return {};
  key.remove_prefix(first_non_dot);
  const auto dot = key.rfind('.');
  if (dot == std::string_view::npos) return {};
  return key.substr(dot + 1);
}

}  // namespace

std::string_view content_type_for_key(std::string_view key) noexcept {
  const std::string_view extension = extension_of(key);
  if (extension.empty() || extension.size() > longest_extension()) return default_content_type;

  std::array<char, longest_extension()> buffer{};
  std::transform(extension.begin(), extension.end(), buffer.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  const std::string_view lower{buffer.data(), extension.size()};

  const auto it = std::lower_bound(table.begin(), table.end(), lower,
                                   [](const entry& e, std::string_view ext) { return e.extension < ext; });
  if (it == table.end() || it->extension != lower) return default_content_type;
  return it->type;
}

}  // namespace s3cors::mime
