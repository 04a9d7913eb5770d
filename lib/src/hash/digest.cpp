#include "s3cors/hash/digest.hpp"

// SHA-256 through the low-level functions, deprecated since OpenSSL 3.0 but kept by it: they run
// the same assembly as EVP without its per-call provider dispatch, which costs more than the
// hashing itself for SigV4's short strings, and their state is a plain struct that an HMAC key
// can hold with its pads already hashed.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <utility>

namespace s3cors::hash {
namespace {
constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void check(int status) {
  if (status != 1) throw std::runtime_error("OpenSSL SHA-256 failed");
}

SHA256_CTX sha256_start() {
  SHA256_CTX state;
  check(SHA256_Init(&state));
  return state;
}

void sha256_add(SHA256_CTX& state, std::string_view data) {
  check(SHA256_Update(&state, data.data(), data.size()));
}

digest256 sha256_finish(SHA256_CTX& state) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  check(SHA256_Final(digest, &state));
  digest256 out;
  static_assert(sizeof(digest) == std::tuple_size_v<digest256>);
  std::memcpy(out.data(), digest, out.size());
  return out;
}

digest256 sha256_of(std::initializer_list<std::string_view> parts) {
  SHA256_CTX state = sha256_start();
  for (const std::string_view part : parts) sha256_add(state, part);
  return sha256_finish(state);
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

namespace {

constexpr std::size_t sha256_block = 64;
using hmac_block = std::array<char, sha256_block>;

/// The key XORed with ipad and with opad (RFC 2104).
std::pair<hmac_block, hmac_block> hmac_pads(std::string_view key) {
  hmac_block padded{};
  if (key.size() > sha256_block) {
    const digest256 digest = sha256_digest(key);
    std::copy(digest.begin(), digest.end(), padded.begin());
  } else {
    std::copy(key.begin(), key.end(), padded.begin());
  }
  std::pair<hmac_block, hmac_block> pads;
  for (std::size_t i = 0; i < sha256_block; ++i) {
    pads.first[i] = static_cast<char>(padded[i] ^ 0x36);
    pads.second[i] = static_cast<char>(padded[i] ^ 0x5c);
  }
  return pads;
}

std::string_view view(const hmac_block& block) noexcept {
  return {block.data(), block.size()};
}

}  // namespace

digest256 hmac_sha256_digest(std::string_view key, std::string_view data) {
  // HMAC over two SHA-256 passes: OpenSSL's one-shot HMAC() goes through EVP (see above).
  const auto [inner_pad, outer_pad] = hmac_pads(key);
  const digest256 inner = sha256_of({view(inner_pad), data});
  return sha256_of({view(outer_pad), bytes_of(inner)});
}

struct hmac_sha256_key::padded_states {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

hmac_sha256_key::hmac_sha256_key(std::string_view key) : states_(std::make_unique<padded_states>()) {
  const auto [inner_pad, outer_pad] = hmac_pads(key);
  states_->inner = sha256_start();
  sha256_add(states_->inner, view(inner_pad));
  states_->outer = sha256_start();
  sha256_add(states_->outer, view(outer_pad));
}

hmac_sha256_key::~hmac_sha256_key() = default;

digest256 hmac_sha256_key::sign(std::string_view data) const {
  SHA256_CTX inner = states_->inner;
  sha256_add(inner, data);
  const digest256 inner_digest = sha256_finish(inner);
  SHA256_CTX outer = states_->outer;
  sha256_add(outer, bytes_of(inner_digest));
  return sha256_finish(outer);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return std::string(bytes_of(hmac_sha256_digest(key, data)));
}

std::string hmac_sha1(std::string_view key, std::string_view data) {
  // RFC 2104 over two SHA-1 passes, as hmac_sha256_digest: SHA-1's block is 64 bytes too.
  constexpr std::size_t block = 64;
  hmac_block padded{};
  if (key.size() > block) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    std::memcpy(padded.data(), digest, sizeof digest);
  } else {
    std::copy(key.begin(), key.end(), padded.begin());
  }
  hmac_block inner_pad;
  hmac_block outer_pad;
  for (std::size_t i = 0; i < block; ++i) {
    inner_pad[i] = static_cast<char>(padded[i] ^ 0x36);
    outer_pad[i] = static_cast<char>(padded[i] ^ 0x5c);
  }
  unsigned char inner[SHA_DIGEST_LENGTH];
  SHA_CTX state;
  check(SHA1_Init(&state));
  check(SHA1_Update(&state, inner_pad.data(), inner_pad.size()));
  check(SHA1_Update(&state, data.data(), data.size()));
  check(SHA1_Final(inner, &state));
  unsigned char outer[SHA_DIGEST_LENGTH];
  check(SHA1_Init(&state));
  check(SHA1_Update(&state, outer_pad.data(), outer_pad.size()));
  check(SHA1_Update(&state, inner, sizeof inner));
  check(SHA1_Final(outer, &state));
  return std::string(reinterpret_cast<const char*>(outer), sizeof outer);
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
