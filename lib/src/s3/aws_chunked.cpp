#include "s3cors/s3/aws_chunked.hpp"

#include "detail/parse_text.hpp"

#include <cctype>
#include <charconv>

namespace s3cors::s3 {
namespace {

/// The value of the chunk-signature extension among "name=value" extensions separated by ';'.
std::string chunk_signature(std::string_view extensions) {
  while (!extensions.empty()) {
    const auto next = extensions.find(';');
    const std::string_view extension = extensions.substr(0, next);
    extensions.remove_prefix(next == std::string_view::npos ? extensions.size() : next + 1);
    const auto equals = extension.find('=');
    if (equals == std::string_view::npos) continue;
    if (detail::trim_ows(extension.substr(0, equals)) == "chunk-signature") {
      return std::string(detail::trim_ows(extension.substr(equals + 1)));
    }
  }
  return {};
}

}  // namespace

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
    const auto semicolon = line.find(';');
    const std::string_view size_field = line.substr(0, semicolon);
    std::uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_field.data(), size_field.data() + size_field.size(), size, 16);
    if (size_field.empty() || ec != std::errc{} || end != size_field.data() + size_field.size())
      return malformed();
    aws_chunk chunk;
    if (semicolon != std::string_view::npos) chunk.signature = chunk_signature(line.substr(semicolon + 1));
    chunk.offset = out.data.size();
    body.remove_prefix(line_end + 2);
    if (size == 0) {
      out.chunks.push_back(std::move(chunk));
      break;
    }
    if (size > body.size() || body.size() - size < 2) return incomplete();
    chunk.length = static_cast<std::size_t>(size);
    out.data.append(body.substr(0, chunk.length));
    if (body.substr(chunk.length, 2) != "\r\n") return malformed();
    body.remove_prefix(chunk.length + 2);
    out.chunks.push_back(std::move(chunk));
  }
  // Trailers, then the empty line (some clients omit it when there are no trailers). AWS's
  // documented example puts an empty line between the final chunk and the trailers; the SDKs
  // do not.
  if (body.starts_with("\r\n") && body.size() > 2 && !body.substr(2).starts_with("\r\n")) {
    body.remove_prefix(2);
  }
  while (!body.empty()) {
    const auto line_end = body.find("\r\n");
    const std::string_view line = body.substr(0, line_end);
    body.remove_prefix(line_end == std::string_view::npos ? body.size() : line_end + 2);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return malformed();
    std::string name(detail::trim_ows(line.substr(0, colon)));
    std::string value(detail::trim_ows(line.substr(colon + 1)));
    if (iequals(name, "x-amz-trailer-signature")) {
      out.trailer_signature = std::move(value);
      continue;
    }
    for (const char c : name) {
      out.canonical_trailers += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.canonical_trailers.append(":").append(value).append("\n");
    out.trailers.emplace_back(std::move(name), std::move(value));
  }
  if (expected_length && *expected_length != out.data.size()) return incomplete();
  return out;
}

}  // namespace s3cors::s3
