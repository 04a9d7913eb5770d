#pragma once
// multipart/form-data (RFC 7578 over RFC 2046 §5.1) as S3's POST Object reads it: the fields
// before the part named "file" are copied out, the file's bytes follow, and everything after
// them is ignored. multipart_form_stream (multipart_form_stream.hpp) reads a body in pieces;
// parse_multipart_form is that parser given a whole body in memory. Pure: never throws on bad
// input.
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::http {

/// S3's limit on what precedes the file's content: the other fields, their part headers, the
/// boundaries and the file part's own headers (MaxPostPreDataLengthExceeded).
inline constexpr std::size_t max_post_pre_data_length = 20480;

struct multipart_form {
  /// The fields before the file, in body order, names as sent (S3 compares them
  /// case-insensitively). Repeated names stay repeated.
  std::vector<std::pair<std::string, std::string>> fields;
  bool has_file = false;
  bool has_filename = false;      ///< the file part carried a filename parameter (maybe empty)
  std::string filename;           ///< as sent: a browser may send a path
  std::string file_content_type;  ///< the file part's own Content-Type; empty when absent
  /// The file's bytes: a view into the body given to parse_multipart_form. Empty from
  /// multipart_form_stream, which hands the bytes out as they pass.
  std::string_view file;

  /// The first field of that name, compared case-insensitively.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
};

/// The boundary parameter of a multipart/form-data Content-Type (quoted or not), or nullopt
/// when the media type is another or the parameter is missing, empty or over 70 characters.
[[nodiscard]] std::optional<std::string> multipart_boundary(std::string_view content_type);

/// Parses a whole POST Object body, by the rules of multipart_form_stream (which it feeds the
/// body as one piece). The file is the first part whose Content-Disposition is form-data with
/// name "file" (any case); parts after it are not read. Errors, as S3 sends them:
///  - Content-Type not multipart/form-data: 412 PreconditionFailed (Condition element);
///  - no usable boundary, or a body that is not multipart or ends early: 400
///    MalformedPOSTRequest;
///  - the file's content not beginning within the first max_post_pre_data_length bytes: 400
///    MaxPostPreDataLengthExceeded;
///  - no file part: 400 InvalidArgument "POST requires exactly one file upload per request.".
/// The returned form's file view points into body, which must outlive it.
[[nodiscard]] result<multipart_form, s3::error_detail> parse_multipart_form(std::string_view content_type,
                                                                            std::string_view body);

}  // namespace s3cors::http
