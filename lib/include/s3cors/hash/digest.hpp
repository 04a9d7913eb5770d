#pragma once
// Hashes and encodings that S3 headers carry (Content-MD5, ...). Pure functions.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::hash {

/// The raw 16-byte MD5 digest of data.
[[nodiscard]] std::string md5(std::string_view data);
/// The raw 32-byte SHA-256 digest of data.
[[nodiscard]] std::string sha256(std::string_view data);
/// The raw 32-byte HMAC-SHA256 of data under key (SigV4 signing).
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);
/// The raw 20-byte HMAC-SHA1 of data under key (SigV2 signing).
[[nodiscard]] std::string hmac_sha1(std::string_view key, std::string_view data);
/// A raw SHA-256 or HMAC-SHA256 digest held by value, for hot paths that must not allocate.
using digest256 = std::array<char, 32>;
[[nodiscard]] digest256 sha256_digest(std::string_view data);
[[nodiscard]] digest256 hmac_sha256_digest(std::string_view key, std::string_view data);
[[nodiscard]] inline std::string_view bytes_of(const digest256& digest) noexcept {
  return {digest.data(), digest.size()};
}
/// An HMAC-SHA256 key with its two padded blocks hashed once: each sign() then hashes two
/// blocks fewer than hmac_sha256_digest. sign() may be called from several threads at once.
class hmac_sha256_key {
 public:
  explicit hmac_sha256_key(std::string_view key);
  ~hmac_sha256_key();
  hmac_sha256_key(const hmac_sha256_key&) = delete;
  hmac_sha256_key& operator=(const hmac_sha256_key&) = delete;
  [[nodiscard]] digest256 sign(std::string_view data) const;

 private:
  struct padded_states;  // OpenSSL SHA-256 states, kept out of this header
  std::unique_ptr<padded_states> states_;
};
/// Lowercase hexadecimal of bytes.
[[nodiscard]] std::string to_hex(std::string_view bytes);
/// Appends the lowercase hexadecimal of bytes to out.
void append_hex(std::string& out, std::string_view bytes);
/// The bytes as S3 shows them in StringToSignBytes and CanonicalRequestBytes: lowercase hex
/// pairs separated by spaces.
[[nodiscard]] std::string to_spaced_hex(std::string_view bytes);
/// Compares in time that depends only on the lengths (signatures must not leak a prefix).
[[nodiscard]] bool constant_time_equals(std::string_view a, std::string_view b) noexcept;
/// Standard base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
/// nullopt when text is not canonical padded base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace s3cors::hash
