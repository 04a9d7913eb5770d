#include "s3cors/http/multipart_form.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/http/request.hpp"

#include <algorithm>
#include <string>

namespace s3cors::http {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::size_t max_boundary_length = 70;  // RFC 2046 §5.1.1

s3::error_detail malformed() {
  return s3::error_detail{s3::error::malformed_post_request};
}

s3::error_detail not_multipart() {
  // S3 answers 412 with this Condition (captured responses; the documented
  // RequestIsNotMultiPartContent code is not what it sends).
  return s3::error_detail{s3::error::precondition_failed}.with(
      "Condition", "Bucket POST must be of the enclosure-type multipart/form-data");
}

s3::error_detail pre_data_too_large() {
  // The message's misspelling is S3's.
  return s3::error_detail{s3::error::max_post_pre_data_length_exceeded}.with(
      "MaxPostPreDataLengthBytes", std::to_string(max_post_pre_data_length));
}

s3::error_detail no_file() {
  return s3::error_detail{s3::error::invalid_argument, "POST requires exactly one file upload per request."}
      .with("ArgumentName", "file")
      .with("ArgumentValue", "0");
}

[[nodiscard]] bool is_tchar(char c) noexcept {
  // RFC 9110 §5.6.2 token characters.
  const auto byte = static_cast<unsigned char>(c);
  if ((byte >= '0' && byte <= '9') || (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z'))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// A header's parameters after its first value: `; name=token` or `; name="quoted"`.
/// Malformed parameters end the list; what was read so far stands.
std::vector<std::pair<std::string, std::string>> parse_parameters(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  const auto skip_ows = [&] {
    while (i < text.size() && detail::is_ows(text[i])) ++i;
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
      value = std::string(detail::trim_ows(text.substr(begin, i - begin)));
    }
    out.emplace_back(std::string(name), std::move(value));
  }
}

std::optional<std::string> find_parameter(const std::vector<std::pair<std::string, std::string>>& params,
                                          std::string_view name) {
  for (const auto& [key, value] : params) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

/// The media type of a header value: everything before the first ';', trimmed.
std::string_view media_type(std::string_view value) {
  return detail::trim_ows(value.substr(0, value.find(';')));
}

/// A boundary delimiter found in the body.
struct boundary_hit {
  std::size_t begin = 0;  ///< where the delimiter starts (its CRLF, or 0 at the body's start)
  std::size_t next = 0;   ///< the first byte after the delimiter line
  bool is_close = false;  ///< "--boundary--": no part follows
};

/// Whether a delimiter line ends correctly at pos (just after "--boundary"): a close
/// delimiter "--" then optional whitespace and CRLF or the end of the body, or optional
/// whitespace (transport padding) and CRLF. Anything else means these bytes are data.
std::optional<boundary_hit> finish_delimiter(std::string_view body, std::size_t begin, std::size_t pos) {
  boundary_hit hit{begin, pos, false};
  if (body.substr(pos).starts_with("--")) {
    hit.is_close = true;
    pos += 2;
  }
  while (pos < body.size() && detail::is_ows(body[pos])) ++pos;
  if (body.substr(pos).starts_with(crlf)) {
    hit.next = pos + crlf.size();
    return hit;
  }
  if (hit.is_close && (pos == body.size() || body.substr(pos) == "\r")) {
    hit.next = body.size();  // the body ends in the close delimiter's line: CRLF optional
    return hit;
  }
  return std::nullopt;
}

/// The first delimiter ("\r\n--boundary" ending a line correctly) at or after from whose CRLF
/// starts before limit. Candidates that are followed by other bytes are part of the data.
std::optional<boundary_hit> find_delimiter(std::string_view body, std::string_view delimiter,
                                           std::size_t from, std::size_t limit) {
  limit = std::min(limit, body.size());
  // Only candidates starting before limit count: search no further than that.
  const std::string_view window = body.substr(0, std::min(body.size(), limit + delimiter.size()));
  while (from < limit) {
    const std::size_t at = window.find(delimiter, from);
    if (at == std::string_view::npos || at >= limit) return std::nullopt;
    if (auto hit = finish_delimiter(body, at, at + delimiter.size())) return hit;
    from = at + 1;
  }
  return std::nullopt;
}

struct part_headers {
  bool is_form_data = false;
  std::optional<std::string> name;
  std::optional<std::string> filename;
  std::string content_type;
};

/// Reads a part's header lines (without the blank line that ends them). Header names are
/// case-insensitive; only Content-Disposition and Content-Type mean anything (RFC 7578 §4.8).
std::optional<part_headers> parse_part_headers(std::string_view block) {
  part_headers out;
  std::string disposition;
  std::string* last = nullptr;
  while (!block.empty()) {
    const std::size_t eol = block.find(crlf);
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + crlf.size());
    if (!line.empty() && detail::is_ows(line.front())) {
      // obs-fold: a continuation of the previous field's value.
      if (last == nullptr) return std::nullopt;
      *last += ' ';
      *last += detail::trim_ows(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view name = detail::trim_ows(line.substr(0, colon));
    const std::string_view value = detail::trim_ows(line.substr(colon + 1));
    last = nullptr;
    if (iequals(name, "Content-Disposition")) {
      disposition = std::string(value);
      last = &disposition;
    } else if (iequals(name, "Content-Type")) {
      out.content_type = std::string(value);
      last = &out.content_type;
    }
  }
  if (!disposition.empty()) {
    const std::string_view view = disposition;
    out.is_form_data = iequals(media_type(view), "form-data");
    const auto params = parse_parameters(view.substr(std::min(view.find(';'), view.size())));
    out.name = find_parameter(params, "name");
    out.filename = find_parameter(params, "filename");
  }
  return out;
}

}  // namespace

std::optional<std::string_view> multipart_form::find(std::string_view name) const noexcept {
  for (const auto& [key, value] : fields) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const std::string_view type = media_type(content_type);
  if (!iequals(type, "multipart/form-data")) return std::nullopt;
  const std::size_t semicolon = content_type.find(';');
  if (semicolon == std::string_view::npos) return std::nullopt;
  auto boundary = find_parameter(parse_parameters(content_type.substr(semicolon)), "boundary");
  if (!boundary || boundary->empty() || boundary->size() > max_boundary_length) return std::nullopt;
  if (boundary->find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return boundary;
}

result<multipart_form, s3::error_detail> parse_multipart_form(std::string_view content_type,
                                                              std::string_view body) {
  if (!iequals(media_type(content_type), "multipart/form-data")) return not_multipart();
  const auto boundary = multipart_boundary(content_type);
  if (!boundary) return malformed();

  const std::string delimiter = std::string(crlf) + "--" + *boundary;
  const std::string_view dash_boundary = std::string_view(delimiter).substr(crlf.size());

  // The first boundary opens the body, or follows a preamble with its own CRLF.
  std::optional<boundary_hit> hit;
  if (body.starts_with(dash_boundary)) hit = finish_delimiter(body, 0, dash_boundary.size());
  if (!hit) hit = find_delimiter(body, delimiter, 0, body.size());
  if (!hit) return malformed();

  multipart_form form;
  while (!hit->is_close) {
    const std::size_t part_begin = hit->next;
    // Headers end at an empty line; a part may have none (RFC 2046: it then starts with CRLF).
    std::size_t content_begin = 0;
    std::string_view header_block;
    if (body.substr(part_begin).starts_with(crlf)) {
      content_begin = part_begin + crlf.size();
    } else {
      const std::size_t blank = body.find("\r\n\r\n", part_begin);
      if (blank == std::string_view::npos) {
        return body.size() > max_post_pre_data_length ? pre_data_too_large() : malformed();
      }
      header_block = body.substr(part_begin, blank - part_begin);
      content_begin = blank + 4;
    }
    if (content_begin > max_post_pre_data_length) return pre_data_too_large();
    const auto headers = parse_part_headers(header_block);
    if (!headers) return malformed();

    const bool is_file = headers->is_form_data && headers->name && iequals(*headers->name, "file");
    // A field's value must end within the pre-data limit: never scan a huge body for it.
    const std::size_t limit = is_file ? body.size() : max_post_pre_data_length + 1;
    auto end = find_delimiter(body, delimiter, content_begin, limit);
    if (!end) return limit < body.size() ? pre_data_too_large() : malformed();
    const std::string_view content = body.substr(content_begin, end->begin - content_begin);

    if (is_file) {
      form.has_file = true;
      form.has_filename = headers->filename.has_value();
      form.filename = headers->filename.value_or(std::string{});
      form.file_content_type = headers->content_type;
      form.file = content;
      return form;  // S3 ignores every part after the file
    }
    if (headers->is_form_data && headers->name) {
      form.fields.emplace_back(*headers->name, std::string(content));
    }
    hit = end;
  }
  return no_file();
}

}  // namespace s3cors::http
