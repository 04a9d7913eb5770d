#include "s3cors/http/multipart_form_stream.hpp"

#include "detail/header_parameters.hpp"
#include "detail/parse_text.hpp"
#include "s3cors/http/request.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace s3cors::http {

namespace {

constexpr std::string_view crlf = "\r\n";

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
  return s3::error_detail{s3::error::max_post_pre_data_length_exceeded}.with(
      "MaxPostPreDataLengthBytes", std::to_string(max_post_pre_data_length));
}

s3::error_detail no_file() {
  return s3::error_detail{s3::error::invalid_argument, "POST requires exactly one file upload per request."}
      .with("ArgumentName", "file")
      .with("ArgumentValue", "0");
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
    out.is_form_data = iequals(detail::media_type(view), "form-data");
    const auto params = detail::parse_parameters(view.substr(std::min(view.find(';'), view.size())));
    out.name = detail::find_parameter(params, "name");
    out.filename = detail::find_parameter(params, "filename");
  }
  return out;
}

enum class line_end { delimiter, data, need_more };

struct line_end_result {
  line_end kind = line_end::data;
  bool is_close = false;  ///< "--boundary--": no part follows
  std::size_t next = 0;   ///< the first byte after the delimiter line
};

/// Whether the bytes at pos, just after "\r\n--boundary", end a delimiter line: "--" or not,
/// then up to max_transport_padding spaces or tabs, then CRLF; a close delimiter may instead
/// end the body (at_end), its CR included. need_more: buf ends before that is decided.
line_end_result end_of_delimiter(std::string_view buf, std::size_t pos, bool at_end) {
  const std::size_t size = buf.size();
  const line_end undecided = at_end ? line_end::data : line_end::need_more;
  line_end_result out;
  if (pos < size && buf[pos] == '-') {
    if (pos + 1 == size) return {undecided};
    if (buf[pos + 1] != '-') return {line_end::data};
    out.is_close = true;
    pos += 2;
  }
  const std::size_t padding_begin = pos;
  for (; pos < size && detail::is_ows(buf[pos]); ++pos) {
    if (pos - padding_begin == multipart_form_stream::max_transport_padding) return {line_end::data};
  }
  const bool at_cr = pos < size && buf[pos] == '\r';
  if (pos == size || (at_cr && pos + 1 == size)) {
    if (!at_end) return {line_end::need_more};
    // The body ends in the close delimiter's line: CRLF optional.
    if (!out.is_close) return {line_end::data};
    out.kind = line_end::delimiter;
    out.next = size;
    return out;
  }
  if (!at_cr || buf[pos + 1] != '\n') return {line_end::data};
  out.kind = line_end::delimiter;
  out.next = pos + crlf.size();
  return out;
}

enum class found { nothing, delimiter, undecided };

struct search_result {
  found kind = found::nothing;
  std::size_t at = 0;  ///< where the delimiter line, or the first undecided candidate, begins
  bool is_close = false;
  std::size_t next = 0;  ///< after the delimiter line
};

/// The first delimiter line in buf, or the first candidate that buf ends too early to decide
/// (a prefix of "\r\n--boundary" at its end, or a boundary whose line is not over). Candidates
/// followed by other bytes are data.
search_result find_delimiter(std::string_view buf, std::string_view delimiter, bool at_end) {
  std::size_t from = 0;
  for (std::size_t at = buf.find(delimiter); at != std::string_view::npos; at = buf.find(delimiter, from)) {
    const auto end = end_of_delimiter(buf, at + delimiter.size(), at_end);
    if (end.kind == line_end::delimiter) return {found::delimiter, at, end.is_close, end.next};
    if (end.kind == line_end::need_more) return {found::undecided, at};
    from = at + 1;
  }
  if (!at_end) {
    const std::size_t tail = buf.size() - std::min(buf.size(), delimiter.size() - 1);
    for (std::size_t at = std::max(from, tail); at < buf.size(); ++at) {
      if (delimiter.starts_with(buf.substr(at))) return {found::undecided, at};
    }
  }
  return {};
}

}  // namespace

