#pragma once
// Hashes and encodings that S3 headers carry (Content-MD5, ...). Pure functions.
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::hash {

/// The raw 16-byte MD5 digest of data.
[[nodiscard]] std::string md5(std::string_view data);
/// Standard base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
/// nullopt when text is not canonical padded base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace s3cors::hash
