#pragma once
// A principal or an owner, as S3 names it (s3/identity.hpp says where they come from).
#include <string>

namespace s3cors::s3 {

/// Its canonical user ID, its 12-digit account and its display name. Owners compare by account
/// when both have one (the users of one account own its resources together), else by
/// canonical ID.
struct party {
  std::string canonical_id;
  std::string account_id;
  std::string display_name;

  [[nodiscard]] bool same_owner(const party& other) const noexcept;
};

}  // namespace s3cors::s3
