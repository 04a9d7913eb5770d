#pragma once
// Who a signed request is: each configured credential is a user of an account, with S3's
// canonical user ID (Owner/ID, grants) and a display name (Owner/DisplayName).
//
// s3cors's model, stated in the README: an account is what owns buckets and objects, as in
// AWS, where several IAM users of one account share what it owns. Credentials without an
// "account_id" all belong to one account (default_account_id), so that they act as one owner;
// users of different accounts own their own buckets and need grants for each other's.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/owner.hpp"

#include <string>
#include <string_view>

namespace s3cors::s3 {

/// The account of credentials that name none.
inline constexpr std::string_view default_account_id = owner_account_id;

struct user {
  std::string access_key_id;
  std::string name;          ///< "user", default the access key id
  std::string canonical_id;  ///< 64 lowercase hex digits
  std::string email;         ///< for grants by emailAddress; may be empty
  std::string account_id;    ///< 12 digits

  [[nodiscard]] party as_party() const { return {canonical_id, account_id, name}; }
  /// arn:aws:iam::ACCOUNT:user/NAME
  [[nodiscard]] std::string arn() const;
};

/// SHA-256 (hex) of "s3cors canonical user:" and the access key id: stable across restarts and
/// hosts, and distinct per key.
[[nodiscard]] std::string default_canonical_id(std::string_view access_key_id);

/// The user a credential stands for, its defaults filled in.
[[nodiscard]] user user_of(const auth::credential& key);

/// The fixed principal of local development (no credentials configured: owner.hpp).
[[nodiscard]] party local_owner();

/// Who owns the buckets and objects that have no recorded owner (folders dropped into the
/// root or named in the configuration file, objects written before owners were recorded):
/// the first configured credential's user, or local_owner() without credentials.
[[nodiscard]] party default_owner(const auth::credential_set& keys);

}  // namespace s3cors::s3
