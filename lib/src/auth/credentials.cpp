#include "s3cors/auth/credentials.hpp"

#include "s3cors/hash/digest.hpp"

#include <array>
#include <cstddef>
#include <string>

namespace s3cors::auth {

const credential* credential_set::find(std::string_view access_key_id) const noexcept {
  for (const auto& key : keys_) {
    if (key.access_key_id == access_key_id) return &key;
  }
  return nullptr;
}

std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
  // The key changes once a day per secret, region and service, as SDKs cache it too: a few
  // entries per thread spare four HMACs on every verified request.
  struct cached_key {
    std::string inputs;
    std::string key;
  };
  thread_local std::array<cached_key, 4> cache;
  thread_local std::size_t next_slot = 0;
  std::string inputs;
  inputs.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  inputs.append(secret).append(1, '\0').append(date).append(1, '\0').append(region).append(1, '\0').append(
      service);
  for (const auto& entry : cache) {
    if (!entry.key.empty() && entry.inputs == inputs) return entry.key;
  }
  const std::string date_key = hash::hmac_sha256(std::string("AWS4").append(secret), date);
  const std::string region_key = hash::hmac_sha256(date_key, region);
  const std::string service_key = hash::hmac_sha256(region_key, service);
  std::string key = hash::hmac_sha256(service_key, "aws4_request");
  cache[next_slot] = cached_key{std::move(inputs), key};
  next_slot = (next_slot + 1) % cache.size();
  return key;
}

}  // namespace s3cors::auth
