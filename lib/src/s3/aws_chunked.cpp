#include "s3cors/s3/aws_chunked.hpp"

#include "detail/parse_text.hpp"

#include <charconv>

namespace s3cors::s3 {

bool is_aws_chunked(const header_list& headers) {
  const auto sha = headers.find("x-amz-content-sha256");
  if (sha && sha->starts_with("STREAMING-")) return true;
  const auto encoding = headers.find("Content-Encoding");
  return encoding && encoding->find("aws-chunked") != std::string_view::npos;
}

result<decoded_body, error_detail> decode_aws_chunked(std::string_view body,
                                                      std::optional<std::uint64_t> expected_length) {
  const auto incomplete = [] { return error_detail(error::incomplete_body); };
  const auto malformed = [] {
    return error_detail(error::invalid_request, "The aws-chunked body is not well formed.");
  };
  decoded_body out;
  for (;;) {
    const auto line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) return incomplete();
    const std::string_view line = body.substr(0, line_end);
    const std::string_view size_field = line.substr(0, line.find(';'));
    std::uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_field.data(), size_field.data() + size_field.size(), size, 16);
    if (size_field.empty() || ec != std::errc{} || end != size_field.data() + size_field.size())
      return malformed();
    body.remove_prefix(line_end + 2);
    if (size == 0) break;
    if (body.size() < size + 2) return incomplete();
    out.data.append(body.substr(0, size));
    if (body.substr(size, 2) != "\r\n") return malformed();
    body.remove_prefix(size + 2);
  }
  // Trailers, then the empty line (some clients omit it when there are no trailers).
  while (!body.empty()) {
    const auto line_end = body.find("\r\n");
    const std::string_view line = body.substr(0, line_end);
    body.remove_prefix(line_end == std::string_view::npos ? body.size() : line_end + 2);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return malformed();
    out.trailers.emplace_back(std::string(detail::trim_ows(line.substr(0, colon))),
                              std::string(detail::trim_ows(line.substr(colon + 1))));
  }
  if (expected_length && *expected_length != out.data.size()) return incomplete();
  return out;
}

}  // namespace s3cors::s3
