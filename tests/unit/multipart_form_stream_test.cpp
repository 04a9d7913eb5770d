#include "s3cors/http/multipart_form_stream.hpp"

#include "form_stream_driver.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using s3cors::http::max_post_pre_data_length;
using s3cors::http::multipart_form_stream;
using s3cors::s3::error;
using s3cors::test::check_every_split;
using s3cors::test::stream_form;

constexpr std::string_view boundary = "----WebKitFormBoundaryAauA5ite0s0Ci520";
const std::string content_type = "multipart/form-data; boundary=" + std::string(boundary);
const std::string dash = "--" + std::string(boundary);

std::string field(std::string_view name, std::string_view value) {
  return dash + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" +
         std::string(value) + "\r\n";
}

/// The file part's delimiter and headers: its content comes next.
std::string file_head(std::string_view filename = "a.bin",
                      std::string_view type = "application/octet-stream") {
  return dash + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + std::string(filename) +
         "\"\r\nContent-Type: " + std::string(type) + "\r\n\r\n";
}

/// A form with one field, the file holding data, and the close delimiter.
std::string body_with(std::string_view data, std::string_view close = "\r\n--") {
  return field("key", "k") + file_head() + std::string(data) + std::string(close) + std::string(boundary) +
         "--\r\n";
}

multipart_form_stream make_stream() {
  auto stream = multipart_form_stream::create(content_type);
  REQUIRE(stream.has_value());
  return std::move(*stream);
}

void check_splits(std::string_view body) {
  const auto failure = check_every_split(content_type, body);
  if (failure) FAIL_CHECK(failure->plan << ": " << failure->problem);
}

/// Whether view lies inside text.
bool is_inside(std::string_view view, std::string_view text) {
  return view.data() >= text.data() && view.data() + view.size() <= text.data() + text.size();
}

}  // namespace

TEST_CASE("multipart_form_stream: the file begins with the form, its bytes pass, it ends",
          "[multipart_form]") {
  const std::string head =
      field("key", "user/${filename}") + field("acl", "private") + file_head("p.jpg", "image/jpeg");
  const std::string tail = "\r\n" + dash + "--\r\n";
  auto stream = make_stream();

  // The headers are not complete yet: nothing to report.
  auto events = stream.feed(std::string_view(head).substr(0, head.size() - 1));
  REQUIRE(events.has_value());
  CHECK(events->file_begin == nullptr);
  CHECK(events->file_data().empty());
  CHECK_FALSE(events->file_end);

  // The blank line's last byte and the first file bytes.
  const std::string second = head.substr(head.size() - 1) + "0123";
  events = stream.feed(second);
  REQUIRE(events.has_value());
  REQUIRE(events->file_begin != nullptr);
  const auto& form = *events->file_begin;
  CHECK(form.fields ==
        std::vector<std::pair<std::string, std::string>>{{"key", "user/${filename}"}, {"acl", "private"}});
  CHECK(form.has_file);
  CHECK(form.has_filename);
  CHECK(form.filename == "p.jpg");
  CHECK(form.file_content_type == "image/jpeg");
  CHECK(form.file.empty());
  CHECK(stream.file_offset() == head.size());
  REQUIRE(events->file_data().size() == 1);
  CHECK(events->file_data()[0] == "0123");
  CHECK(is_inside(events->file_data()[0], second));  // no copy
  CHECK_FALSE(events->file_end);

  // The file's end, then an epilogue that is never read.
  const std::string third = "4567" + tail + "epilogue";
  events = stream.feed(third);
  REQUIRE(events.has_value());
  CHECK(events->file_begin == nullptr);
  REQUIRE(events->file_data().size() == 1);
  CHECK(events->file_data()[0] == "4567");
  CHECK(events->file_end);
  CHECK(stream.file_size() == 8);

  events = stream.feed(file_head() + "another file, ignored");
  REQUIRE(events.has_value());
  CHECK(events->file_data().empty());
  CHECK_FALSE(events->file_end);
  events = stream.finish();
  REQUIRE(events.has_value());
  CHECK(events->file_data().empty());
  CHECK(stream.form().filename == "p.jpg");
}

