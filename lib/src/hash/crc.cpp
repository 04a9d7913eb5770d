#include "s3cors/hash/crc.hpp"

#include "hash/crc64nvme.hpp"
#include "s3cors/hash/digest.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace s3cors::hash {
namespace {

constexpr std::uint64_t crc64nvme_polynomial = 0x9A6C9329AC4BC9B5ULL;  // reflected 0xAD93D23594C93659

// Slicing by eight: table[k][b] is the register after byte b followed by k zero bytes.
struct crc64_tables {
  std::array<std::array<std::uint64_t, 256>, 8> t{};
  constexpr crc64_tables() {
    for (std::uint64_t i = 0; i < 256; ++i) {
      std::uint64_t c = i;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1U) != 0 ? (c >> 1) ^ crc64nvme_polynomial : c >> 1;
      t[0][i] = c;
    }
    for (std::size_t k = 1; k < 8; ++k) {
      for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    }
  }
};
constexpr crc64_tables tables;

// Polynomial arithmetic modulo a reflected polynomial of `width` bits (zlib's crc32_combine,
// generalised): bit width-1 is x^0.
struct gf2 {
  std::uint64_t polynomial;
  unsigned width;

  [[nodiscard]] std::uint64_t one() const noexcept { return std::uint64_t{1} << (width - 1); }
  [[nodiscard]] std::uint64_t multiply(std::uint64_t a, std::uint64_t b) const noexcept {
    std::uint64_t m = one();
    std::uint64_t p = 0;
    for (;;) {
      if ((a & m) != 0) {
        p ^= b;
        if ((a & (m - 1)) == 0) break;
      }
      m >>= 1;
      b = (b & 1U) != 0 ? (b >> 1) ^ polynomial : b >> 1;
    }
    return p;
  }
  // x^(8 * bytes) modulo the polynomial, by squaring.
  [[nodiscard]] std::uint64_t x_to_8n(std::uint64_t bytes) const noexcept {
    std::uint64_t power = one() >> 1;  // x^1
    std::uint64_t result = one();
    std::uint64_t n = bytes * 8;  // lengths are below 2^61
    while (n != 0) {
      if ((n & 1U) != 0) result = multiply(power, result);
      power = multiply(power, power);
      n >>= 1;
    }
    return result;
  }
};

gf2 field_of(algorithm which) noexcept {
  switch (which) {
    case algorithm::crc32c:
      return {0x82F63B78U, 32};
    case algorithm::crc64nvme:
      return {crc64nvme_polynomial, 64};
    default:
      return {0xEDB88320U, 32};
  }
}

}  // namespace

std::uint64_t crc64nvme_update_table(std::uint64_t reg, const unsigned char* data,
                                     std::size_t size) noexcept {
  const auto& t = tables.t;
  while (size >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data, 8);  // little-endian hosts (x86-64, AArch64)
    reg ^= word;
    reg = t[7][reg & 0xFF] ^ t[6][(reg >> 8) & 0xFF] ^ t[5][(reg >> 16) & 0xFF] ^ t[4][(reg >> 24) & 0xFF] ^
          t[3][(reg >> 32) & 0xFF] ^ t[2][(reg >> 40) & 0xFF] ^ t[1][(reg >> 48) & 0xFF] ^ t[0][reg >> 56];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) reg = (reg >> 8) ^ t[0][(reg ^ *data++) & 0xFF];
  return reg;
}

#if defined(__x86_64__)

bool crc64nvme_clmul_supported() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") != 0 && __builtin_cpu_supports("sse4.1") != 0;
}

namespace {

// Folding constants, derived (and the folding checked against the bitwise definition) by
// bench/crc64nvme_constants.py. In the reflected order a 16-byte block X, loaded little-endian,
// is Xlo * x^64 + Xhi with Xlo in its low 64 bits; moving it D bits further down the message
// multiplies it by x^D, and Xlo * (x^(D+63) mod P) + Xhi * (x^(D-1) mod P) is congruent to that
// modulo P, since the reflected carry-less product of two 64-bit values is A * B * x. Each pair
// holds the constant for Xlo in its low half.
constexpr std::uint64_t x1087_mod_p = 0xA1CA681E733F9C40ULL;  // D = 1024: eight lanes, 128 bytes on
constexpr std::uint64_t x1023_mod_p = 0x5F852FB61E8D92DCULL;
constexpr std::uint64_t x191_mod_p = 0xEADC41FD2BA3D420ULL;  // D = 128: one lane, 16 bytes on
constexpr std::uint64_t x127_mod_p = 0x21E9761E252621ACULL;

constexpr std::size_t lanes = 8;
constexpr std::size_t lane_bytes = 16;
constexpr std::size_t stride = lanes * lane_bytes;

__attribute__((target("pclmul,sse4.1"))) inline __m128i load(const unsigned char* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// X moved `constants`' distance down the message, still 128 bits wide (congruent modulo P).
__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i constants) noexcept {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, constants, 0x00), _mm_clmulepi64_si128(x, constants, 0x11));
}

}  // namespace

