#pragma once
// Who may do what without credentials. s3cors has one owner (every configured key pair acts
// as it), so of S3's ACLs only the grants to everyone matter: canned ACLs say it all.
//
// s3cors's rule, stated in the README: a bucket that is public-read lets anonymous requests
// list it and read every object in it; public-read-write also lets them write and delete
// objects (PutObject, POST uploads, multipart, DeleteObject). An object that is public-read
// (x-amz-acl at upload, PutObjectAcl) is readable anonymously in any bucket. Everything else
// — bucket configuration, ACLs, CORS, creating and deleting buckets — needs a signature.
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace s3cors::s3 {

/// One of S3's canned ACL names (private, public-read, public-read-write, authenticated-read,
/// aws-exec-read, bucket-owner-read, bucket-owner-full-control, log-delivery-write).
[[nodiscard]] bool is_canned_acl(std::string_view name) noexcept;

enum class anonymous_access { read, write };

/// The bucket document (object_store::put_bucket_document) where CreateBucket's x-amz-acl and
/// PutBucketAcl keep a bucket's canned ACL.
inline constexpr std::string_view bucket_acl_document = "acl";

/// Whether an anonymous request may read or write given the bucket's canned ACL and the
/// object's (empty when none was set, or for bucket-level requests).
[[nodiscard]] bool anonymous_may(anonymous_access access, std::string_view bucket_acl,
                                 std::string_view object_acl) noexcept;

/// GetBucketAcl/GetObjectAcl: the AccessControlPolicy document a canned ACL amounts to.
[[nodiscard]] std::string render_access_control_policy(std::string_view canned_acl);

/// PutBucketAcl/PutObjectAcl with an AccessControlPolicy body: the canned ACL its grants
/// amount to (owner FULL_CONTROL plus AllUsers READ and/or WRITE); MalformedXML when it is
/// not such a document, NotImplemented for grants to other principals.
[[nodiscard]] result<std::string, error_detail> canned_acl_from_policy(std::string_view xml);

/// Bucket ACLs held in memory, so that anonymous requests never read the disk for them: those
/// set through the API (which win) and those of the configuration file (replaced at once on
/// reload). Thread-safe.
class acl_registry {
 public:
  void set_file_acls(std::map<std::string, std::string, std::less<>> by_bucket);
  /// CreateBucket/PutBucketAcl (a canned ACL) and DeleteBucket (nullopt).
  void set_api_acl(std::string_view bucket, std::optional<std::string> acl);
  /// The ACL in force: the API's, else the file's; nullopt when neither set one.
  [[nodiscard]] std::optional<std::string> find(std::string_view bucket) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::string, std::less<>> api_;
  std::map<std::string, std::string, std::less<>> file_;
};

}  // namespace s3cors::s3