TEST_CASE("multipart_form_stream: the Content-Type's errors come from create", "[multipart_form]") {
  struct row {
    std::string_view type;
    error code;
  };
  const auto r = GENERATE(values<row>({
      {"text/plain", error::precondition_failed},
      {"", error::precondition_failed},
      {"multipart/mixed; boundary=abc", error::precondition_failed},
      {"multipart/form-data", error::malformed_post_request},
      {"multipart/form-data; boundary=\"\"", error::malformed_post_request},
  }));
  CAPTURE(r.type);
  const auto stream = multipart_form_stream::create(r.type);
  REQUIRE(stream.has_error());
  CHECK(stream.error().code == r.code);
}

TEST_CASE("multipart_form_stream: a delimiter held back across pieces is returned as data when it is not one",
          "[multipart_form]") {
  // The piece ends inside what may be a delimiter line: held back, then released as data by
  // the next piece, as a view into the stream's buffer.
  auto stream = make_stream();
  REQUIRE(stream.feed(file_head()).has_value());
  const std::string first = "abc\r\n" + dash + " \t";
  auto events = stream.feed(first);
  REQUIRE(events.has_value());
  REQUIRE(events->file_data().size() == 1);
  CHECK(events->file_data()[0] == "abc");
  CHECK(stream.held_back() == dash.size() + 4);

  const std::string second = "x and more";
  events = stream.feed(second);
  REQUIRE(events.has_value());
  REQUIRE(events->file_data().size() == 2);
  CHECK(events->file_data()[0] == "\r\n" + dash + " \t");
  CHECK_FALSE(is_inside(events->file_data()[0], second));
  CHECK(events->file_data()[1] == second);
  CHECK(is_inside(events->file_data()[1], second));
  CHECK(stream.held_back() == 0);
  CHECK_FALSE(events->file_end);

  // A delimiter split after its CR: the file ends with the next piece.
  events = stream.feed("!\r");
  REQUIRE(events.has_value());
  CHECK(events->file_data()[0] == "!");
  CHECK(stream.held_back() == 1);
  events = stream.feed("\n" + dash + "\r\n");
  REQUIRE(events.has_value());
  CHECK(events->file_data().empty());
  CHECK(events->file_end);
  CHECK(stream.file_size() == 3 + first.size() - 3 + second.size() + 1);
  CHECK(stream.finish().has_value());
}

TEST_CASE("multipart_form_stream: boundary-like bytes in the file are data, however the body is cut",
          "[multipart_form]") {
  const std::string spaces(multipart_form_stream::max_transport_padding, ' ');
  const auto data = GENERATE_COPY(as<std::string>{},
                                  "",                                              // empty file
                                  "\r", "\n", "\r\n", "\r\r\n", "\n\r", "data\r",  // CR and LF at the end
                                  "\r\n\r\n", "--", "-\r\n-",                      // line ends and dashes
                                  dash, "\r" + dash, "\n" + dash,                  // not after CRLF
                                  "\r\n" + dash.substr(0, dash.size() - 1),        // a prefix of the boundary
                                  "\r\n" + dash.substr(0, dash.size() - 1) + "\r\n",
                                  "\r\n" + dash + "X\r\n",                   // a longer boundary
                                  "\r\n" + dash + "-\r\n",                   // one dash is no close
                                  "\r\n" + dash + "--X",                     // close, then other bytes
                                  "\r\n" + dash + "--\rX",                   // close, CR, other bytes
                                  "\r\n" + dash + " x\r\n",                  // padding, then other bytes
                                  "\r\n" + dash + "\r\r\n" + dash + "X",     // CR then another candidate
                                  "\r\n" + dash + "\n",                      // LF alone ends no line
                                  "\r\n" + dash + spaces + " \r\n",          // padding too long
                                  "\r\n" + dash + "--" + spaces + "\t\r\n",  // too long after a close
                                  "\r\n\r\n" + dash + "X\r\n" + dash + "Y",  // candidates in a row
                                  std::string("nul\0\r\n--", 9) + std::string(boundary) + "\x01");
  CAPTURE(data);
  const std::string body = body_with(data);
  const auto streamed = stream_form(content_type, body, {});
  REQUIRE_FALSE(streamed.error.has_value());
  CHECK(streamed.file == data);
  CHECK(streamed.problem.empty());
  check_splits(body);
}

