#include "s3cors/hash/checksum.hpp"

#include "s3cors/hash/crc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Reference values: CRC-32("123456789") = 0xCBF43926, CRC-32C("123456789") = 0xE3069283
// (the standard check values), SHA-1/SHA-256 of "abc" from FIPS 180.
TEST_CASE("checksum: the x-amz-checksum-* algorithms match their check values", "[checksum]") {
  using namespace s3cors::hash;
  CHECK(crc32_base64("123456789") == "y/Q5Jg==");
  CHECK(crc32c_base64("123456789") == "4waSgw==");
  CHECK(crc32_base64("") == "AAAAAA==");
  CHECK(sha1_base64("abc") == "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  CHECK(sha256_base64("abc") == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  CHECK(checksum_for_header("X-Amz-Checksum-CRC32", "123456789") == "y/Q5Jg==");
  CHECK_FALSE(checksum_for_header("x-amz-checksum-md5", "x").has_value());
}

namespace {

// CRC-32 and CRC-32C bit by bit, straight from their definitions (reflected polynomials).
std::uint32_t reference_crc(std::uint32_t polynomial, std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string big_endian(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

}  // namespace

TEST_CASE("checksum: the SIMD CRCs agree with the definition for every length and any split", "[checksum]") {
  using s3cors::hash::algorithm;
  std::string data(70'000, '\0');
  std::uint32_t state = 12345;
  for (char& c : data) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 16);
  }
  for (const auto& [which, polynomial] :
       {std::pair{algorithm::crc32, 0xEDB88320u}, std::pair{algorithm::crc32c, 0x82F63B78u}}) {
    s3cors::hash::hasher hasher(which);
    // Lengths around every SIMD block size, and a large body.
    for (const std::size_t length :
         std::initializer_list<std::size_t>{0,   1,   7,   8,   15,  16,  31,   32,   63,   64,    65,
                                            127, 128, 129, 255, 256, 257, 1023, 1024, 4096, 70'000}) {
      const std::string_view piece(data.data(), length);
      hasher.update(piece);
      CHECK(hasher.finish() == big_endian(reference_crc(polynomial, piece)));
      // The same bytes in uneven pieces, and the hasher reused after finish().
      for (std::size_t at = 0; at < length;) {
        const std::size_t n = std::min<std::size_t>(length - at, 1 + (at * 7919) % 4099);
        hasher.update(piece.substr(at, n));
        at += n;
      }
      CHECK(hasher.finish() == big_endian(reference_crc(polynomial, piece)));
    }
  }
}

namespace {

// CRC-64/NVME bit by bit from its definition (reflected polynomial 0x9A6C9329AC4BC9B5).
std::uint64_t reference_crc64nvme(std::string_view data) {
  std::uint64_t crc = ~std::uint64_t{0};
  for (const char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0x9A6C9329AC4BC9B5ULL : crc >> 1;
  }
  return ~crc;
}

std::string big_endian64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(7 - i)] = static_cast<char>(v >> (8 * i));
  return out;
}

std::string pseudo_random(std::size_t size, std::uint32_t seed) {
  std::string data(size, '\0');
  for (char& c : data) {
    seed = seed * 1103515245U + 12345U;
    c = static_cast<char>(seed >> 16);
  }
  return data;
}

}  // namespace

// CRC-64/NVME's check value: "123456789" -> 0xAE8B14860A799888.
TEST_CASE("checksum: CRC64NVME matches its check value and the definition", "[checksum]") {
  using namespace s3cors::hash;
  CHECK(checksum_for_header("x-amz-checksum-crc64nvme", "123456789") == "rosUhgp5mIg=");
  CHECK(checksum_for_header("x-amz-checksum-crc64nvme", "") == "AAAAAAAAAAA=");
  CHECK(algorithm_named("crc64nvme") == algorithm::crc64nvme);
  CHECK(algorithm_name(algorithm::crc64nvme) == "CRC64NVME");
  CHECK(checksum_header(algorithm::crc32c) == "x-amz-checksum-crc32c");
  const std::string data = pseudo_random(5000, 7);
  hasher h(algorithm::crc64nvme);
  for (const std::size_t length :
       std::initializer_list<std::size_t>{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 5000}) {
    const std::string_view piece(data.data(), length);
    for (std::size_t at = 0; at < length;) {
      const std::size_t n = std::min<std::size_t>(length - at, 1 + (at * 31) % 13);
      h.update(piece.substr(at, n));
      at += n;
    }
    CHECK(h.finish() == big_endian64(reference_crc64nvme(piece)));
  }
}

TEST_CASE("checksum: CRCs of pieces combine into the CRC of the whole", "[checksum]") {
  using namespace s3cors::hash;
  const std::string data = pseudo_random(300'000, 11);
  for (const algorithm which : {algorithm::crc32, algorithm::crc32c, algorithm::crc64nvme}) {
    for (const std::vector<std::size_t>& cuts : {std::vector<std::size_t>{0, 300'000},
                                                 {0, 1, 300'000},
                                                 {0, 100'000, 200'000, 300'000},
                                                 {0, 0, 7, 65'536, 299'999, 300'000}}) {
      std::vector<std::pair<std::string, std::uint64_t>> pieces;
      hasher h(which);
      for (std::size_t i = 1; i < cuts.size(); ++i) {
        h.update(std::string_view(data).substr(cuts[i - 1], cuts[i] - cuts[i - 1]));
        pieces.emplace_back(base64_encode(h.finish()), cuts[i] - cuts[i - 1]);
      }
      h.update(data);
      CHECK(combine_crc_base64(which, pieces) == base64_encode(h.finish()));
    }
  }
  CHECK_FALSE(combine_crc_base64(algorithm::sha256, {}).has_value());
  CHECK_FALSE(combine_crc_base64(algorithm::crc32, {{"AAAAAAAAAAA=", 1}}).has_value());
}
