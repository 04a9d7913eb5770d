#pragma once
// A bucket's ObjectOwnership (ownership controls) and PublicAccessBlock configuration: their
// documents, and a registry that keeps them in memory so that anonymous requests never read
// the disk for them (README, "Object ownership and public access blocks").
#include "s3cors/result.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/error.hpp"

#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace s3cors::s3 {

/// The bucket documents (object_store::put_bucket_document) where PutBucketOwnershipControls
/// and PutPublicAccessBlock (and CreateBucket) keep their XML.
inline constexpr std::string_view bucket_ownership_document = "ownership-controls.xml";
inline constexpr std::string_view bucket_public_access_block_document = "public-access-block.xml";

/// BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter; and back (nullopt: none of them).
[[nodiscard]] std::string_view ownership_name(object_ownership o) noexcept;
[[nodiscard]] std::optional<object_ownership> parse_ownership_name(std::string_view name) noexcept;

/// An OwnershipControls document with one Rule naming the ObjectOwnership; MalformedXML
/// otherwise.
[[nodiscard]] result<object_ownership, error_detail> parse_ownership_controls(std::string_view xml);
[[nodiscard]] std::string render_ownership_controls(object_ownership o);

/// A PublicAccessBlockConfiguration document; absent elements are false, as in S3; MalformedXML
/// for anything but true/false or unknown elements.
[[nodiscard]] result<public_access_block, error_detail> parse_public_access_block(std::string_view xml);
[[nodiscard]] std::string render_public_access_block(const public_access_block& block);

/// What BucketOwnerEnforced and BlockPublicAcls say about a request setting an ACL on the
/// bucket or one of its objects. acl: the ACL it sets, as stored (access.hpp: a canned name or
/// a grant list; nullopt: none); owner: the resource's owner (whom canned ACLs grant).
/// AccessControlListNotSupported, when ObjectOwnership is BucketOwnerEnforced, for any ACL but
/// bucket-owner-full-control (on the bucket itself also private) or a grant list giving only
/// the bucket owner FULL_CONTROL, S3's "equivalent forms"; AccessDenied, under BlockPublicAcls,
/// for an ACL granting anything to AllUsers or AuthenticatedUsers.
[[nodiscard]] std::optional<error_detail> acl_refusal(object_ownership ownership,
                                                      const public_access_block& block,
                                                      const std::optional<std::string>& acl,
                                                      const party& owner, const party& bucket_owner,
                                                      bool on_bucket);

/// ObjectOwnership and PublicAccessBlock settings of buckets, in memory. Thread-safe.
class bucket_controls_registry {
 public:
  /// PutBucketOwnershipControls, CreateBucket; nullopt: DeleteBucketOwnershipControls, DeleteBucket.
  void set_ownership(std::string_view bucket, std::optional<object_ownership> o);
  /// nullopt: none (the bucket behaves as ObjectWriter).
  [[nodiscard]] std::optional<object_ownership> ownership(std::string_view bucket) const;
  void set_public_access_block(std::string_view bucket, std::optional<public_access_block> block);
  /// nullopt: none (nothing blocked).
  [[nodiscard]] std::optional<public_access_block> find_public_access_block(std::string_view bucket) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, object_ownership, std::less<>> ownership_;
  std::map<std::string, public_access_block, std::less<>> blocks_;
};

}  // namespace s3cors::s3