TEST_CASE("multipart_form_stream: delimiter lines: padding, CRLF, and a close at the end of the body",
          "[multipart_form]") {
  struct row {
    std::string_view name;
    std::string after_file;  ///< what follows the file's data
    std::optional<error> code;
  };
  const std::string spaces(multipart_form_stream::max_transport_padding, ' ');
  const auto r = GENERATE_COPY(values<row>({
      {"a delimiter, CRLF", "\r\n" + dash + "\r\nrest", std::nullopt},
      {"a close delimiter, CRLF", "\r\n" + dash + "--\r\n", std::nullopt},
      {"a close delimiter ending the body", "\r\n" + dash + "--", std::nullopt},
      {"a close delimiter and CR ending the body", "\r\n" + dash + "--\r", std::nullopt},
      {"a close delimiter and padding ending the body", "\r\n" + dash + "-- \t", std::nullopt},
      {"padding up to the limit", "\r\n" + dash + spaces + "\r\n", std::nullopt},
      {"padding up to the limit after a close", "\r\n" + dash + "--" + spaces + "\r\n", std::nullopt},
      {"padding up to the limit ending the body", "\r\n" + dash + "--" + spaces, std::nullopt},
      {"a delimiter without CRLF ending the body", "\r\n" + dash, error::malformed_post_request},
      {"a delimiter and padding ending the body", "\r\n" + dash + "  ", error::malformed_post_request},
      {"a delimiter and CR ending the body", "\r\n" + dash + "\r", error::malformed_post_request},
      {"one dash ending the body", "\r\n" + dash + "-", error::malformed_post_request},
      {"LF line ends", "\n" + dash + "--\n", error::malformed_post_request},
      {"no delimiter", "\r\n", error::malformed_post_request},
      {"padding one byte too long", "\r\n" + dash + spaces + " \r\n", error::malformed_post_request},
  }));
  CAPTURE(r.name);
  const std::string body = field("key", "k") + file_head() + "DATA" + r.after_file;
  const auto streamed = stream_form(content_type, body, {});
  if (r.code) {
    REQUIRE(streamed.error.has_value());
    CHECK(streamed.error->code == *r.code);
  } else {
    REQUIRE_FALSE(streamed.error.has_value());
    CHECK(streamed.file == "DATA");
  }
  check_splits(body);
}

TEST_CASE("multipart_form_stream: finish reports a body that ends too early", "[multipart_form]") {
  // Every feed succeeds; only the end of the body shows the file never ended.
  const std::string body = body_with("some file bytes");
  const std::size_t file_end = body.size() - dash.size() - 6;  // before "\r\n--boundary--\r\n"
  const std::size_t file_begin = body.find("some file bytes");
  for (std::size_t n = 0; n < file_end + dash.size() + 2; ++n) {
    CAPTURE(n);
    auto stream = make_stream();
    REQUIRE(stream.feed(std::string_view(body).substr(0, n)).has_value());
    CHECK(stream.held_back() <= multipart_form_stream::max_held_back);
    const auto finished = stream.finish();
    REQUIRE(finished.has_error());
    CHECK(finished.error().code == error::malformed_post_request);
    if (n >= file_begin) CHECK(stream.form().has_file);
  }
}

TEST_CASE("multipart_form_stream: a form that closes without a file fails as soon as it closes",
          "[multipart_form]") {
  auto stream = make_stream();
  const std::string body = field("key", "k") + dash + "--\r\n";
  auto events = stream.feed(body);
  REQUIRE(events.has_error());
  CHECK(events.error().code == error::invalid_argument);
  CHECK(events.error().message == "POST requires exactly one file upload per request.");
  // The error stands for the rest of the body and at its end.
  events = stream.feed(file_head() + "x\r\n" + dash + "--\r\n");
  REQUIRE(events.has_error());
  CHECK(events.error().code == error::invalid_argument);
  events = stream.finish();
  REQUIRE(events.has_error());
  CHECK(events.error().code == error::invalid_argument);
}

TEST_CASE("multipart_form_stream: the pre-data limit is checked at the byte that passes it",
          "[multipart_form]") {
  // An unterminated field: the first 20480 bytes are read and held, the next one fails.
  const std::string head = dash + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n";
  const std::string body = head + std::string(max_post_pre_data_length - head.size(), 'a');
  REQUIRE(body.size() == max_post_pre_data_length);
  auto stream = make_stream();
  REQUIRE(stream.feed(body).has_value());
  REQUIRE(stream.feed("").has_value());
  auto events = stream.feed("a");
  REQUIRE(events.has_error());
  CHECK(events.error().code == error::max_post_pre_data_length_exceeded);

  // The same 20480 bytes, then the end: the field never ended.
  auto ended = make_stream();
  REQUIRE(ended.feed(body).has_value());
  events = ended.finish();
  REQUIRE(events.has_error());
  CHECK(events.error().code == error::malformed_post_request);

  // A piece that runs past the limit fails in that call.
  auto longer = make_stream();
  events = longer.feed(body + "aaaa");
  REQUIRE(events.has_error());
  CHECK(events.error().code == error::max_post_pre_data_length_exceeded);
}

