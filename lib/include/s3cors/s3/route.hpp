#pragma once
// Parses a request once into a typed S3 operation; handlers never re-inspect raw strings.
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace s3cors::s3 {

/// Decoded query parameters in request order; a name without '=' has an empty value.
using query_list = std::vector<std::pair<std::string, std::string>>;

/// Percent-decodes once; '+' becomes a space only when plus_is_space (query strings).
/// nullopt for a malformed escape.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// GetObject's response-* query parameters, which override response headers.
struct header_overrides {
  std::vector<std::pair<std::string, std::string>> headers;
};

struct list_buckets_op {};
/// GET/HEAD /_s3cors/health on any Host: the liveness probe (no bucket name starts with '_').
struct health_op {};
struct head_bucket_op {
  std::string bucket;
};
struct get_object_op {
  std::string bucket;
  std::string key;
  bool is_head = false;
  header_overrides overrides;
  std::optional<std::string> part_number;  ///< ?partNumber=N: only that part of the object
};
/// Every OPTIONS request is a CORS preflight, answered from the CORS configuration alone.
struct preflight_op {
  std::string bucket;  ///< empty for the service root
  std::string key;
};

struct get_bucket_cors_op {
  std::string bucket;
};
struct put_bucket_cors_op {
  std::string bucket;
};
struct delete_bucket_cors_op {
  std::string bucket;
};

struct create_bucket_op {
  std::string bucket;
};
struct delete_bucket_op {
  std::string bucket;
};
struct get_bucket_location_op {
  std::string bucket;
};
struct put_object_op {
  std::string bucket;
  std::string key;
};
/// ListObjects (v1) and ListObjectsV2 (list-type=2); the parameters stay in the query.
struct list_objects_op {
  std::string bucket;
};
/// PutObject with x-amz-copy-source.
struct copy_object_op {
  std::string bucket;
  std::string key;
  std::string source_bucket;
  std::string source_key;
};
/// POST /bucket?delete
struct delete_objects_op {
  std::string bucket;
};
/// The multipart upload operations (?uploads, ?uploadId=, ?partNumber=).
struct multipart_op {
  enum class kind { create, upload_part, upload_part_copy, complete, abort, list_parts, list_uploads };
  kind what = kind::create;
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::string part_number;
  std::string source_bucket;  ///< UploadPartCopy: x-amz-copy-source, decoded
  std::string source_key;
};
struct delete_object_op {
  std::string bucket;
  std::string key;
};
/// GET/PUT ?acl on a bucket (key empty) or an object.
struct acl_op {
  std::string bucket;
  std::string key;
  bool put = false;
};
/// GET /bucket/key?attributes (GetObjectAttributes).
struct get_object_attributes_op {
  std::string bucket;
  std::string key;
};
/// POST /bucket with a multipart/form-data body: an HTML form upload (POST Object).
struct post_object_op {
  std::string bucket;
};

/// GET/PUT/DELETE ?tagging on a bucket (key empty) or an object.
struct tagging_op {
  enum class kind { get, put, remove };
  kind what = kind::get;
  std::string bucket;
  std::string key;
};
/// GET /bucket?versions: ListObjectVersions; the parameters stay in the query.
struct list_object_versions_op {
  std::string bucket;
};
/// ?policy (GET, PUT, DELETE) and GET ?policyStatus on a bucket.
struct bucket_policy_op {
  enum class kind { get, put, remove, status };
  kind what = kind::get;
  std::string bucket;
};
/// GET /bucket?versioning: GetBucketVersioning.
struct get_bucket_versioning_op {
  std::string bucket;
};

/// GET/PUT/DELETE /bucket?ownershipControls and ?publicAccessBlock: the ObjectOwnership and
/// PublicAccessBlock operations (s3/bucket_controls.hpp).
struct bucket_control_op {
  enum class setting { ownership_controls, public_access_block };
  enum class kind { get, put, remove };
  setting what = setting::ownership_controls;
  kind verb = kind::get;
  std::string bucket;
};
using operation =
    std::variant<list_buckets_op, head_bucket_op, get_object_op, preflight_op, get_bucket_cors_op,
                 put_bucket_cors_op, delete_bucket_cors_op, create_bucket_op, delete_bucket_op,
                 get_bucket_location_op, put_object_op, delete_object_op, list_objects_op, copy_object_op,
                 delete_objects_op, multipart_op, acl_op, post_object_op, health_op, tagging_op,
                 list_object_versions_op, get_bucket_versioning_op, get_object_attributes_op,
                 bucket_policy_op, bucket_control_op>;

struct routing_options {
  /// With a domain D, Host "bucket.s3.D" addresses a bucket virtual-hosted style.
  std::string domain;
};

struct routed {
  operation op;
  query_list query;
};

/// The path of the health endpoint.
inline constexpr std::string_view health_path = "/_s3cors/health";

/// The bucket a request addresses (virtual-hosted or path style), empty for none. Used
/// where routing failed but the response still needs the bucket's CORS headers.
[[nodiscard]] std::string target_bucket(const request& req, const routing_options& options);

/// The bucket the Host header names (virtual-hosted style), empty for path style.
[[nodiscard]] std::string host_bucket(const request& req, const routing_options& options);

/// The operation a request names, or the S3 error to answer (NotImplemented for operations
/// s3cors does not have yet, MethodNotAllowed, InvalidBucketName, InvalidURI, ...).
[[nodiscard]] result<routed, error_detail> route(const request& req, const routing_options& options);

}  // namespace s3cors::s3
