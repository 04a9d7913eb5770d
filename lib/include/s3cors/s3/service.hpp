#pragma once
// The S3 application: request in, response out. No sockets, no clock, no logging.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/http/body_sink.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/bucket_controls.hpp"
#include "s3cors/s3/bucket_policy.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/route.hpp"

#include <atomic>
#include <memory>

namespace s3cors::store {
struct opened_object;
class object_store;
class object_writer;
struct object_attributes;
}  // namespace s3cors::store
namespace s3cors::cors {
class cors_registry;
}
namespace s3cors::auth {
struct verified_identity;
}

namespace s3cors::s3 {

struct service_options {
  routing_options routing;
  /// Empty (the default): any signature is accepted and anonymous requests may do anything.
  /// Otherwise signatures are verified and anonymous requests obey the ACLs (s3/access.hpp).
  auth::credential_set credentials;
  /// Accept Signature Version 2 (headers, presigned URLs, POST forms); false answers it as S3's
  /// SigV4-only regions do (config "sigv2", --no-sigv2).
  bool sigv2 = true;
  /// Adds x-s3cors-cors, a one-line explanation of the CORS decision. Off by default: S3
  /// sends no such header.
  bool cors_debug_header = false;
  /// Fills access_note::bucket, key and cors of every answer, for a structured access log.
  /// Off by default: they cost allocations nobody reads without one.
  bool access_log_details = false;
  /// The largest object a PutObject, a part or a POST upload may carry (S3: 5 GiB); larger
  /// ones are refused with EntityTooLarge before their body is read.
  std::uint64_t max_object_size = std::uint64_t{5} << 30;
  /// Bodies that are documents (CORS, ACL, DeleteObjects, CompleteMultipartUpload, ...) are
  /// held in memory up to this size; larger ones get MaxMessageLengthExceeded.
  std::size_t max_document_size = std::size_t{2} << 20;
  /// Config "api_bucket_defaults": "s3" (on, the default): CreateBucket gives a new bucket
  /// today's S3 defaults, ObjectOwnership BucketOwnerEnforced and every PublicAccessBlock flag
  /// set. Off ("none"): a new bucket has neither, as folders and configured buckets do.
  bool s3_bucket_defaults = true;
};

class service {
 public:
  /// The store and registry must outlive the service. Thread-safe: handle() may run on
  /// many threads.
  service(store::object_store& store, cors::cors_registry& cors, service_options options);

  /// Decides on a request's header alone (routing, authentication, authorisation, the bucket,
  /// every header-level check): either the answer, or a sink for the body when the request is
  /// accepted. Never reads req.body. Uploads stream through the sink into the store, with
  /// memory bounded whatever their size.
  [[nodiscard]] started_request start(const request& req, const request_context& ctx) const;

  /// start(), then req.body fed to the sink in one piece: for callers that hold the whole
  /// request. Always returns a response; failures become S3 error responses.
  [[nodiscard]] answer handle(const request& req, const request_context& ctx) const;

  /// Bucket ACLs from the configuration file (startup and reload).
  [[nodiscard]] acl_registry& acls() noexcept { return acls_; }
  /// Buckets' ObjectOwnership and PublicAccessBlock settings.
  [[nodiscard]] bucket_controls_registry& controls() noexcept { return controls_; }

  /// Replaces the key pairs requests are verified against (a reload): removed keys stop
  /// working at once. Thread-safe against handle()/start() on other threads.
  void set_credentials(auth::credential_set keys);
  /// The key pairs in force.
  [[nodiscard]] std::shared_ptr<const auth::credential_set> credentials() const;
  /// Adds the Access-Control-* headers of an actual request (docs/cors.md §10), or records
  /// why there are none. Public for answers made beside the service (injected faults).
  void apply_cors(const request& req, std::string_view bucket, answer& out) const;