TEST_CASE("multipart_form_stream: a 50 MiB file streams through with bounded memory", "[multipart_form]") {
  // The file's bytes repeat a pattern full of near-delimiters, with a period prime to the
  // piece sizes so that they fall across pieces everywhere. Nothing is gathered: each slice is
  // compared with the pattern at its offset.
  const std::string pattern = "0123456789\r\n" + dash.substr(0, 10) + "\r\n" + dash + "X" + "\r\n" + dash +
                              "-" + "\r\n" + dash + " \t y" + "\r\n" + dash + "--Z" + "\r\r\n" + dash + "\n" +
                              std::string(37, 'q') + "\r\n--\r\n";
  constexpr std::uint64_t file_size = 50ULL << 20U;
  const std::string head = field("key", "k") + file_head();
  const std::string tail = "\r\n" + dash + "--\r\n";
  const std::uint64_t body_size = head.size() + file_size + tail.size();
  const auto body_byte = [&](std::uint64_t at) {
    if (at < head.size()) return head[at];
    at -= head.size();
    if (at < file_size) return pattern[at % pattern.size()];
    return tail[at - file_size];
  };

  const std::size_t piece_size = GENERATE(std::size_t{256} * 1024, std::size_t{65537});
  CAPTURE(piece_size);
  auto stream = make_stream();
  std::string piece;
  std::uint64_t fed = 0;
  std::uint64_t checked = 0;  // file bytes compared so far
  bool began = false;
  bool ended = false;
  bool is_equal = true;
  std::size_t capacity_at_begin = 0;
  std::size_t most_capacity = 0;
  std::size_t most_held_back = 0;
  const auto take = [&](const multipart_form_stream::events& events) {
    if (events.file_begin != nullptr) {
      began = true;
      capacity_at_begin = stream.buffer_capacity();
    }
    for (const std::string_view slice : events.file_data()) {
      for (const char c : slice) is_equal = is_equal && c == pattern[checked++ % pattern.size()];
    }
    ended = ended || events.file_end;
    if (began) {
      most_capacity = std::max(most_capacity, stream.buffer_capacity());
      most_held_back = std::max(most_held_back, stream.held_back());
    }
  };
  while (fed < body_size) {
    const auto size = static_cast<std::size_t>(std::min<std::uint64_t>(piece_size, body_size - fed));
    piece.resize(size);
    for (std::size_t i = 0; i < size; ++i) piece[i] = body_byte(fed + i);
    fed += size;
    const auto events = stream.feed(piece);
    REQUIRE(events.has_value());
    take(*events);
  }
  const auto events = stream.finish();
  REQUIRE(events.has_value());
  take(*events);

  CHECK(began);
  CHECK(ended);
  CHECK(is_equal);
  CHECK(checked == file_size);
  CHECK(stream.file_size() == file_size);
  CHECK(most_held_back <= multipart_form_stream::max_held_back);
  CHECK(most_held_back > 0);                  // delimiters did fall across pieces
  CHECK(most_capacity == capacity_at_begin);  // nothing grew while the file streamed
  CHECK(most_capacity <= 4 * multipart_form_stream::max_held_back);
}

TEST_CASE("multipart_form_stream: the longest possible delimiter line is held back whole",
          "[multipart_form]") {
  const std::string longest(70, 'b');
  auto stream = multipart_form_stream::create("multipart/form-data; boundary=" + longest);
  REQUIRE(stream.has_value());
  const std::string dash70 = "--" + longest;
  REQUIRE(stream->feed(dash70 + "\r\nContent-Disposition: form-data; name=file\r\n\r\nx").has_value());
  const std::string line =
      "\r\n" + dash70 + "--" + std::string(multipart_form_stream::max_transport_padding, '\t');
  REQUIRE(stream->feed(line + "\r").has_value());
  CHECK(stream->held_back() == multipart_form_stream::max_held_back);
  auto events = stream->feed("\n");
  REQUIRE(events.has_value());
  CHECK(events->file_end);
  CHECK(stream->file_size() == 1);
}