/// The bytes of a part's content that one read_content call found, and whether its delimiter.
struct multipart_form_stream::content_step {
  std::array<std::string_view, 2> data{};
  std::size_t data_count = 0;
  std::size_t used = 0;  ///< input bytes read, the delimiter line included
  bool is_delimiter_found = false;
  bool is_close = false;

  void add(std::string_view bytes) {
    if (bytes.empty()) return;
    assert(data_count < data.size());
    data[data_count++] = bytes;
  }
};

multipart_form_stream::multipart_form_stream(std::string_view boundary)
    : delimiter_(std::string(crlf) + "--" + std::string(boundary)),
      // The first boundary may open the body without a CRLF: read the body as if one came first.
      carry_(crlf) {
  carry_.reserve(max_held_back);
  joint_.reserve(max_held_back + max_held_back + 1);
}

result<multipart_form_stream, s3::error_detail> multipart_form_stream::create(std::string_view content_type) {
  if (!iequals(detail::media_type(content_type), "multipart/form-data")) return not_multipart();
  const auto boundary = multipart_boundary(content_type);
  if (!boundary) return malformed();
  return multipart_form_stream(*boundary);
}

result<multipart_form_stream::events, s3::error_detail> multipart_form_stream::feed(std::string_view piece) {
  assert(!is_finished_);
  events out;
  while (!error_ && !piece.empty()) {
    if (state_ == state::epilogue) {
      offset_ += piece.size();  // S3 ignores what follows the file
      break;
    }
    std::string_view input = piece;
    if (state_ != state::file) {
      // Only the first max_post_pre_data_length bytes may precede the file's content, and only
      // they are read before it: the bytes held are bounded by the limit.
      if (offset_ >= max_post_pre_data_length) {
        fail(pre_data_too_large());
        break;
      }
      input = piece.substr(0, max_post_pre_data_length - static_cast<std::size_t>(offset_));
    }
    const std::size_t used = step(input, false, out);
    offset_ += used;
    piece.remove_prefix(used);
  }
  if (error_) return *error_;
  return out;
}

result<multipart_form_stream::events, s3::error_detail> multipart_form_stream::finish() {
  assert(!is_finished_);
  is_finished_ = true;
  events out;
  // A held-back close delimiter may end the body.
  if (!error_ && state_ != state::headers && state_ != state::epilogue) (void)step({}, true, out);
  if (error_) return *error_;
  if (state_ != state::epilogue) return fail(malformed());  // the file, or the form before it, never ended
  return out;
}

std::size_t multipart_form_stream::buffer_capacity() const noexcept {
  return carry_.capacity() + joint_.capacity() + headers_.capacity() + field_name_.capacity() +
         field_value_.capacity();
}

std::size_t multipart_form_stream::step(std::string_view input, bool at_end, events& out) {
  if (state_ == state::headers) return read_headers(input, out);
  const content_step content = read_content(input, at_end);
  for (std::size_t i = 0; i < content.data_count; ++i) {
    const std::string_view bytes = content.data[i];
    if (state_ == state::field) {
      field_value_ += bytes;
    } else if (state_ == state::file) {
      assert(out.data_count < out.data.size());
      out.data[out.data_count++] = bytes;
      file_size_ += bytes.size();
    }  // the preamble and skipped parts are dropped
  }
  if (content.is_delimiter_found) end_part(content.is_close, out);
  return content.used;
}

