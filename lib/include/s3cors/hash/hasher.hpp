#pragma once
// Incremental digests and checksums, for bodies that arrive in pieces.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::hash {

enum class algorithm { md5, sha1, sha256, crc32, crc32c, crc64nvme };

/// Feeds bytes in any number of pieces; finish() gives the raw digest: 16 bytes (MD5), 20
/// (SHA-1), 32 (SHA-256) or the big-endian bytes of a CRC (4, or 8 for CRC-64). Move-only.
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
  std::uint64_t crc_;  ///< CRC state between pieces (hasher.cpp)
};

/// The algorithm an x-amz-checksum-* header names ("x-amz-checksum-crc32", any case), or
/// nullopt for other names.
[[nodiscard]] std::optional<algorithm> checksum_algorithm(std::string_view header_name);
/// The algorithm x-amz-checksum-algorithm names ("CRC32", "CRC64NVME", ... any case), else nullopt.
[[nodiscard]] std::optional<algorithm> algorithm_named(std::string_view name);
/// "x-amz-checksum-crc32", ... for a checksum algorithm (empty for MD5).
[[nodiscard]] std::string_view checksum_header(algorithm which) noexcept;
/// "CRC32", "CRC64NVME", ... as S3 names the algorithm (empty for MD5).
[[nodiscard]] std::string_view algorithm_name(algorithm which) noexcept;

}  // namespace s3cors::hash
