#include "s3cors/auth/credentials.hpp"

#include "s3cors/hash/digest.hpp"

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
  const std::string date_key = hash::hmac_sha256(std::string("AWS4").append(secret), date);
  const std::string region_key = hash::hmac_sha256(date_key, region);
  const std::string service_key = hash::hmac_sha256(region_key, service);
  return hash::hmac_sha256(service_key, "aws4_request");
}

}  // namespace s3cors::auth