std::size_t multipart_form_stream::read_headers(std::string_view input, events& out) {
  const std::size_t before = headers_.size();
  headers_ += input;
  // Headers end at an empty line; a part may have none (RFC 2046: it then starts with CRLF).
  std::size_t block_end = 0;
  std::size_t content_begin = 0;
  if (headers_.size() < crlf.size()) return input.size();
  if (headers_.starts_with(crlf)) {
    content_begin = crlf.size();
  } else {
    const std::size_t blank = headers_.find("\r\n\r\n", headers_scan_);
    if (blank == std::string::npos) {
      headers_scan_ = headers_.size() - std::min<std::size_t>(headers_.size(), 3);
      return input.size();
    }
    block_end = blank;
    content_begin = blank + 4;
  }
  const std::size_t used = content_begin - before;
  const auto headers = parse_part_headers(std::string_view(headers_).substr(0, block_end));
  headers_.clear();
  headers_scan_ = 0;
  if (!headers) {
    fail(malformed());
    return used;
  }
  if (headers->is_form_data && headers->name && iequals(*headers->name, "file")) {
    form_.has_file = true;
    form_.has_filename = headers->filename.has_value();
    form_.filename = headers->filename.value_or(std::string{});
    form_.file_content_type = headers->content_type;
    file_offset_ = offset_ + used;
    state_ = state::file;
    out.file_begin = &form_;
    // What only the bytes before the file needed.
    std::string().swap(headers_);
    std::string().swap(field_name_);
    std::string().swap(field_value_);
  } else if (headers->is_form_data && headers->name) {
    field_name_ = *headers->name;
    state_ = state::field;
  } else {
    state_ = state::skip;
  }
  return used;
}

multipart_form_stream::content_step multipart_form_stream::read_content(std::string_view input, bool at_end) {
  content_step out;
  if (!carry_.empty()) {
    // The held-back bytes begin a possible delimiter line. Decide it with at most the bytes
    // such a line can still need, copied behind them.
    const std::size_t held = carry_.size();
    const std::size_t lookahead = std::min(input.size(), delimiter_.size() + 2 + max_transport_padding + 2);
    joint_.assign(carry_);
    joint_.append(input.substr(0, lookahead));
    carry_.clear();
    const bool has_all = lookahead == input.size();
    const auto hit = find_delimiter(joint_, delimiter_, at_end && has_all);
    if (hit.kind != found::nothing && hit.at < held) {
      out.add(std::string_view(joint_).substr(0, hit.at));
      if (hit.kind == found::undecided) {
        assert(has_all);  // a candidate is decided within its lookahead
        carry_.assign(joint_, hit.at);
        out.used = input.size();
        return out;
      }
      assert(hit.next >= held);  // the held-back bytes alone did not decide it
      out.used = hit.next - held;
      out.is_delimiter_found = true;
      out.is_close = hit.is_close;
      return out;
    }
    // No delimiter line starts in the held-back bytes: they are data, and the input is read
    // on its own below.
    out.add(std::string_view(joint_).substr(0, held));
  }
  const auto hit = find_delimiter(input, delimiter_, at_end);
  if (hit.kind == found::nothing) {
    out.add(input);
    out.used = input.size();
    return out;
  }
  out.add(input.substr(0, hit.at));
  if (hit.kind == found::undecided) {
    carry_.assign(input.substr(hit.at));
    assert(carry_.size() <= max_held_back);
    out.used = input.size();
    return out;
  }
  out.used = hit.next;
  out.is_delimiter_found = true;
  out.is_close = hit.is_close;
  return out;
}

void multipart_form_stream::end_part(bool is_close, events& out) {
  if (state_ == state::file) {
    out.file_end = true;
    state_ = state::epilogue;
    return;
  }
  if (state_ == state::field) {
    form_.fields.emplace_back(std::move(field_name_), std::move(field_value_));
    field_name_.clear();
    field_value_.clear();
  }
  if (is_close) {
    fail(no_file());  // the form closed before any file part
    return;
  }
  state_ = state::headers;
}

const s3::error_detail& multipart_form_stream::fail(s3::error_detail error) {
  error_ = std::move(error);
  return *error_;
}

}  // namespace s3cors::http
