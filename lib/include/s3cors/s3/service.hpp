#pragma once
// The S3 application: request in, response out. No sockets, no clock, no logging.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/route.hpp"

#include <memory>

namespace s3cors::store {
class object_store;
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
  /// Adds x-s3cors-cors, a one-line explanation of the CORS decision. Off by default: S3
  /// sends no such header.
  bool cors_debug_header = false;
  /// Fills response::log_bucket, log_key and cors_decision for a structured access log.
  /// Off by default: they cost allocations nobody reads without one.
  bool access_log_details = false;
};

class service {
 public:
  /// The store and registry must outlive the service. Thread-safe: handle() may run on
  /// many threads.
  service(store::object_store& store, cors::cors_registry& cors, service_options options);

  /// Always returns a response; failures become S3 error responses.
  [[nodiscard]] response handle(const request& req, const request_context& ctx) const;

  /// Bucket ACLs from the configuration file (startup and reload).
  [[nodiscard]] acl_registry& acls() noexcept { return acls_; }

 private:
  [[nodiscard]] response dispatch(const request& req, const routed& r,
                                  const auth::verified_identity* identity, const request_context& ctx) const;
  /// Verifies the signature (when credentials are configured) and, for anonymous requests,
  /// the ACLs. Returns the refusal, or nullopt with identity set for signed requests.
  [[nodiscard]] std::optional<response> authorize(const request& req, const routed& r,
                                                  const request_context& ctx,
                                                  std::optional<auth::verified_identity>& identity) const;
  /// The bucket's canned ACL: set through the API, else the configuration file's, else private.
  [[nodiscard]] std::string bucket_acl(std::string_view bucket) const;
  /// Metadata headers and x-amz-acl of an upload; InvalidArgument for an unknown canned ACL.
  [[nodiscard]] static result<store::object_attributes, error_detail> upload_attributes(
      const header_list& headers);
  [[nodiscard]] response acl(const request& req, const acl_op& op, const request_context& ctx) const;
  [[nodiscard]] response post_object(const request& req, const post_object_op& op,
                                     const request_context& ctx) const;
  [[nodiscard]] response list_buckets(const request_context& ctx) const;
  [[nodiscard]] response head_bucket(const head_bucket_op& op, const request_context& ctx) const;
  [[nodiscard]] response get_object(const request& req, const get_object_op& op,
                                    const request_context& ctx) const;
  [[nodiscard]] response preflight(const request& req, const preflight_op& op,
                                   const request_context& ctx) const;
  [[nodiscard]] response get_bucket_cors(const get_bucket_cors_op& op, const request_context& ctx) const;
  [[nodiscard]] response put_bucket_cors(const request& req, const put_bucket_cors_op& op,
                                         const request_context& ctx) const;
  [[nodiscard]] response delete_bucket_cors(const delete_bucket_cors_op& op,
                                            const request_context& ctx) const;
  [[nodiscard]] response create_bucket(const request& req, const create_bucket_op& op,
                                       const request_context& ctx) const;
  [[nodiscard]] response delete_bucket(const delete_bucket_op& op, const request_context& ctx) const;
  [[nodiscard]] response get_bucket_location(const get_bucket_location_op& op,
                                             const request_context& ctx) const;
  [[nodiscard]] response put_object(const request& req, const put_object_op& op,
                                    const auth::verified_identity* identity,
                                    const request_context& ctx) const;
  [[nodiscard]] response list_objects(const query_list& query, const list_objects_op& op,
                                      const request_context& ctx) const;
  [[nodiscard]] response copy_object(const request& req, const copy_object_op& op,
                                     const request_context& ctx) const;
  [[nodiscard]] response delete_objects(const request& req, const delete_objects_op& op,
                                        const request_context& ctx) const;
  [[nodiscard]] response multipart(const request& req, const routed& r, const multipart_op& op,
                                   const auth::verified_identity* identity, const request_context& ctx) const;
  /// The body of a PutObject/UploadPart, aws-chunked decoded (into storage), with Content-MD5
  /// and x-amz-checksum-* (headers or trailers) verified; the checksums are echoed as S3 does.
  struct upload_content {
    std::string_view data;
    std::vector<std::pair<std::string, std::string>> checksums;
  };
  /// With an identity, the chunk signatures of a signed aws-chunked body are verified too.
  [[nodiscard]] static result<upload_content, error_detail> upload_body(
      const request& req, const auth::verified_identity* identity, std::string& storage);
  [[nodiscard]] response delete_object(const delete_object_op& op, const request_context& ctx) const;
  /// A CopyObject/UploadPartCopy source read into memory after its x-amz-copy-source-if-*
  /// conditions hold; with allow_range, only the bytes of x-amz-copy-source-range.
  struct copy_source {
    std::shared_ptr<const store::object_attributes> attributes;
    std::string bytes;
  };
  [[nodiscard]] result<copy_source, error_detail> read_copy_source(const request& req,
                                                                   std::string_view bucket,
                                                                   std::string_view key,
                                                                   bool allow_range) const;
  [[nodiscard]] response upload_part_copy(const request& req, const multipart_op& op,
                                          const request_context& ctx) const;
  /// Adds the Access-Control-* headers of an actual request (S3-CORS.md §10), or records
  /// why there are none.
  void apply_cors(const request& req, std::string_view bucket, response& res) const;

  store::object_store& store_;
  cors::cors_registry& cors_;
  service_options options_;
  /// Mutable: handlers are const, and the registry synchronises itself.
  mutable acl_registry acls_;
};

}  // namespace s3cors::s3
