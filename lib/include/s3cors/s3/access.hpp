#pragma once
// Who may do what: S3's access evaluation as one pure function (decide), and the ACLs it reads.
//
// s3cors has one owner so far (every configured key pair acts as it); anonymous requests get
// what the ACLs and the bucket's effective policy grant them, with S3's meanings (README,
// "Authentication and anonymous access"):
// - READ on a bucket lets a grantee list it (ListObjects, HeadBucket, ListMultipartUploads),
//   not read its objects; WRITE on a bucket lets a grantee create, overwrite and delete
//   objects in it (PutObject, POST uploads, multipart, DeleteObject).
// - READ on an object lets a grantee read it: an object's ACL governs its reads.
// - The configuration file's "acl": "public-read" on a bucket stands for what S3 needs for
//   it: the public-read bucket ACL (listing) and a bucket policy granting s3:GetObject on
//   arn:aws:s3:::BUCKET/* to "*" (every object readable). The service evaluates that policy
//   (bucket_policy.hpp: config_public_read_policy) like one PutBucketPolicy set.
// Everything else — bucket configuration, ACLs, CORS, creating and deleting buckets — needs
// the bucket owner.
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/s3/party.hpp"
#include "s3cors/s3/route.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::s3 {

/// One of S3's canned ACL names (private, public-read, public-read-write, authenticated-read,
/// aws-exec-read, bucket-owner-read, bucket-owner-full-control, log-delivery-write).
[[nodiscard]] bool is_canned_acl(std::string_view name) noexcept;

/// The bucket document (object_store::put_bucket_document) where CreateBucket and PutBucketAcl
/// keep a bucket's ACL (a canned name or a grant list: serialize_grants).
inline constexpr std::string_view bucket_acl_document = "acl";

inline constexpr std::string_view all_users_uri = "http://acs.amazonaws.com/groups/global/AllUsers";
inline constexpr std::string_view authenticated_users_uri =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
inline constexpr std::string_view log_delivery_uri = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// S3's ACL permissions.
enum class permission : std::uint8_t { read, write, read_acp, write_acp, full_control };
[[nodiscard]] std::string_view permission_name(permission p) noexcept;

/// One grant of an ACL: to a canonical user (grantee is its ID) or a group (grantee is its URI).
struct grant {
  enum class kind : std::uint8_t { canonical_user, group };
  kind type = kind::canonical_user;
  std::string grantee;
  permission what = permission::read;

  friend bool operator==(const grant&, const grant&) = default;
};

/// The grants a canned ACL expands to, as S3 expands them: the owner's FULL_CONTROL, plus
/// AllUsers READ (public-read), READ and WRITE (public-read-write), AuthenticatedUsers READ
/// (authenticated-read), the bucket owner's READ or FULL_CONTROL on an object
/// (bucket-owner-read, bucket-owner-full-control; nothing more on a bucket), LogDelivery WRITE
/// and READ_ACP (log-delivery-write). aws-exec-read's grant to EC2 names no principal s3cors
/// has, so only the owner's remains. An unknown name expands like private.
[[nodiscard]] std::vector<grant> canned_grants(std::string_view canned_acl, const party& owner,
                                               const party& bucket_owner);

/// ObjectOwnership (bucket ownership controls).
enum class object_ownership : std::uint8_t { object_writer, bucket_owner_preferred, bucket_owner_enforced };

/// A bucket's PublicAccessBlock configuration (all false: none).
struct public_access_block {
  bool block_public_acls = false;
  bool ignore_public_acls = false;
  bool block_public_policy = false;
  bool restrict_public_buckets = false;
};

/// What a bucket policy's evaluation said about a request (s3cors::policy plugs in here).
enum class policy_decision : std::uint8_t { allow, explicit_deny, no_match };

/// The object a request is about, when it exists.
struct object_facts {
  party owner;
  std::vector<grant> acl;
};

/// Everything an authorisation decision depends on: nothing is looked up by decide().
struct access_request {
  /// The IAM action name of the operation (action_of), e.g. "s3:GetObject".
  std::string_view action;
  /// The signed request's principal; nullopt: anonymous.
  std::optional<party> principal;
  party bucket_owner;
  std::vector<grant> bucket_acl;
  /// For object-level actions on an existing object; nullopt when it does not exist (or for
  /// bucket-level actions).
  std::optional<object_facts> object;
  object_ownership ownership = object_ownership::object_writer;
  public_access_block public_access;
  /// The bucket policy's evaluation, when the bucket has one.
  std::optional<policy_decision> policy;
  /// The statement that decided it ("statement \"Sid\"" or "statement N"), for the trace.
  std::string policy_statement;
};

struct access_decision {
  bool allowed = false;
  /// Which rule or grant decided, for people ("access explain", the access log).
  std::string trace;
};

