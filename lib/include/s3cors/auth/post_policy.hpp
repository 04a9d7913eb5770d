#pragma once
// S3's POST Object authorization (browser-based uploads, AWS Signature Version 4): the form's
// SigV4 fields, the base64 JSON POST policy with its expiration and conditions, ${filename},
// and S3's answers (201 PostResponse, redirect Location). Pure: the clock is a parameter.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/http/multipart_form.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::auth {

/// Who stands behind a POST Object request.
enum class post_auth {
  anonymous,   ///< no signing fields: the caller decides whether the bucket accepts it
  unverified,  ///< signing fields, but no credentials are configured: accepted unchecked
  verified,    ///< the signature matches a configured key
};

/// A content-length-range condition of a POST policy: the file's size in bytes, both bounds
/// inclusive.
struct content_length_range {
  std::uint64_t min = 0;
  std::uint64_t max = 0;

  friend bool operator==(const content_length_range&, const content_length_range&) = default;
};

/// What the service stores and answers once evaluate_post_form (or evaluate_post_form_fields)
/// accepted a form.
struct post_upload {
  post_auth auth = post_auth::anonymous;
  std::string access_key_id;  ///< from x-amz-credential (SigV2: AWSAccessKeyId) when signed
  /// The signing fields' version (s3:signatureversion); v4 for anonymous forms too.
  signature_version version = signature_version::v4;
  std::string key;  ///< ${filename} expanded
  /// The file's bytes, a view into the request body, from evaluate_post_form; empty from
  /// evaluate_post_form_fields (the bytes stream past: multipart_form_stream).
  std::string_view data;
  std::string content_type;  ///< the Content-Type field; empty: none (S3 then stores
                             ///< binary/octet-stream: the file part's own type is not used)
  /// Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires and
  /// x-amz-meta-* (lowercased) as the headers a PUT would have carried, in form order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string acl;                       ///< empty: none given (S3's default is private)
  unsigned success_action_status = 204;  ///< 200, 201 or 204 (anything else in the form: 204)
  std::string redirect;                  ///< success_action_redirect, else redirect, when an absolute http(s)
                                         ///< URL; empty: none (S3 ignores a URL it cannot use)
  /// Every field before the file, names lowercased, ${filename} expanded, repeated names
  /// joined with ',': for x-amz-storage-class, tagging, checksums and other fields.
  std::vector<std::pair<std::string, std::string>> fields;
  /// The policy's content-length-range conditions, in policy order; empty: no policy or no such
  /// condition. check_post_size applies them to a streamed file.
  std::vector<content_length_range> size_ranges;
};

/// Authorizes a parsed POST Object form for the bucket named in the request's URL, in S3's
/// order: the key field; the signing fields (all of x-amz-algorithm, x-amz-credential,
/// x-amz-date, x-amz-signature and policy once any of the first four is present); the
/// signature over the policy text as sent (SignatureDoesNotMatch, InvalidAccessKeyId); the
/// policy document (InvalidPolicyDocument); its expiration and conditions (AccessDenied,
/// EntityTooSmall, EntityTooLarge); fields no condition covers (AccessDenied).
///
/// With an empty credential set nothing is verified, but a policy that is present is still
/// enforced. SigV2 forms (AWSAccessKeyId, policy, signature = base64 HMAC-SHA1 of the base64
/// policy, checked as SigV4's: InvalidArgument for a missing field, InvalidAccessKeyId,
/// SignatureDoesNotMatch) are verified too, or with allow_sigv2 false refused with S3's
/// SigV4-only answer (InvalidRequest).
///
/// The file's size is form.file.size() (the whole body is in memory). The same rules as
/// evaluate_post_form_fields followed by check_post_size(final), except that the first failing
/// condition in policy order answers, size conditions included.
[[nodiscard]] result<post_upload, s3::error_detail> evaluate_post_form(const http::multipart_form& form,
                                                                       std::string_view bucket,
                                                                       const credential_set& credentials,
                                                                       std::chrono::sys_seconds now,
                                                                       bool allow_sigv2 = true);

