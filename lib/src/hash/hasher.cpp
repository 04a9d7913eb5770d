#include "s3cors/hash/hasher.hpp"

#include "s3cors/hash/crc.hpp"
#include "s3cors/http/request.hpp"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace s3cors::hash {
namespace {

// CRC state between pieces, as ISA-L's functions chain it: crc32_gzip_refl (CRC-32,
// ISO-HDLC, reflected 0xEDB88320) takes and returns the finished CRC, starting from 0;
// crc32_iscsi (CRC-32C, Castagnoli) takes and returns the register, starting from all ones,
// finished by inverting it. Both pick their SIMD version (PCLMULQDQ, CRC32 instruction) at
// run time.
// CRC-64/NVME (crc.cpp) keeps the register too, starting from all ones.
constexpr std::uint64_t crc_start(algorithm which) noexcept {
  return which == algorithm::crc32c ? 0xFFFFFFFFu : which == algorithm::crc64nvme ? ~std::uint64_t{0} : 0u;
}

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
    case algorithm::crc64nvme:
      break;
  }
  return nullptr;
}

}  // namespace

struct hasher::evp_state {
  struct deleter {
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, deleter> ctx{EVP_MD_CTX_new()};
  const EVP_MD* md = nullptr;
};

hasher::hasher(algorithm which) : which_(which), crc_(crc_start(which)) {
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
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (which_ == algorithm::crc32) {
    crc_ = crc32_gzip_refl(static_cast<std::uint32_t>(crc_), bytes, data.size());
    return;
  }
  if (which_ == algorithm::crc64nvme) {
    crc_ = crc64nvme_update(crc_, bytes, data.size());
    return;
  }
  // crc32_iscsi takes an int length and a non-const buffer it only reads.
  while (!data.empty()) {
    const std::size_t n = std::min<std::size_t>(data.size(), std::size_t{1} << 30);
    crc_ =
        crc32_iscsi(const_cast<unsigned char*>(bytes), static_cast<int>(n), static_cast<std::uint32_t>(crc_));
    bytes += n;
    data.remove_prefix(n);
  }
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
  if (which_ == algorithm::crc64nvme) {
    const std::uint64_t crc = ~crc_;
    crc_ = crc_start(which_);
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(7 - i)] = static_cast<char>(crc >> (8 * i));
    return bytes;
  }
  const auto crc = static_cast<std::uint32_t>(which_ == algorithm::crc32c ? crc_ ^ 0xFFFFFFFFu : crc_);
  crc_ = crc_start(which_);
  const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                         static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return {bytes, 4};
}

std::optional<algorithm> checksum_algorithm(std::string_view header_name) {
  if (iequals(header_name, "x-amz-checksum-crc32")) return algorithm::crc32;
  if (iequals(header_name, "x-amz-checksum-crc32c")) return algorithm::crc32c;
  if (iequals(header_name, "x-amz-checksum-sha1")) return algorithm::sha1;
  if (iequals(header_name, "x-amz-checksum-sha256")) return algorithm::sha256;
  if (iequals(header_name, "x-amz-checksum-crc64nvme")) return algorithm::crc64nvme;
  return std::nullopt;
}

std::optional<algorithm> algorithm_named(std::string_view name) {
  for (const algorithm which :
       {algorithm::crc32, algorithm::crc32c, algorithm::sha1, algorithm::sha256, algorithm::crc64nvme}) {
    if (iequals(name, algorithm_name(which))) return which;
  }
  return std::nullopt;
}

std::string_view checksum_header(algorithm which) noexcept {
  switch (which) {
    case algorithm::crc32:
      return "x-amz-checksum-crc32";
    case algorithm::crc32c:
      return "x-amz-checksum-crc32c";
    case algorithm::sha1:
      return "x-amz-checksum-sha1";
    case algorithm::sha256:
      return "x-amz-checksum-sha256";
    case algorithm::crc64nvme:
      return "x-amz-checksum-crc64nvme";
    case algorithm::md5:
      break;
  }
  return {};
}

std::string_view algorithm_name(algorithm which) noexcept {
  const std::string_view header = checksum_header(which);
  static constexpr std::string_view names[] = {"", "SHA1", "SHA256", "CRC32", "CRC32C", "CRC64NVME"};
  return header.empty() ? std::string_view{} : names[static_cast<int>(which)];
}

}  // namespace s3cors::hash
