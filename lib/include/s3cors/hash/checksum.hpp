#pragma once
// The additional checksums S3 verifies on uploads (x-amz-checksum-*), as base64 text.
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::hash {

/// base64 of the big-endian CRC-32 (ISO-HDLC), as x-amz-checksum-crc32 carries it.
[[nodiscard]] std::string crc32_base64(std::string_view data);
/// base64 of the big-endian CRC-32C (Castagnoli), as x-amz-checksum-crc32c carries it.
[[nodiscard]] std::string crc32c_base64(std::string_view data);
[[nodiscard]] std::string sha1_base64(std::string_view data);
[[nodiscard]] std::string sha256_base64(std::string_view data);

/// The checksum named by a header ("x-amz-checksum-crc32", ...), or nullopt for an
/// algorithm s3cors does not compute.
[[nodiscard]] std::optional<std::string> checksum_for_header(std::string_view header_name,
                                                             std::string_view data);

}  // namespace s3cors::hash