/// evaluate_post_form for a file whose size is not known yet: call it when the file part begins
/// (multipart_form_stream's file_begin; form.file is not read), then check_post_size as the
/// file's bytes arrive and once it ended. Everything is checked but content-length-range
/// conditions, which are returned in size_ranges (a range whose bounds are not numbers still
/// fails here: it fails whatever the size). Errors: evaluate_post_form's but EntityTooSmall and
/// EntityTooLarge. Since the size is checked last, a form that breaks both a size condition
/// and another gets the other's error, whatever their order in the policy.
[[nodiscard]] result<post_upload, s3::error_detail> evaluate_post_form_fields(
    const http::multipart_form& form, std::string_view bucket, const credential_set& credentials,
    std::chrono::sys_seconds now, bool allow_sigv2 = true);

/// When a file's size is checked against the policy's content-length-range conditions.
enum class post_size_check {
  running,  ///< bytes received so far: only the maximum can already be broken
  final,    ///< the file ended: both bounds
};

/// Checks a file's size against upload.size_ranges, in policy order. Returns nullopt when it
/// passes; otherwise 400 EntityTooLarge (size above a maximum, ProposedSize and MaxSizeAllowed;
/// running or final) or 400 EntityTooSmall (final size below a minimum, ProposedSize and
/// MinSizeAllowed). A running check fails as soon as the bytes so far exceed a maximum, with
/// ProposedSize the bytes so far, so the rest of the body need not be read.
[[nodiscard]] std::optional<s3::error_detail> check_post_size(const post_upload& upload, std::uint64_t size,
                                                              post_size_check when);

/// hex(HMAC-SHA256(signing key for date/region/s3, policy_base64)): the x-amz-signature of a
/// POST policy. date is the credential's yyyyMMdd.
[[nodiscard]] std::string post_policy_signature(std::string_view policy_base64, std::string_view secret,
                                                std::string_view date, std::string_view region);

/// The URL of the stored object as S3 writes it in Location: bucket_url (e.g.
/// "http://host/bucket" or "https://bucket.host", no trailing '/') then '/' and the key with
/// every byte but A-Z a-z 0-9 - . _ ~ percent-encoded ('/' as %2F).
[[nodiscard]] std::string post_object_location(std::string_view bucket_url, std::string_view key);

/// The 201 document: PostResponse with Location, Bucket, Key and ETag (quoted), no namespace.
/// etag is the bare hex digest.
[[nodiscard]] std::string render_post_response(std::string_view bucket_url, std::string_view bucket,
                                               std::string_view key, std::string_view etag);

/// The 303 Location for success_action_redirect: the URL with bucket, key and etag (quoted)
/// appended to its query, form-encoded ('/' as %2F, ' ' as '+', '"' as %22).
[[nodiscard]] std::string post_redirect_location(std::string_view redirect, std::string_view bucket,
                                                 std::string_view key, std::string_view etag);

/// What to sign, the way boto3's generate_presigned_post builds it.
struct post_form_request {
  std::string bucket;
  std::string key;  ///< ending in ${filename}: the key condition is starts-with its prefix
  /// Extra form fields (acl, Content-Type, ...). As in boto3 they get no condition by
  /// themselves: add one to conditions.
  std::vector<std::pair<std::string, std::string>> fields;
  /// Extra conditions as JSON text, e.g. R"(["content-length-range", 1, 1048576])", placed
  /// first, verbatim (so tests can also sign malformed policies).
  std::vector<std::string> conditions;
  std::chrono::seconds expires_in{3600};
  std::string region = "us-east-1";
};

struct signed_post_form {
  std::string policy;  ///< the JSON document before base64
  /// fields, key, x-amz-algorithm, x-amz-credential, x-amz-date, policy, x-amz-signature:
  /// post them in this order, then the file.
  std::vector<std::pair<std::string, std::string>> fields;
};

/// Builds and signs a POST policy as boto3 does: expiration now + expires_in as
/// "%Y-%m-%dT%H:%M:%SZ", conditions = extra conditions, bucket, key, algorithm, credential and
/// date, serialized like Python's json.dumps, so the same clock gives boto3's exact bytes.
[[nodiscard]] signed_post_form sign_post_form(const post_form_request& request, const credential& key,
                                              std::chrono::sys_seconds now);

}  // namespace s3cors::auth
