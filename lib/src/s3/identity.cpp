#include "s3cors/s3/identity.hpp"

#include "s3cors/hash/digest.hpp"
#include "s3cors/s3/owner.hpp"

namespace s3cors::s3 {

std::string user::arn() const {
  return "arn:aws:iam::" + account_id + ":user/" + name;
}

std::string default_canonical_id(std::string_view access_key_id) {
  std::string seed = "s3cors canonical user:";
  seed += access_key_id;
  return hash::to_hex(hash::sha256(seed));
}

user user_of(const auth::credential& key) {
  user out;
  out.access_key_id = key.access_key_id;
  out.name = key.user.empty() ? key.access_key_id : key.user;
  out.canonical_id = key.canonical_id.empty() ? default_canonical_id(key.access_key_id) : key.canonical_id;
  out.email = key.email;
  out.account_id = key.account_id.empty() ? std::string(default_account_id) : key.account_id;
  return out;
}

party local_owner() {
  return {std::string(owner_id), std::string(default_account_id), std::string(owner_name)};
}

party default_owner(const auth::credential_set& keys) {
  if (const auth::credential* first = keys.first()) return user_of(*first).as_party();
  return local_owner();
}

}  // namespace s3cors::s3
