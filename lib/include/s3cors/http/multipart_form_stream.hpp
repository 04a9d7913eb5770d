#pragma once
// S3's POST Object body (multipart/form-data) read as a stream: the caller pushes the body in
// pieces of any size and gets the file's bytes back as they pass, so the body is never held in
// memory. Pure: no I/O, never throws on bad input.
#include "s3cors/http/multipart_form.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace s3cors::http {

/// An incremental (push) parser for a POST Object body. parse_multipart_form is this parser fed
/// the whole body at once, so the rules are the same:
///  - the fields come first, then the first part whose Content-Disposition is form-data with
///    name "file" (any case); parts without a name, or not form-data, are skipped;
///  - the file's content ends at the first delimiter line: "\r\n--boundary", then "--" or not,
///    up to max_transport_padding spaces or tabs, then CRLF; a close delimiter
///    ("--boundary--") may also end the body, with or without its CRLF. Other bytes that look
///    like a boundary are data. Everything after the file's delimiter is ignored (drained);
///  - the file's content must begin within the first max_post_pre_data_length bytes of the
///    body (MaxPostPreDataLengthExceeded as soon as a byte past them arrives before it).
///
/// Memory does not depend on the file's size: the bytes before the file (at most
/// max_post_pre_data_length: the fields and the part being read) and, while the file streams,
/// at most max_held_back bytes of a delimiter line that may continue in the next piece.
class multipart_form_stream {
 public:
  /// Spaces and tabs accepted between a boundary and its line's CRLF (RFC 2046's transport
  /// padding, which senders must not produce): a longer run makes the line data. Bounded so that
  /// a delimiter line, and what must be held back to recognise it, is bounded too.
  static constexpr std::size_t max_transport_padding = 128;
  /// The most bytes held back between calls: the start of a possible delimiter line,
  /// "\r\n--" + a boundary of up to 70 characters + "--" + padding + "\r".
  static constexpr std::size_t max_held_back = 4 + 70 + 2 + max_transport_padding + 1;

  /// What one feed() or finish() call found, in this order: the file began, its bytes, it ended.
  struct events {
    /// Set by the call that read the file part's headers: the form without the file's bytes
    /// (fields before the file, filename, the part's Content-Type; form.file stays empty).
    /// Points into the stream: valid while the stream lives.
    const multipart_form* file_begin = nullptr;
    /// The file's bytes in body order, at most two slices per call. A slice is a view into the
    /// piece given to the same call or into the stream's own buffer: valid until the next
    /// feed() or finish() call, and only while the piece's bytes live.
    std::array<std::string_view, 2> data{};
    std::size_t data_count = 0;
    /// The delimiter after the file was read: the file is complete, later bytes are ignored.
    bool file_end = false;

    [[nodiscard]] std::span<const std::string_view> file_data() const noexcept {
      return {data.data(), data_count};
    }
  };

  /// A stream for a request with this Content-Type. Errors, as S3 sends them:
  ///  - not multipart/form-data: 412 PreconditionFailed (Condition element);
  ///  - no usable boundary (see multipart_boundary): 400 MalformedPOSTRequest.
  [[nodiscard]] static result<multipart_form_stream, s3::error_detail> create(std::string_view content_type);

  /// Reads the next piece of the body: any size, split anywhere, empty allowed. Errors, reported
  /// by the call that finds them and again by every later one:
  ///  - 400 MalformedPOSTRequest: the framing or a part's headers before the file are malformed;
  ///  - 400 MaxPostPreDataLengthExceeded: the file's content does not begin within the first
  ///    max_post_pre_data_length bytes (reported as soon as a byte past them arrives);
  ///  - 400 InvalidArgument "POST requires exactly one file upload per request.": the form's
  ///    close delimiter came before any file part.
  [[nodiscard]] result<events, s3::error_detail> feed(std::string_view piece);

  /// The body ended; call once, after the last feed(). It may still report the file's end (a
  /// close delimiter at the very end of the body). Errors: feed()'s, and MalformedPOSTRequest
  /// when the file part, or the form before it, never ended (a truncated body).
  [[nodiscard]] result<events, s3::error_detail> finish();

  /// The form read so far: complete but for the file's bytes once the file began.
  [[nodiscard]] const multipart_form& form() const noexcept { return form_; }
  /// How many body bytes precede the file's content, once the file began.
  [[nodiscard]] std::uint64_t file_offset() const noexcept { return file_offset_; }
  /// The file's bytes delivered so far: its running size, final once file_end was reported.
  [[nodiscard]] std::uint64_t file_size() const noexcept { return file_size_; }
  /// Bytes held back until the next piece decides whether they start a delimiter line. At most
  /// max_held_back once the file began.
  [[nodiscard]] std::size_t held_back() const noexcept { return carry_.size(); }
  /// The capacity of the stream's buffers (the form's fields aside): it does not grow while the
  /// file streams.
  [[nodiscard]] std::size_t buffer_capacity() const noexcept;

 private:
  enum class state {
    preamble,  ///< before the first boundary
    headers,   ///< a part's header lines
    field,     ///< a named form-data part's value, before the file
    skip,      ///< a part that is neither a field nor the file
    file,      ///< the file's content
    epilogue,  ///< after the file: ignored
  };
  struct content_step;

  explicit multipart_form_stream(std::string_view boundary);

  /// Reads a prefix of input in the current state and returns how many bytes it used (at least
  /// one unless the state changed or an error was recorded).
  std::size_t step(std::string_view input, bool at_end, events& out);
  std::size_t read_headers(std::string_view input, events& out);
  content_step read_content(std::string_view input, bool at_end);
  void end_part(bool is_close, events& out);
  const s3::error_detail& fail(s3::error_detail error);

  std::string delimiter_;  ///< "\r\n--boundary"
  state state_ = state::preamble;
  std::uint64_t offset_ = 0;  ///< body bytes read
  std::string carry_;         ///< held back: the beginning of a possible delimiter line
  std::string joint_;         ///< carry_ and the next piece's first bytes, to decide it
  std::string headers_;       ///< the current part's header block so far
  std::size_t headers_scan_ = 0;
  std::string field_name_;
  std::string field_value_;
  multipart_form form_;
  std::uint64_t file_offset_ = 0;
  std::uint64_t file_size_ = 0;
  std::optional<s3::error_detail> error_;
  bool is_finished_ = false;
};

}  // namespace s3cors::http
