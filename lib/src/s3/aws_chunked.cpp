#include "s3cors/s3/aws_chunked.hpp"

#include "detail/parse_text.hpp"

#include <algorithm>
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

namespace {

error_detail malformed_chunks() {
  return error_detail(error::invalid_request, "The aws-chunked body is not well formed.");
}

// Generous bounds for what is held: a size line with its signature extension is under 100
// bytes, and S3 allows a few checksum trailers.
constexpr std::size_t max_size_line = 4096;
constexpr std::size_t max_trailers = 16384;

}  // namespace

std::optional<error_detail> aws_chunked_decoder::feed(std::string_view piece, handler& out) {
  while (!piece.empty()) {
    switch (state_) {
      case state::size_line: {
        const auto newline = piece.find('\n');
        line_.append(piece.substr(0, newline == std::string_view::npos ? piece.size() : newline + 1));
        piece.remove_prefix(newline == std::string_view::npos ? piece.size() : newline + 1);
        if (line_.size() > max_size_line) return malformed_chunks();
        if (newline == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') return malformed_chunks();
        const std::string_view line = std::string_view(line_).substr(0, line_.size() - 2);
        const auto semicolon = line.find(';');
        const std::string_view size_field = line.substr(0, semicolon);
        std::uint64_t size = 0;
        const auto [end, ec] =
            std::from_chars(size_field.data(), size_field.data() + size_field.size(), size, 16);
        if (size_field.empty() || ec != std::errc{} || end != size_field.data() + size_field.size())
          return malformed_chunks();
        signature_ =
            semicolon == std::string_view::npos ? std::string() : chunk_signature(line.substr(semicolon + 1));
        line_.clear();
        if (size == 0) {
          state_ = state::trailers;
          if (auto refused = out.on_chunk_end(signature_)) return refused;
        } else {
          left_ = size;
          state_ = state::data;
        }
        break;
      }
      case state::data: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, piece.size()));
        if (auto refused = out.on_data(piece.substr(0, take))) return refused;
        piece.remove_prefix(take);
        left_ -= take;
        decoded_ += take;
        if (left_ == 0) state_ = state::data_end;
        break;
      }
      case state::data_end: {
        // The CRLF after a chunk's data, possibly split between pieces.
        const std::size_t want = 2 - line_.size();
        line_.append(piece.substr(0, want));
        piece.remove_prefix(std::min(want, piece.size()));
        if (line_.size() < 2) break;
        if (line_ != "\r\n") return malformed_chunks();
        line_.clear();
        state_ = state::size_line;
        if (auto refused = out.on_chunk_end(signature_)) return refused;
        break;
      }
      case state::trailers:
        if (line_.size() + piece.size() > max_trailers) return malformed_chunks();
        line_.append(piece);
        piece = {};
        break;
    }
  }
  return std::nullopt;
}

result<aws_chunked_trailers, error_detail> aws_chunked_decoder::finish() {
  if (state_ != state::trailers) return error_detail(error::incomplete_body);
  // Trailers, then the empty line (some clients omit it when there are no trailers). AWS's
  // documented example puts an empty line between the final chunk and the trailers; the SDKs
  // do not.
  std::string_view body = line_;
  if (body.starts_with("\r\n") && body.size() > 2 && !body.substr(2).starts_with("\r\n")) {
    body.remove_prefix(2);
  }
  aws_chunked_trailers out;
  while (!body.empty()) {
    const auto line_end = body.find("\r\n");
    const std::string_view line = body.substr(0, line_end);
    body.remove_prefix(line_end == std::string_view::npos ? body.size() : line_end + 2);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return malformed_chunks();
    std::string name(detail::trim_ows(line.substr(0, colon)));
    std::string value(detail::trim_ows(line.substr(colon + 1)));
    if (iequals(name, "x-amz-trailer-signature")) {
      out.signature = std::move(value);
      continue;
    }
    for (const char c : name) out.canonical += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.canonical.append(":").append(value).append("\n");
    out.fields.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

result<decoded_body, error_detail> decode_aws_chunked(std::string_view body,
                                                      std::optional<std::uint64_t> expected_length) {
  // The whole-body form of the decoder, for bodies already in memory.
  struct collector final : aws_chunked_decoder::handler {
    decoded_body out;
    std::size_t chunk_start = 0;
    std::optional<error_detail> on_data(std::string_view bytes) override {
      out.data.append(bytes);
      return std::nullopt;
    }
    std::optional<error_detail> on_chunk_end(std::string_view signature) override {
      out.chunks.push_back(aws_chunk{std::string(signature), chunk_start, out.data.size() - chunk_start});
      chunk_start = out.data.size();
      return std::nullopt;
    }
  } collect;
  aws_chunked_decoder decoder;
  if (auto refused = decoder.feed(body, collect)) return *refused;
  auto trailers = decoder.finish();
  if (!trailers) return trailers.error();
  if (expected_length && *expected_length != collect.out.data.size())
    return error_detail(error::incomplete_body);
  collect.out.trailers = std::move(trailers->fields);
  collect.out.trailer_signature = std::move(trailers->signature);
  collect.out.canonical_trailers = std::move(trailers->canonical);
  return std::move(collect.out);
}

}  // namespace s3cors::s3