 private:
  struct held_request;
  class upload_sink;
  class document_sink;
  class post_sink;
  [[nodiscard]] started_request start_post_object(const request& req, const post_object_op& op,
                                                  const request_context& ctx) const;
  void finalize_post(const request& req, const post_object_op& op, answer& out) const;
  /// The CORS headers and log details every answer gets, HEAD's body removed.
  void finalize(const request& req, const routed& r, answer& out) const;
  /// start() once the request is authorised; ctx names the requester.
  [[nodiscard]] started_request start_authorized(const request& req, routed&& authorized,
                                                 std::optional<auth::verified_identity>&& identity,
                                                 const request_context& ctx) const;
  [[nodiscard]] started_request start_upload(const request& req, routed&& r,
                                             std::optional<auth::verified_identity>&& identity,
                                             const request_context& ctx) const;
  [[nodiscard]] answer dispatch(const request& req, const routed& r, const request_context& ctx) const;
  /// Verifies the signature (when credentials are configured) and, for anonymous requests,
  /// the ACLs. Returns the refusal, or nullopt with identity set for signed requests.
  [[nodiscard]] std::optional<answer> authorize(const request& req, const routed& r,
                                                const request_context& ctx,
                                                std::optional<auth::verified_identity>& identity) const;
  /// The facts decide() needs about an action on bucket (and key, for object actions), from
  /// memory but for the object's record.
  /// keys: the request's policy condition keys, built on first use when the bucket has a
  /// policy; nullptr: none can be offered (the policy sees none).
  [[nodiscard]] access_request access_for(std::string_view action, std::string_view bucket,
                                          std::string_view key, std::optional<party> principal,
                                          lazy_condition_keys* keys = nullptr) const;
  /// The bucket's ACL as stored (a canned name or a grant list): set through the API, else the
  /// configuration file's, else private.
  [[nodiscard]] std::string bucket_acl(std::string_view bucket) const;
  /// Metadata headers and ACL (x-amz-acl or x-amz-grant-*) of an upload, and its owner (the
  /// requester); InvalidArgument for an unknown canned ACL.
  [[nodiscard]] result<store::object_attributes, error_detail> upload_attributes(
      const header_list& headers, const request_context& ctx) const;
  /// The ACL a request's headers set, as stored (access.hpp: a canned name or a grant list);
  /// nullopt when they set none. Both x-amz-acl and x-amz-grant-* headers: InvalidRequest.
  [[nodiscard]] result<std::optional<std::string>, error_detail> acl_from_headers(
      const header_list& headers) const;
  /// The bucket's policy in force: PutBucketPolicy's, else what the configuration file's
  /// public-read stands for (config_public_read_policy), else none.
  [[nodiscard]] policy_ptr policy_in_force(std::string_view bucket) const;
  /// The configured users, as grants name them.
  [[nodiscard]] std::vector<known_user> known_users() const;
  /// upload_attributes for an upload into bucket, under its ObjectOwnership and
  /// PublicAccessBlock: AccessControlListNotSupported or AccessDenied for an ACL they refuse;
  /// the bucket owner owns the object under BucketOwnerEnforced (and under
  /// BucketOwnerPreferred when x-amz-acl is bucket-owner-full-control).
  [[nodiscard]] result<store::object_attributes, error_detail> bucket_upload_attributes(
      std::string_view bucket, const header_list& headers, const request_context& ctx) const;
  /// acl_refusal with the bucket's settings and owner.
  [[nodiscard]] std::optional<error_detail> bucket_acl_refusal(std::string_view bucket,
                                                               const std::optional<std::string>& acl,
                                                               const party& owner, bool on_bucket) const;
  [[nodiscard]] answer bucket_control(const request& req, const bucket_control_op& op,
                                      const request_context& ctx) const;
  /// The configured user who signed (nullopt: anonymous, or a key removed since).
  [[nodiscard]] std::optional<party> requester_of(
      const std::optional<auth::verified_identity>& identity) const;
  /// The bucket's recorded owner, else the account's (identity.hpp: default_owner).
  [[nodiscard]] party bucket_owner(std::string_view bucket) const;
  /// Who signed the request, else the account's owner (no credentials, anonymous requests).
  [[nodiscard]] party requester_or_owner(const request_context& ctx) const;
  [[nodiscard]] answer acl(const request& req, const acl_op& op, const request_context& ctx) const;
  [[nodiscard]] answer list_buckets(const query_list& query, const request_context& ctx) const;
  [[nodiscard]] answer head_bucket(const head_bucket_op& op, const request_context& ctx) const;
  [[nodiscard]] answer get_object(const request& req, const get_object_op& op,
                                  const request_context& ctx) const;
  /// GetObject/HeadObject with ?partNumber: that part's bytes (object_attributes::parts).
  [[nodiscard]] answer get_object_part(const request& req, const get_object_op& op,
                                       store::opened_object object, const request_context& ctx) const;
  [[nodiscard]] answer preflight(const request& req, const preflight_op& op,
                                 const request_context& ctx) const;
  [[nodiscard]] answer get_bucket_cors(const get_bucket_cors_op& op, const request_context& ctx) const;
  [[nodiscard]] answer put_bucket_cors(const request& req, const put_bucket_cors_op& op,
                                       const request_context& ctx) const;
  [[nodiscard]] answer delete_bucket_cors(const delete_bucket_cors_op& op, const request_context& ctx) const;
  [[nodiscard]] answer create_bucket(const request& req, const create_bucket_op& op,
                                     const request_context& ctx) const;
  [[nodiscard]] answer delete_bucket(const delete_bucket_op& op, const request_context& ctx) const;
  [[nodiscard]] answer get_bucket_location(const get_bucket_location_op& op,
                                           const request_context& ctx) const;
  [[nodiscard]] answer list_objects(const query_list& query, const list_objects_op& op,
                                    const request_context& ctx) const;
  [[nodiscard]] answer copy_object(const request& req, const copy_object_op& op,
                                   const request_context& ctx) const;
  [[nodiscard]] answer delete_objects(const request& req, const delete_objects_op& op,
                                      const request_context& ctx) const;
  [[nodiscard]] answer multipart(const request& req, const routed& r, const multipart_op& op,
                                 const request_context& ctx) const;
  [[nodiscard]] answer delete_object(const delete_object_op& op, const request_context& ctx) const;
  /// Copies a CopyObject/UploadPartCopy source into writer after its x-amz-copy-source-if-*
  /// conditions hold (with allow_range, only the bytes of x-amz-copy-source-range), without
  /// holding it in memory. Returns the source's attributes and the copy's MD5 (hex).
  struct copied {
    std::shared_ptr<const store::object_attributes> attributes;
    std::string md5_hex;
    /// CRC64NVME of a whole copy whose source has no checksums (S3's default checksum).
    std::vector<std::pair<std::string, std::string>> checksums;
  };
  [[nodiscard]] result<copied, error_detail> copy_source(const request& req, std::string_view bucket,
                                                         std::string_view key, bool allow_range,
                                                         store::object_writer& writer) const;
  [[nodiscard]] answer upload_part_copy(const request& req, const multipart_op& op,
                                        const request_context& ctx) const;
  [[nodiscard]] answer tagging(const request& req, const tagging_op& op, const request_context& ctx) const;
  /// Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus (service_policy.cpp).
  [[nodiscard]] answer bucket_policy(const request& req, const bucket_policy_op& op,
                                     const request_context& ctx) const;
  [[nodiscard]] answer list_object_versions(const query_list& query, const list_object_versions_op& op,
                                            const request_context& ctx) const;
  [[nodiscard]] answer get_bucket_versioning(const get_bucket_versioning_op& op,
                                             const request_context& ctx) const;
  /// The 12-digit AWS account id that owns bucket, which x-amz-expected-bucket-owner must name.
  [[nodiscard]] std::string bucket_owner_account(std::string_view bucket) const;
  /// 403 AccessDenied when x-amz-expected-bucket-owner (or, for a copy,
  /// x-amz-source-expected-bucket-owner) names another account than the bucket's owner.
  [[nodiscard]] std::optional<answer> check_expected_owner(const request& req, const routed& r,
                                                           const request_context& ctx) const;
  /// 404 NoSuchBucket when the bucket the request names does not exist: what S3 answers an
  /// anonymous request there rather than AccessDenied.
  [[nodiscard]] std::optional<answer> missing_bucket(const request& req, const routed& r,
                                                     const request_context& ctx) const;

  store::object_store& store_;
  cors::cors_registry& cors_;
  service_options options_;  ///< options_.credentials is only the starting set: see credentials_
  /// The key pairs in force, replaced whole by set_credentials.
  std::atomic<std::shared_ptr<const auth::credential_set>> credentials_;
  /// Mutable: handlers are const, and the registry synchronises itself.
  mutable acl_registry acls_;
  /// Bucket policies set through the API, parsed. Mutable for the same reason.
  mutable policy_registry policies_;
  /// config_public_read_policy of the file's public-read buckets, made on first use.
  mutable policy_registry file_policies_;
  /// ObjectOwnership and PublicAccessBlock set through the API. Mutable for the same reason.
  mutable bucket_controls_registry controls_;
};

}  // namespace s3cors::s3
