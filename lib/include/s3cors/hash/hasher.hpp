#pragma once
// Incremental digests and checksums, for bodies that arrive in pieces.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::hash {

enum class algorithm { md5, sha1, sha256, crc32, crc32c };

/// Feeds bytes in any number of pieces; finish() gives the raw digest: 16 bytes (MD5), 20
/// (SHA-1), 32 (SHA-256) or the 4 big-endian bytes of a CRC. Move-only.
class hasher {
 public:
  explicit hasher(algorithm which);
  ~hasher();
  hasher(hasher&& other) noexcept;
  hasher& operator=(hasher&& other) noexcept;
  hasher(const hasher&) = delete;
  hasher& operator=(const hasher&) = delete;

  void update(std::string_view data);
  /// The digest of everything fed; the hasher starts over afterwards.
  /// Throws std::runtime_error only when the crypto library fails.
  [[nodiscard]] std::string finish();
  [[nodiscard]] algorithm which() const noexcept { return which_; }

 private:
  struct evp_state;  // OpenSSL's context, kept out of this header
  algorithm which_;
  std::unique_ptr<evp_state> evp_;
  std::uint32_t crc_;  ///< CRC state between pieces (hasher.cpp)
};

/// The algorithm an x-amz-checksum-* header names ("x-amz-checksum-crc32", any case), or
/// nullopt for one s3cors does not compute (CRC64NVME) and other names.
[[nodiscard]] std::optional<algorithm> checksum_algorithm(std::string_view header_name);

}  // namespace s3cors::hash
