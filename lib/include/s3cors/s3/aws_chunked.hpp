#pragma once
// The aws-chunked content encoding that SDKs use for streaming uploads:
//   hex-size[;chunk-signature=...]\r\n data \r\n ... 0[;...]\r\n [trailer: value\r\n]* \r\n
// Signed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and unsigned-with-trailer
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) bodies share this framing. Signatures are not
// checked here (that belongs to authentication).
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::s3 {

struct decoded_body {
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailers;  ///< e.g. x-amz-checksum-crc32
};

/// True when the request's body is aws-chunked (by x-amz-content-sha256 or Content-Encoding).
[[nodiscard]] bool is_aws_chunked(const header_list& headers);

/// Decodes body; IncompleteBody when it is truncated, or when its decoded length differs from
/// expected_length (x-amz-decoded-content-length); InvalidRequest for malformed framing.
[[nodiscard]] result<decoded_body, error_detail> decode_aws_chunked(
    std::string_view body, std::optional<std::uint64_t> expected_length);

}  // namespace s3cors::s3
