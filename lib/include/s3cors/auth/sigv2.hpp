#pragma once
// AWS Signature Version 2 as Amazon S3 checks it: the "AWS AKID:signature" Authorization header
// and query-string authentication (presigned URLs with AWSAccessKeyId, Expires and Signature).
// The signature is base64(HMAC-SHA1(secret, StringToSign)) with
//
//   StringToSign = Verb \n Content-MD5 \n Content-Type \n Date \n
//                  CanonicalizedAmzHeaders CanonicalizedResource
//
// Clients still send it: boto3's generate_presigned_url/generate_presigned_post and the aws
// CLI's `s3 presign` sign SigV2 against a custom endpoint unless told otherwise. Pure functions:
// the caller passes "now"; verify_request (sigv4.hpp) decides which scheme a request uses.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::auth {

/// Whether a query parameter is a sub-resource that CanonicalizedResource names: S3's list
/// (acl, cors, delete, lifecycle, location, logging, notification, partNumber, policy,
/// requestPayment, tagging, torrent, uploadId, uploads, versionId, versioning, versions,
/// website, the six response-* overrides) and the others that botocore signs (accelerate,
/// analytics, inventory, metrics, object-lock, replication, restore, select, select-type,
/// storageClass, defaultObjectAcl). Case-sensitive.
[[nodiscard]] bool is_sigv2_subresource(std::string_view name) noexcept;

/// CanonicalizedResource of a raw request-target: "/" + virtual_bucket when the Host named the
/// bucket (virtual-hosted style; empty for path style), then the path exactly as sent (no
/// decoding; "/bucket" alone as "/bucket/", as SDKs sign it), then "?" and the sub-resources
/// sorted by name, "name" or "name=value" with the value percent-decoded, joined with '&'.
[[nodiscard]] std::string sigv2_canonical_resource(std::string_view raw_target,
                                                   std::string_view virtual_bucket);

/// CanonicalizedAmzHeaders: one "name:value\n" per x-amz-* header, names lowercased and sorted,
/// values trimmed, repeated headers joined with ','. For presigned requests the x-amz-*
/// query parameters (as SDKs move those headers into the URL) count too, and win over a header
/// of the same name.
[[nodiscard]] std::string sigv2_canonical_amz_headers(const request& req, bool presigned);

/// The StringToSign of req. date is the Date line: the Date header for header auth ("" when
/// x-amz-date is present), the Expires parameter for presigned URLs.
[[nodiscard]] std::string sigv2_string_to_sign(const request& req, std::string_view date,
                                               std::string_view virtual_bucket, bool presigned);

/// base64(HMAC-SHA1(secret, text)): the signature of a StringToSign, and of a SigV2 POST policy
/// (text is then the base64 policy as sent).
[[nodiscard]] std::string sigv2_signature(std::string_view secret, std::string_view text);

/// Verifies an "AWS AKID:signature" Authorization header (value, trimmed). Errors, as S3 sends
/// them: InvalidArgument ("AWS authorization header is invalid.  Expected
/// AwsAccessKeyId:signature", ArgumentName and ArgumentValue), AccessDenied (no valid Date or
/// x-amz-date), InvalidAccessKeyId (AWSAccessKeyId), SignatureDoesNotMatch (AWSAccessKeyId,
/// StringToSign, SignatureProvided, StringToSignBytes), then RequestTimeTooSkewed (RequestTime,
/// ServerTime, MaxAllowedSkewMilliseconds) when the date is more than 15 minutes from now.
[[nodiscard]] result<verified_identity, s3::error_detail> verify_sigv2_header(
    const request& req, std::string_view value, const credential_set& keys, std::chrono::sys_seconds now,
    std::string_view virtual_bucket);

/// Verifies a SigV2 presigned URL (AWSAccessKeyId, Expires as seconds since the epoch,
/// Signature). Errors: AccessDenied ("Query-string authentication requires the Signature,
/// Expires and AWSAccessKeyId parameters"; "Invalid date (should be seconds since epoch): X"),
/// InvalidAccessKeyId, SignatureDoesNotMatch, then AccessDenied "Request has expired" (Expires
/// and ServerTime as "2007-03-29T03:40:20Z") once now is past Expires. S3 sets no upper bound
/// on Expires for SigV2, and neither does this.
[[nodiscard]] result<verified_identity, s3::error_detail> verify_sigv2_query(const request& req,
                                                                             const credential_set& keys,
                                                                             std::chrono::sys_seconds now,
                                                                             std::string_view virtual_bucket);

/// Parses a SigV2 date: an HTTP date (RFC 9110's three forms) or, as AWS's own examples write
/// it, "Tue, 27 Mar 2007 19:36:42 +0000" with a numeric zone; nullopt when it is neither.
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_sigv2_date(std::string_view text);

// ---- Signing (tests, e2e clients) ---------------------------------------------------------------

/// Signs req in the Authorization header as boto3's signature_version="s3" does: sets Date to now
/// and adds "AWS AKID:signature".
void sign_request_v2(request& req, const credential& key, std::chrono::sys_seconds now,
                     std::string_view virtual_bucket = {});

/// Presigns req as boto3's generate_presigned_url does with SigV2: appends AWSAccessKeyId,
/// Signature (percent-encoded) and Expires to req.target.
void presign_request_v2(request& req, const credential& key, std::chrono::sys_seconds expires,
                        std::string_view virtual_bucket = {});

}  // namespace s3cors::auth
