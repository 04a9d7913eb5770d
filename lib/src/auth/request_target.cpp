#include "auth/request_target.hpp"

namespace s3cors::auth {

target_parts split_target(std::string_view target) noexcept {
  // Absolute-form targets ("http://host/path?q") carry the authority first.
  if (!target.starts_with('/')) {
    if (const auto scheme = target.find("://"); scheme != std::string_view::npos) {
      const auto path_start = target.find_first_of("/?", scheme + 3);
      target = path_start == std::string_view::npos ? std::string_view() : target.substr(path_start);
    }
  }
  if (const auto fragment = target.find('#'); fragment != std::string_view::npos)
    target = target.substr(0, fragment);
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

bool needs_decoding(std::string_view text, bool plus_is_space) noexcept {
  return text.find('%') != std::string_view::npos ||
         (plus_is_space && text.find('+') != std::string_view::npos);
}

void append_percent_decoded(std::string& out, std::string_view text, bool plus_is_space) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && c == '+' ? ' ' : c;
  }
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  if (!needs_decoding(text, plus_is_space)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  append_percent_decoded(out, text, plus_is_space);
  return out;
}

}  // namespace s3cors::auth
