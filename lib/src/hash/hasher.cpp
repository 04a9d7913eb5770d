#include "s3cors/hash/hasher.hpp"

#include "s3cors/http/request.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <utility>

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

constexpr auto crc32_table = crc_table(0xEDB88320u);   // CRC-32 (ISO-HDLC)
constexpr auto crc32c_table = crc_table(0x82F63B78u);  // CRC-32C (Castagnoli)

const EVP_MD* digest_of(algorithm which) {
  switch (which) {
    case algorithm::md5:
      return EVP_md5();
    case algorithm::sha1:
      return EVP_sha1();
    case algorithm::sha256:
      return EVP_sha256();
    case algorithm::crc32:
    case algorithm::crc32c:
      break;
  }
  return nullptr;
}

}  // namespace

struct hasher::evp_state {
  struct deleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, deleter> ctx{EVP_MD_CTX_new()};
  const EVP_MD* md = nullptr;
};

hasher::hasher(algorithm which) : which_(which) {
  if (const EVP_MD* md = digest_of(which)) {
    evp_ = std::make_unique<evp_state>();
    evp_->md = md;
    if (!evp_->ctx || EVP_DigestInit_ex(evp_->ctx.get(), md, nullptr) != 1) {
      throw std::runtime_error("OpenSSL digest unavailable");
    }
  }
}

hasher::~hasher() = default;
hasher::hasher(hasher&& other) noexcept = default;
hasher& hasher::operator=(hasher&& other) noexcept = default;

void hasher::update(std::string_view data) {
  if (evp_) {
    if (EVP_DigestUpdate(evp_->ctx.get(), data.data(), data.size()) != 1)
      throw std::runtime_error("OpenSSL digest failed");
    return;
  }
  const auto& table = which_ == algorithm::crc32 ? crc32_table : crc32c_table;
  std::uint32_t crc = crc_;
  for (const char c : data) crc = table[(crc ^ static_cast<unsigned char>(c)) & 0xFFu] ^ (crc >> 8);
  crc_ = crc;
}

std::string hasher::finish() {
  if (evp_) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(evp_->ctx.get(), digest, &length) != 1 ||
        EVP_DigestInit_ex(evp_->ctx.get(), evp_->md, nullptr) != 1) {
      throw std::runtime_error("OpenSSL digest failed");
    }
    return {reinterpret_cast<const char*>(digest), length};
  }
  const std::uint32_t crc = crc_ ^ 0xFFFFFFFFu;
  crc_ = 0xFFFFFFFFu;
  const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                         static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return {bytes, 4};
}

std::optional<algorithm> checksum_algorithm(std::string_view header_name) {
  if (iequals(header_name, "x-amz-checksum-crc32")) return algorithm::crc32;
  if (iequals(header_name, "x-amz-checksum-crc32c")) return algorithm::crc32c;
  if (iequals(header_name, "x-amz-checksum-sha1")) return algorithm::sha1;
  if (iequals(header_name, "x-amz-checksum-sha256")) return algorithm::sha256;
  return std::nullopt;
}

}  // namespace s3cors::hash
