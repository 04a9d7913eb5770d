#include "s3cors/hash/checksum.hpp"

#include "s3cors/hash/digest.hpp"
#include "s3cors/http/request.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace s3cors::hash {
namespace {

constexpr std::array<std::uint32_t, 256> crc_table(std::uint32_t reflected_polynomial) {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (reflected_polynomial ^ (c >> 1)) : (c >> 1);
    table[i] = c;
  }
  return table;
}

constexpr auto crc32_table = crc_table(0xEDB88320u);
constexpr auto crc32c_table = crc_table(0x82F63B78u);

std::string crc_base64(std::string_view data, const std::array<std::uint32_t, 256>& table) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char c : data) crc = table[(crc ^ static_cast<unsigned char>(c)) & 0xFFu] ^ (crc >> 8);
  crc ^= 0xFFFFFFFFu;
  const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                         static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return base64_encode(std::string_view(bytes, 4));
}

std::string digest_base64(std::string_view data, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

std::string crc32_base64(std::string_view data) {
  return crc_base64(data, crc32_table);
}
std::string crc32c_base64(std::string_view data) {
  return crc_base64(data, crc32c_table);
}
std::string sha1_base64(std::string_view data) {
  return digest_base64(data, EVP_sha1());
}
std::string sha256_base64(std::string_view data) {
  return digest_base64(data, EVP_sha256());
}

std::optional<std::string> checksum_for_header(std::string_view header_name, std::string_view data) {
  if (iequals(header_name, "x-amz-checksum-crc32")) return crc32_base64(data);
  if (iequals(header_name, "x-amz-checksum-crc32c")) return crc32c_base64(data);
  if (iequals(header_name, "x-amz-checksum-sha1")) return sha1_base64(data);
  if (iequals(header_name, "x-amz-checksum-sha256")) return sha256_base64(data);
  return std::nullopt;
}

}  // namespace s3cors::hash
