#pragma once
// The aws-chunked content encoding that SDKs use for streaming uploads:
//   hex-size[;chunk-signature=...]\r\n data \r\n ... 0[;...]\r\n [trailer: value\r\n]* \r\n
// Signed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) and unsigned-with-trailer
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) bodies share this framing. Signatures are not
// checked here: the decoder records them, and auth::verify_chunk_signatures checks them.
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::s3 {

/// One chunk as framed, the final 0-size chunk included.
struct aws_chunk {
  std::string signature;   ///< the chunk-signature extension; empty when absent
  std::size_t offset = 0;  ///< where the chunk's bytes start in decoded_body::data
  std::size_t length = 0;
};

struct decoded_body {
  std::string data;
  /// Trailing headers, e.g. x-amz-checksum-crc32; x-amz-trailer-signature is not among them.
  std::vector<std::pair<std::string, std::string>> trailers;
  std::vector<aws_chunk> chunks;
  std::optional<std::string> trailer_signature;  ///< x-amz-trailer-signature, when sent
  /// The trailers as their signature signs them: "name:value\n" each, names lowercase, values trimmed.
  std::string canonical_trailers;
};

/// What follows the final chunk.
struct aws_chunked_trailers {
  /// Trailing headers, e.g. x-amz-checksum-crc32; x-amz-trailer-signature is not among them.
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::string> signature;  ///< x-amz-trailer-signature, when sent
  /// The trailers as their signature signs them: "name:value\n" each, names lowercase, values trimmed.
  std::string canonical;
};

/// Decodes an aws-chunked body fed in pieces of any size, with memory bounded by a constant
/// (a chunk's size line and the trailers are held; chunk data passes through).
class aws_chunked_decoder {
 public:
  /// Receives the decoded body as it is found.
  class handler {
   public:
    virtual ~handler() = default;
    /// Bytes of the current chunk, in order, in pieces.
    [[nodiscard]] virtual std::optional<error_detail> on_data(std::string_view bytes) = 0;
    /// The current chunk ended (the final 0-size one included); signature as sent (may be empty).
    [[nodiscard]] virtual std::optional<error_detail> on_chunk_end(std::string_view signature) = 0;
  };

  /// InvalidRequest for malformed framing; whatever the handler returns.
  [[nodiscard]] std::optional<error_detail> feed(std::string_view piece, handler& out);
  /// The body ended: the trailers, IncompleteBody when it stopped early, InvalidRequest when
  /// the trailers are malformed.
  [[nodiscard]] result<aws_chunked_trailers, error_detail> finish();
  /// Decoded bytes so far.
  [[nodiscard]] std::uint64_t decoded_size() const noexcept { return decoded_; }

 private:
  enum class state { size_line, data, data_end, trailers };
  state state_ = state::size_line;
  std::string line_;        ///< the size line so far, or the trailers
  std::string signature_;   ///< of the chunk being read
  std::uint64_t left_ = 0;  ///< bytes of the chunk still to come
  std::uint64_t decoded_ = 0;
};

/// True when the request's body is aws-chunked (by x-amz-content-sha256 or Content-Encoding).
[[nodiscard]] bool is_aws_chunked(const header_list& headers);

/// Decodes body; IncompleteBody when it is truncated, or when its decoded length differs from
/// expected_length (x-amz-decoded-content-length); InvalidRequest for malformed framing.
[[nodiscard]] result<decoded_body, error_detail> decode_aws_chunked(
    std::string_view body, std::optional<std::uint64_t> expected_length);

}  // namespace s3cors::s3
