#include "s3cors/hash/checksum.hpp"

#include <catch2/catch.hpp>

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
  CHECK_FALSE(checksum_for_header("x-amz-checksum-crc64nvme", "x").has_value());
}
