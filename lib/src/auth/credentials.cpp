#include "s3cors/auth/credentials.hpp"

#include "s3cors/hash/digest.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <string>

namespace s3cors::auth {

const credential* credential_set::find(std::string_view access_key_id) const noexcept {
  for (const auto& key : keys_) {
    if (key.access_key_id == access_key_id) return &key;
  }
  return nullptr;
}

const signing_key& cached_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                      std::string_view service) {
  // SDKs cache the key too: a few entries per thread spare four HMACs on every verified
  // request. Entries are compared field by field so that a hit builds nothing.
  struct cached_key {
    std::string secret;
    std::string date;
    std::string region;
    std::string service;
    std::unique_ptr<const signing_key> key;
  };
  thread_local std::array<cached_key, 4> cache;
  thread_local std::size_t next_slot = 0;
  for (const auto& entry : cache) {
    if (entry.key && entry.date == date && entry.region == region && entry.service == service &&
        entry.secret == secret)
      return *entry.key;
  }
  const hash::digest256 date_key = hash::hmac_sha256_digest(std::string("AWS4").append(secret), date);
  const hash::digest256 region_key = hash::hmac_sha256_digest(hash::bytes_of(date_key), region);
  const hash::digest256 service_key = hash::hmac_sha256_digest(hash::bytes_of(region_key), service);
  const hash::digest256 key = hash::hmac_sha256_digest(hash::bytes_of(service_key), "aws4_request");
  cached_key& entry = cache[next_slot];
  next_slot = (next_slot + 1) % cache.size();
  entry.secret.assign(secret);
  entry.date.assign(date);
  entry.region.assign(region);
  entry.service.assign(service);
  // Not make_unique: the HMAC member can be neither copied nor moved, only built in place.
  entry.key.reset(new signing_key{key, hash::hmac_sha256_key(hash::bytes_of(key))});
  return *entry.key;
}

std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
  return std::string(hash::bytes_of(cached_signing_key(secret, date, region, service).bytes));
}

}  // namespace s3cors::auth
