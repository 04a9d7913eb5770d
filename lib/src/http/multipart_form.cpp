#include "s3cors/http/multipart_form.hpp"

#include "detail/header_parameters.hpp"
#include "s3cors/http/multipart_form_stream.hpp"
#include "s3cors/http/request.hpp"

#include <string>

namespace s3cors::http {

namespace {

constexpr std::size_t max_boundary_length = 70;  // RFC 2046 §5.1.1

}  // namespace

std::optional<std::string_view> multipart_form::find(std::string_view name) const noexcept {
  for (const auto& [key, value] : fields) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  if (!iequals(detail::media_type(content_type), "multipart/form-data")) return std::nullopt;
  const std::size_t semicolon = content_type.find(';');
  if (semicolon == std::string_view::npos) return std::nullopt;
  auto boundary =
      detail::find_parameter(detail::parse_parameters(content_type.substr(semicolon)), "boundary");
  if (!boundary || boundary->empty() || boundary->size() > max_boundary_length) return std::nullopt;
  if (boundary->find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return boundary;
}

result<multipart_form, s3::error_detail> parse_multipart_form(std::string_view content_type,
                                                              std::string_view body) {
  // One parser: the stream, given the whole body as one piece.
  auto stream = multipart_form_stream::create(content_type);
  if (!stream) return stream.error();
  if (auto fed = stream->feed(body); !fed) return fed.error();
  if (auto finished = stream->finish(); !finished) return finished.error();
  multipart_form form = stream->form();
  // The file's bytes are the body's from where its content began.
  form.file = body.substr(static_cast<std::size_t>(stream->file_offset()),
                          static_cast<std::size_t>(stream->file_size()));
  return form;
}

}  // namespace s3cors::http
