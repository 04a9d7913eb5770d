#include "detail/header_parameters.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/http/request.hpp"

namespace s3cors::detail {

namespace {

[[nodiscard]] bool is_tchar(char c) noexcept {
  // RFC 9110 §5.6.2 token characters.
  const auto byte = static_cast<unsigned char>(c);
  if ((byte >= '0' && byte <= '9') || (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z'))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

parameter_list parse_parameters(std::string_view text) {
  parameter_list out;
  std::size_t i = 0;
  const auto skip_ows = [&] {
    while (i < text.size() && is_ows(text[i])) ++i;
  };
  while (true) {
    skip_ows();
    if (i >= text.size() || text[i] != ';') return out;
    ++i;
    skip_ows();
    const std::size_t name_begin = i;
    while (i < text.size() && is_tchar(text[i])) ++i;
    const std::string_view name = text.substr(name_begin, i - name_begin);
    skip_ows();
    if (name.empty() || i >= text.size() || text[i] != '=') return out;
    ++i;
    skip_ows();
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char c = text[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < text.size()) {
          value += text[i++];  // quoted-pair (RFC 9110 §5.6.4)
        } else {
          value += c;
        }
      }
      if (!closed) return out;
    } else {
      // Unquoted: a token, leniently anything up to the next ';' (browsers always quote).
      const std::size_t begin = i;
      while (i < text.size() && text[i] != ';') ++i;
      value = std::string(trim_ows(text.substr(begin, i - begin)));
    }
    out.emplace_back(std::string(name), std::move(value));
  }
}

std::optional<std::string> find_parameter(const parameter_list& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::string_view media_type(std::string_view value) noexcept {
  return trim_ows(value.substr(0, value.find(';')));
}

}  // namespace s3cors::detail
