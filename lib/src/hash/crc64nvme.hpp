#pragma once
// Private pieces of CRC-64/NVME (crc.cpp), for the tests and the benchmark: the two ways
// crc64nvme_update computes it, which it chooses between at run time. Both take and return the
// register (all ones at the start, inverted at the end), like crc64nvme_update.
#include <cstddef>
#include <cstdint>

namespace s3cors::hash {

/// Slicing by eight (eight 256-entry tables, eight bytes a step): any CPU, and the tail of
/// the carry-less path.
[[nodiscard]] std::uint64_t crc64nvme_update_table(std::uint64_t reg, const unsigned char* data,
                                                   std::size_t size) noexcept;

/// Whether this CPU has carry-less multiplication (x86-64 PCLMULQDQ with SSE4.1).
[[nodiscard]] bool crc64nvme_clmul_supported() noexcept;

/// Folding 128-byte blocks with carry-less multiplication (eight 16-byte lanes), the last
/// bytes by table. Only where crc64nvme_clmul_supported(); elsewhere it is the table version.
[[nodiscard]] std::uint64_t crc64nvme_update_clmul(std::uint64_t reg, const unsigned char* data,
                                                   std::size_t size) noexcept;

}  // namespace s3cors::hash