__attribute__((target("pclmul,sse4.1"))) std::uint64_t crc64nvme_update_clmul(std::uint64_t reg,
                                                                              const unsigned char* data,
                                                                              std::size_t size) noexcept {
  if (size < lane_bytes) return crc64nvme_update_table(reg, data, size);
  const __m128i by_16 =
      _mm_set_epi64x(static_cast<long long>(x127_mod_p), static_cast<long long>(x191_mod_p));
  // The register joins the first eight bytes, as in the table version.
  const __m128i start = _mm_cvtsi64_si128(static_cast<long long>(reg));
  __m128i x;
  if (size >= 2 * stride) {
    const __m128i by_128 =
        _mm_set_epi64x(static_cast<long long>(x1023_mod_p), static_cast<long long>(x1087_mod_p));
    __m128i lane[lanes];
    for (std::size_t i = 0; i < lanes; ++i) lane[i] = load(data + i * lane_bytes);
    lane[0] = _mm_xor_si128(lane[0], start);
    data += stride;
    size -= stride;
    while (size >= stride) {
      // Unrolled, the lanes stay in registers and their multiplications overlap.
#pragma GCC unroll 8
      for (std::size_t i = 0; i < lanes; ++i)
        lane[i] = _mm_xor_si128(fold(lane[i], by_128), load(data + i * lane_bytes));
      data += stride;
      size -= stride;
    }
    x = lane[0];
    for (std::size_t i = 1; i < lanes; ++i) x = _mm_xor_si128(fold(x, by_16), lane[i]);
  } else {
    x = _mm_xor_si128(load(data), start);
    data += lane_bytes;
    size -= lane_bytes;
  }
  while (size >= lane_bytes) {
    x = _mm_xor_si128(fold(x, by_16), load(data));
    data += lane_bytes;
    size -= lane_bytes;
  }
  // X stands for the message so far: its CRC from a zero register is the message's register.
  unsigned char block[lane_bytes];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(block), x);
  reg = crc64nvme_update_table(0, block, lane_bytes);
  return crc64nvme_update_table(reg, data, size);
}

std::uint64_t crc64nvme_update(std::uint64_t reg, const unsigned char* data, std::size_t size) noexcept {
  static const bool clmul = crc64nvme_clmul_supported();
  return clmul ? crc64nvme_update_clmul(reg, data, size) : crc64nvme_update_table(reg, data, size);
}

#else

bool crc64nvme_clmul_supported() noexcept {
  return false;
}

std::uint64_t crc64nvme_update_clmul(std::uint64_t reg, const unsigned char* data,
                                     std::size_t size) noexcept {
  return crc64nvme_update_table(reg, data, size);
}

std::uint64_t crc64nvme_update(std::uint64_t reg, const unsigned char* data, std::size_t size) noexcept {
  return crc64nvme_update_table(reg, data, size);
}

#endif

std::uint64_t crc_combine(algorithm which, std::uint64_t crc_a, std::uint64_t crc_b,
                          std::uint64_t length_b) noexcept {
  const gf2 field = field_of(which);
  return field.multiply(field.x_to_8n(length_b), crc_a) ^ crc_b;
}

std::optional<std::string> combine_crc_base64(
    algorithm which, const std::vector<std::pair<std::string, std::uint64_t>>& pieces) {
  const std::size_t width = which == algorithm::crc64nvme ? 8 : 4;
  if (which != algorithm::crc32 && which != algorithm::crc32c && which != algorithm::crc64nvme)
    return std::nullopt;
  std::uint64_t crc = 0;  // the CRC of nothing, for all three
  for (const auto& [text, length] : pieces) {
    const auto raw = base64_decode(text);
    if (!raw || raw->size() != width) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : *raw) value = (value << 8) | static_cast<unsigned char>(c);
    crc = crc_combine(which, crc, value, length);
  }
  std::string bytes(width, '\0');
  for (std::size_t i = 0; i < width; ++i) bytes[width - 1 - i] = static_cast<char>(crc >> (8 * i));
  return base64_encode(bytes);
}

}  // namespace s3cors::hash
