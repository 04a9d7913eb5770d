#pragma once
// Bucket policies in the service: the documents PutBucketPolicy stored, held parsed in memory
// so that no request reads the disk for them, and the condition keys a request offers to
// their evaluation (docs/bucket-policies.md).
#include "s3cors/http/request.hpp"
#include "s3cors/policy/policy.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/party.hpp"
#include "s3cors/s3/route.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace s3cors::auth {
struct verified_identity;
}

namespace s3cors::s3 {

/// The bucket document (object_store::put_bucket_document) holding a bucket's policy, verbatim.
inline constexpr std::string_view bucket_policy_document = "policy";

struct stored_policy {
  std::string text;  ///< as PutBucketPolicy received it: GetBucketPolicy answers it verbatim
  policy::bucket_policy parsed;
  bool is_public = false;  ///< policy::is_public (GetBucketPolicyStatus, Block Public Access)
};
using policy_ptr = std::shared_ptr<const stored_policy>;

/// Parses text for bucket as PutBucketPolicy does (400 MalformedPolicy with S3's message).
[[nodiscard]] result<policy_ptr, error_detail> make_stored_policy(std::string text, std::string_view bucket);

/// What the configuration file's `"acl": "public-read"` (or public-read-write) stands for, as
/// S3 would need it: a policy allowing s3:GetObject on every object of the bucket to anyone
/// (README, "Authentication and anonymous access"). Sid "S3corsConfigPublicRead".
[[nodiscard]] policy_ptr config_public_read_policy(std::string_view bucket);

/// The policies in force, per bucket. Thread-safe.
class policy_registry {
 public:
  /// PutBucketPolicy (a policy) and DeleteBucketPolicy/DeleteBucket (nullptr).
  void set(std::string_view bucket, policy_ptr policy);
  [[nodiscard]] policy_ptr find(std::string_view bucket) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, policy_ptr, std::less<>> by_bucket_;
};

/// The condition keys of one request that do not depend on the resource: aws:SourceIp,
/// aws:SecureTransport (s3cors speaks plain HTTP: "false"), aws:CurrentTime, aws:EpochTime,
/// aws:Referer, aws:UserAgent, s3:signatureversion, s3:authType, s3:x-amz-acl,
/// s3:x-amz-content-sha256, s3:x-amz-storage-class, s3:x-amz-server-side-encryption, and for
/// listings s3:prefix, s3:delimiter and s3:max-keys. identity is null for anonymous requests.
[[nodiscard]] policy::context_keys request_condition_keys(const request& req, const query_list& query,
                                                          const request_context& ctx,
                                                          const auth::verified_identity* identity);

/// request_condition_keys of one request, computed on first use: most requests meet no policy.
/// Holds references to its arguments, which must outlive it.
class lazy_condition_keys {
 public:
  lazy_condition_keys(const request& req, const query_list& query, const request_context& ctx,
                      const auth::verified_identity* identity) noexcept
      : req_(req), query_(query), ctx_(ctx), identity_(identity) {}
  [[nodiscard]] const policy::context_keys& get();
  /// Who the policy sees: the service an in-process caller acts for
  /// (request_context::on_behalf_of), else policy_requester(signer).
  [[nodiscard]] policy::requester principal(const std::optional<party>& signer) const;

 private:
  const request& req_;
  const query_list& query_;
  const request_context& ctx_;
  const auth::verified_identity* identity_;
  std::optional<policy::context_keys> keys_;
};

/// Who a policy sees: anonymous, or the IAM user of a configured credential
/// (arn:aws:iam::ACCOUNT:user/NAME).
[[nodiscard]] policy::requester policy_requester(const std::optional<party>& principal);

/// "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key".
[[nodiscard]] std::string resource_arn(std::string_view bucket, std::string_view key);

}  // namespace s3cors::s3
