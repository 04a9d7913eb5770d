#include "s3cors/hash/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <stdexcept>

namespace s3cors::hash {
namespace {
constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// SHA-256 fetched once, and one digest context per thread: SigV4 hashes several short strings
// per request, where OpenSSL 3's implicit fetch (EVP_sha256() in EVP_Digest) would dominate.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return fetched != nullptr ? fetched : EVP_sha256();
}

struct digest_context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  digest_context() = default;
  digest_context(const digest_context&) = delete;
  digest_context& operator=(const digest_context&) = delete;
  ~digest_context() { EVP_MD_CTX_free(ctx); }
};

digest256 sha256_of(std::initializer_list<std::string_view> parts) {
  thread_local digest_context context;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  bool ok = context.ctx != nullptr && EVP_DigestInit_ex(context.ctx, sha256_algorithm(), nullptr) == 1;
  for (const std::string_view part : parts)
    ok = ok && EVP_DigestUpdate(context.ctx, part.data(), part.size()) == 1;
  if (!ok || EVP_DigestFinal_ex(context.ctx, digest, &length) != 1 || length != sizeof(digest256))
    throw std::runtime_error("OpenSSL SHA-256 failed");
  digest256 out;
  std::memcpy(out.data(), digest, out.size());
  return out;
}

int decode_char(char c) noexcept {
  const auto pos = alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}
}  // namespace

std::string md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL MD5 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

digest256 sha256_digest(std::string_view data) {
  return sha256_of({data});
}

std::string sha256(std::string_view data) {
  return std::string(bytes_of(sha256_digest(data)));
}

digest256 hmac_sha256_digest(std::string_view key, std::string_view data) {
  // HMAC (RFC 2104) over two SHA-256 passes: OpenSSL's one-shot HMAC() looks the algorithm
  // up again on every call, which costs more than the hashing for SigV4's short inputs.
  constexpr std::size_t block = 64;
  std::array<char, block> padded{};
  if (key.size() > block) {
    const digest256 digest = sha256_digest(key);
    std::copy(digest.begin(), digest.end(), padded.begin());
  } else {
    std::copy(key.begin(), key.end(), padded.begin());
  }
  std::array<char, block> inner_pad{};
  std::array<char, block> outer_pad{};
  for (std::size_t i = 0; i < block; ++i) {
    inner_pad[i] = static_cast<char>(padded[i] ^ 0x36);
    outer_pad[i] = static_cast<char>(padded[i] ^ 0x5c);
  }
  const digest256 inner = sha256_of({std::string_view(inner_pad.data(), block), data});
  return sha256_of({std::string_view(outer_pad.data(), block), bytes_of(inner)});
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return std::string(bytes_of(hmac_sha256_digest(key, data)));
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 2);
  char* hex = out.data() + start;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    *hex++ = digits[b >> 4];
    *hex++ = digits[b & 15];
  }
}

std::string to_hex(std::string_view bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

std::string to_spaced_hex(std::string_view bytes) {
  const std::string hex = to_hex(bytes);
  std::string out;
  out.reserve(hex.size() / 2 * 3);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i != 0) out += ' ';
    out.append(hex, i, 2);
  }
  return out;
}

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const unsigned v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0u);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;
      v[k] = decode_char(c);
      if (v[k] < 0) return std::nullopt;
    }
    const unsigned bits = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out += static_cast<char>(bits >> 16 & 0xff);
    if (padding < 2) out += static_cast<char>(bits >> 8 & 0xff);
    if (padding < 1) out += static_cast<char>(bits & 0xff);
  }
  return out;
}

}  // namespace s3cors::hash