/// S3's evaluation: an explicit deny in the policy refuses; else an allow from the policy, the
/// bucket owner's rights, or an ACL grant allows; else the request is refused. ACL grants are
/// ignored when ObjectOwnership is BucketOwnerEnforced, and grants to AllUsers and
/// AuthenticatedUsers when PublicAccessBlock's IgnorePublicAcls is set. READ on a bucket also
/// lets GetObject of a missing object through, so that the grantee gets 404 rather than 403.
[[nodiscard]] access_decision decide(const access_request& request);

/// The IAM action an operation needs, by S3's names (the table is in access.cpp); empty for
/// those never authorised (preflights, the health check). CopyObject and UploadPartCopy are
/// s3:PutObject and also need s3:GetObject on their source; POST uploads are s3:PutObject.
[[nodiscard]] std::string_view action_of(const operation& op) noexcept;

/// Whether the action is about an object (its ACL and owner matter) rather than the bucket.
[[nodiscard]] bool is_object_action(std::string_view action) noexcept;

/// A configured user, as grants name it: by canonical ID (its DisplayName in GetBucketAcl and
/// GetObjectAcl) or by e-mail address (AmazonCustomerByEmail, emailAddress="...").
struct known_user {
  party who;
  std::string email;
};

/// How an ACL is stored (the object record's `acl`, the bucket's "acl" document, the
/// registry): a canned ACL name (what older records hold; empty: private) or, for grant
/// lists, their JSON (serialize_grants). stored_grants expands either into grants.
[[nodiscard]] std::string serialize_grants(const std::vector<grant>& grants);
[[nodiscard]] std::vector<grant> stored_grants(std::string_view stored, const party& owner,
                                               const party& bucket_owner);

/// A PutBucketAcl/PutObjectAcl AccessControlPolicy body: the Owner/ID it names (the service
/// checks it is the resource's owner) and its grants, e-mail grantees resolved to users.
struct access_control_policy {
  std::string owner_id;
  std::vector<grant> grants;
};
/// MalformedACLError for documents that are not well-formed or break S3's schema (a Grant
/// without Grantee or Permission, an unknown permission or xsi:type, no Owner);
/// UnresolvableGrantByEmailAddress for an address no configured user has; InvalidArgument for
/// an unknown group URI or an empty ID.
[[nodiscard]] result<access_control_policy, error_detail> parse_access_control_policy(
    std::string_view xml, const std::vector<known_user>& users);

/// The x-amz-grant-read/-write/-read-acp/-write-acp/-full-control headers
/// (`id="..."`, `emailAddress="..."`, `uri="..."`, comma-separated): nullopt when none is
/// present; InvalidArgument for a malformed grantee, UnresolvableGrantByEmailAddress for an
/// unknown address.
[[nodiscard]] result<std::optional<std::vector<grant>>, error_detail> grants_from_headers(
    const header_list& headers, const std::vector<known_user>& users);

/// Bucket ACLs held in memory, so that anonymous requests never read the disk for them: those
/// set through the API (which win) and those of the configuration file (replaced at once on
/// reload). Thread-safe.
class acl_registry {
 public:
  void set_file_acls(std::map<std::string, std::string, std::less<>> by_bucket);
  /// CreateBucket/PutBucketAcl (the ACL as stored: a canned name or a grant list) and
  /// DeleteBucket (nullopt).
  void set_api_acl(std::string_view bucket, std::optional<std::string> acl);
  /// The ACL in force: the API's, else the file's; nullopt when neither set one.
  [[nodiscard]] std::optional<std::string> find(std::string_view bucket) const;
  /// The owner recorded for a bucket (CreateBucket; nullopt: none recorded, or DeleteBucket).
  void set_owner(std::string_view bucket, std::optional<party> owner);
  [[nodiscard]] std::optional<party> owner(std::string_view bucket) const;
  /// Whether the configuration file makes every object of the bucket readable by anyone: its
  /// "acl" is public-read or public-read-write and no ACL set through the API replaced it.
  [[nodiscard]] bool file_public_read(std::string_view bucket) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::string, std::less<>> api_;
  std::map<std::string, std::string, std::less<>> file_;
  std::map<std::string, party, std::less<>> owners_;
};

/// The bucket document where CreateBucket records the bucket's owner (JSON), and back.
inline constexpr std::string_view bucket_owner_document = "owner";
[[nodiscard]] std::string serialize_owner(const party& owner);
[[nodiscard]] std::optional<party> parse_owner(std::string_view json);

/// GetBucketAcl/GetObjectAcl: the AccessControlPolicy document of an owner and its grants
/// (CanonicalUser grants of the owner and of known users carry their DisplayName).
[[nodiscard]] std::string render_access_control_policy(const party& owner, const std::vector<grant>& grants,
                                                       const std::vector<known_user>& users = {});

}  // namespace s3cors::s3
