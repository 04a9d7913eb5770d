#pragma once
// The access keys s3cors accepts, and the SigV4 signing-key derivation shared by header,
// query-string, streaming-chunk and POST-policy signatures.
#include "s3cors/hash/digest.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::auth {

struct credential {
  credential() = default;
  // A constructor rather than an aggregate: {id, secret} stays complete as fields are added.
  credential(std::string id, std::string secret, std::string user_name = {}, std::string canonical = {},
             std::string mail = {}, std::string account = {})
      : access_key_id(std::move(id)),
        secret_access_key(std::move(secret)),
        user(std::move(user_name)),
        canonical_id(std::move(canonical)),
        email(std::move(mail)),
        account_id(std::move(account)) {}

  std::string access_key_id;
  std::string secret_access_key;
  // The user it stands for (s3/identity.hpp fills in the defaults of empty fields).
  std::string user;          ///< display name
  std::string canonical_id;  ///< 64 hex digits
  std::string email;
  std::string account_id;  ///< 12 digits
};

/// The configured key pairs. Empty means "no credentials": any signature is accepted.
class credential_set {
 public:
  credential_set() = default;
  explicit credential_set(std::vector<credential> keys) : keys_(std::move(keys)) {}
  [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
  /// The pair with that access key id, or nullptr.
  [[nodiscard]] const credential* find(std::string_view access_key_id) const noexcept;
  /// The first configured pair (the owner of buckets nobody created through the API), or nullptr.
  [[nodiscard]] const credential* first() const noexcept { return keys_.empty() ? nullptr : &keys_.front(); }
  [[nodiscard]] const std::vector<credential>& all() const noexcept { return keys_; }

 private:
  std::vector<credential> keys_;
};

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
/// with an HMAC keyed by it ready to sign.
struct signing_key {
  hash::digest256 bytes;
  hash::hmac_sha256_key hmac;
};

/// The signing key of a credential scope, cached per thread: it changes once a day per secret,
/// region and service. The reference stays valid until this thread derives four other keys.
[[nodiscard]] const signing_key& cached_signing_key(std::string_view secret, std::string_view date,
                                                    std::string_view region, std::string_view service);
/// kSigning as a 32-byte string.
[[nodiscard]] std::string derive_signing_key(std::string_view secret, std::string_view date,
                                             std::string_view region, std::string_view service);

}  // namespace s3cors::auth
