#pragma once
// The transport-independent request the core works on. The transport fills it from Beast.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors {

enum class method { get, head, put, post, delete_, options, other };

[[nodiscard]] method method_from_string(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(method m) noexcept;

/// ASCII case-insensitive equality, as HTTP field names compare. Inline: header lookups and
/// SigV4 canonicalisation call it for every field of every request.
[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // ASCII letters differ from their other case only in bit 0x20.
    const char x = a[i];
    const char y = b[i];
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20)) return false;
    const char lower = static_cast<char>(x | 0x20);
    if (lower < 'a' || lower > 'z') return false;
  }
  return true;
}

/// An ordered list of header fields with case-insensitive lookup.
class header_list {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  void reserve(std::size_t n) { fields_.reserve(n); }
  /// Replaces every field of that name by one field.
  void set(std::string_view name, std::string value);
  void remove(std::string_view name);
  /// First value of the field, or nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name).has_value(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& fields() const noexcept {
    return fields_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct request {
  method verb = method::get;
  std::string method_name;  ///< as sent, for methods outside the enum and for logs
  std::string target;       ///< raw request-target, e.g. "/media/a%20b.ts?x-id=GetObject"
  int version = 11;         ///< 10 or 11
  header_list headers;
  /// A body follows the header (Content-Length above 0, or chunked transfer coding). The
  /// transport then delivers it in pieces to the body_sink the application returns.
  bool has_body = false;
  /// The body's length when the header announced it (absent with chunked transfer coding).
  std::optional<std::uint64_t> content_length;
  /// The whole body, for callers that have it in memory (service::handle); empty otherwise.
  std::string body;
  /// Set by the transport when someone reads this request's access details (an open
  /// inspector page): the application fills access_note's bucket, key and cors, as
  /// service_options::access_log_details does for every request.
  bool log_details = false;
};

}  // namespace s3cors
