#pragma once
// CRC pieces the SIMD library lacks: CRC-64/NVME (x-amz-checksum-crc64nvme) and combining the
// CRCs of consecutive pieces into the CRC of their concatenation (S3's FULL_OBJECT checksum of
// a multipart upload, from its parts' CRCs, without reading the object again).
#include "s3cors/hash/hasher.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::hash {

/// Feeds data into a CRC-64/NVME register (reflected polynomial 0x9A6C9329AC4BC9B5). The
/// register starts as all ones and the CRC is the register inverted. Pieces may split the data
/// anywhere. Folds with carry-less multiplication (PCLMULQDQ) where the CPU has it, checked
/// once at run time, and uses slicing-by-8 tables elsewhere; both give the same register.
[[nodiscard]] std::uint64_t crc64nvme_update(std::uint64_t reg, const unsigned char* data,
                                             std::size_t size) noexcept;

/// The CRC of A followed by B from crc(A), crc(B) and B's length, for CRC-32, CRC-32C and
/// CRC-64/NVME (finished CRCs, as the headers carry them). zlib's method: multiply crc(A) by
/// x^(8 * length of B) modulo the polynomial.
[[nodiscard]] std::uint64_t crc_combine(algorithm which, std::uint64_t crc_a, std::uint64_t crc_b,
                                        std::uint64_t length_b) noexcept;

/// The base64 CRC of the concatenation of pieces given as (base64 CRC, length), for a CRC
/// algorithm; nullopt when one is not a CRC of that algorithm's width.
[[nodiscard]] std::optional<std::string> combine_crc_base64(
    algorithm which, const std::vector<std::pair<std::string, std::uint64_t>>& pieces);

}  // namespace s3cors::hash
