#pragma once
// AWS Signature Version 4 as Amazon S3 checks it: the Authorization header (single chunk, unsigned
// payload and the aws-chunked streaming variants) and presigned URLs (query-string auth). Pure
// functions: the caller passes the request and "now"; nothing here reads a clock.
//
// The same canonicalisation code signs (sign_request, presign_request) and verifies
// (verify_request), so a round trip through both proves nothing by itself; the unit tests pin
// both to AWS's published vectors.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/aws_chunked.hpp"
#include "s3cors/s3/error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::s3 {
struct routing_options;
}

namespace s3cors::auth {

inline constexpr std::string_view sigv4_algorithm = "AWS4-HMAC-SHA256";
/// The longest X-Amz-Expires S3 accepts: 7 days.
inline constexpr std::int64_t max_presigned_expires = 604800;
/// How far the request time may be from the server's clock (S3: 15 minutes).
inline constexpr std::chrono::seconds max_clock_skew{900};

/// What x-amz-content-sha256 (or, presigned, X-Amz-Content-Sha256) says about the body.
enum class payload_kind {
  signed_hex,                  ///< a hex SHA-256 of the body: the caller must check it
  unsigned_payload,            ///< UNSIGNED-PAYLOAD (always so for presigned URLs without the parameter)
  streaming_signed,            ///< STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk is signed
  streaming_signed_trailer,    ///< STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: chunks and trailer signed
  streaming_unsigned_trailer,  ///< STREAMING-UNSIGNED-PAYLOAD-TRAILER: no chunk signatures
};

/// Which signature authenticated a request: the policy key s3:signatureversion.
enum class signature_version {
  v2,  ///< "AWS": HMAC-SHA1 (sigv2.hpp)
  v4,  ///< "AWS4-HMAC-SHA256"
};
/// Where the signature was: the policy key s3:authType.
enum class auth_type {
  header,  ///< "REST-HEADER": the Authorization header
  query,   ///< "REST-QUERY-STRING": a presigned URL
  post,    ///< "POST": the fields of a POST Object form
};
/// "AWS" or "AWS4-HMAC-SHA256", as s3:signatureversion names them.
[[nodiscard]] std::string_view to_string(signature_version version) noexcept;
/// "REST-HEADER", "REST-QUERY-STRING" or "POST", as s3:authType names them.
[[nodiscard]] std::string_view to_string(auth_type type) noexcept;

/// What a successful verification yields.
struct verified_identity {
  std::string access_key_id;
  bool presigned = false;  ///< type == auth_type::query
  signature_version version = signature_version::v4;
  auth_type type = auth_type::header;
  payload_kind payload = payload_kind::unsigned_payload;
  hash::digest256 payload_sha256{};  ///< signed_hex only: the SHA-256 the body must have
  // What the chunk signatures of aws-chunked bodies chain from (see verify_chunk_signatures);
  // filled for streaming_signed and streaming_signed_trailer only:
  std::string seed_signature;  ///< lowercase hex signature of the request itself
  std::string signing_key;     ///< raw 32-byte kSigning of the credential scope
  std::string amz_date;        ///< "20130524T000000Z"
  std::string scope;           ///< "20130524/us-east-1/s3/aws4_request"
};

/// How verify_request treats what SigV4 alone does not settle.
struct verify_options {
  /// Accept Signature Version 2 (sigv2.hpp); false refuses it as S3's SigV4-only regions do
  /// (400 InvalidRequest "... Please use AWS4-HMAC-SHA256.").
  bool sigv2 = true;
  /// How a Host names a bucket (virtual-hosted style), which SigV2's canonical resource names.
  /// nullptr: path style only.
  const s3::routing_options* routing = nullptr;
};

/// Verifies the request's SigV4 (or, with options.sigv2, SigV2) signature against keys at time now.
///
/// Returns nullopt for an anonymous request (no Authorization header and no X-Amz-Algorithm /
/// X-Amz-Signature, AWSAccessKeyId or Signature query parameter), and also when keys is empty
/// (authentication disabled, as credential_set documents). Any region in the credential scope is
/// accepted: s3cors is a local development server with no region of its own. On failure returns
/// the error S3 sends: InvalidRequest (SigV2 refused by options, missing x-amz-content-sha256),
/// InvalidArgument (unsupported scheme, two mechanisms, invalid x-amz-content-sha256),
/// AuthorizationHeaderMalformed,
/// AuthorizationQueryParametersError, AccessDenied (no valid date, unsigned x-amz-* headers or
/// host, expired or not yet valid presigned URL), InvalidAccessKeyId, SignatureDoesNotMatch or
/// RequestTimeTooSkewed, each with S3's extra fields.
///
/// The body is not read: for payload_kind::signed_hex call check_payload_sha256, and for the
/// streaming kinds decode the body and call verify_chunk_signatures.
/// SigV2's own errors are verify_sigv2_header's and verify_sigv2_query's.
[[nodiscard]] result<std::optional<verified_identity>, s3::error_detail> verify_request(
    const request& req, const credential_set& keys, std::chrono::sys_seconds now,
    const verify_options& options = {});

/// XAmzContentSHA256Mismatch (with ClientComputedContentSHA256 and S3ComputedContentSHA256) when
/// the identity's payload is signed_hex and body hashes to something else; nullopt otherwise.
[[nodiscard]] std::optional<s3::error_detail> check_payload_sha256(const verified_identity& identity,
                                                                   std::string_view body);

/// Checks the chunk signatures of an aws-chunked body as its chunks arrive (streaming uploads):
/// feed each chunk's bytes with update(), then end_chunk() with the signature sent for it;
/// after the final 0-size chunk, finish() checks that it came and, for
/// streaming_signed_trailer, the trailer signature. Nothing is checked for other payload kinds.
/// Errors are SignatureDoesNotMatch as verify_chunk_signatures documents.
class chunk_signature_verifier {
 public:
  explicit chunk_signature_verifier(const verified_identity& identity);
  ~chunk_signature_verifier();
  chunk_signature_verifier(chunk_signature_verifier&&) noexcept;
  chunk_signature_verifier& operator=(chunk_signature_verifier&&) noexcept;

  void update(std::string_view chunk_bytes);
  [[nodiscard]] std::optional<s3::error_detail> end_chunk(std::string_view provided_signature);
  [[nodiscard]] std::optional<s3::error_detail> finish(const s3::aws_chunked_trailers& trailers);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// Checks every chunk signature of a decoded aws-chunked body (the chain starts at the seed
/// signature and includes the final 0-size chunk) and, for streaming_signed_trailer, the
/// x-amz-trailer-signature. Nothing to check for the other payload kinds. Returns
/// SignatureDoesNotMatch (AWSAccessKeyId, StringToSign, SignatureProvided, StringToSignBytes) for the
/// first signature that is wrong or missing; nullopt when all hold.
[[nodiscard]] std::optional<s3::error_detail> verify_chunk_signatures(const verified_identity& identity,
                                                                      const s3::decoded_body& body);

// ---- Canonicalisation, exposed for the signer, tests and diagnostics -------------------------

/// AWS's UriEncode: A-Z a-z 0-9 - . _ ~ kept, '/' kept when keep_slash, every other byte %XX
/// in uppercase hex.
[[nodiscard]] std::string uri_encode(std::string_view bytes, bool keep_slash);

/// The canonical URI of a raw request path: percent-decoded once, then uri_encode'd with '/'
/// kept. S3 neither normalises "." / ".." segments nor collapses "//". A '%' that does not start
/// a valid escape stays a literal '%'.
[[nodiscard]] std::string canonical_uri(std::string_view raw_path);

/// The canonical query string of a raw query (without '?'): each name and value decoded ('+' is
/// a space) and uri_encode'd, pairs sorted by name then value, "name=" for empty values. For
/// presigned requests X-Amz-Signature (any letter case) is left out.
[[nodiscard]] std::string canonical_query_string(std::string_view raw_query, bool presigned);

/// The canonical request: method, canonical URI, canonical query, one "name:value" line per
/// signed header (lowercase names in the given order, values trimmed with inner runs of spaces
/// and tabs collapsed, repeated fields joined with ','), the signed header list, the payload hash.
[[nodiscard]] std::string canonical_request(const request& req,
                                            const std::vector<std::string>& signed_headers,
                                            std::string_view payload_hash, bool presigned);

/// "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(sha256(canonical_request)).
[[nodiscard]] std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                                         std::string_view canonical_request);

/// "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + previous + "\n" + hex(sha256(""))
/// + "\n" + hex(sha256(chunk_data)): what each aws-chunked chunk signature signs.
/// As chunk_string_to_sign, for a chunk whose SHA-256 (lowercase hex) is already known.
[[nodiscard]] std::string chunk_string_to_sign_for_hash(std::string_view amz_date, std::string_view scope,
                                                        std::string_view previous_signature,
                                                        std::string_view chunk_sha256_hex);
[[nodiscard]] std::string chunk_string_to_sign(std::string_view amz_date, std::string_view scope,
                                               std::string_view previous_signature,
                                               std::string_view chunk_data);

/// "AWS4-HMAC-SHA256-TRAILER\n" + date + "\n" + scope + "\n" + previous + "\n" +
/// hex(sha256(canonical_trailers)), where canonical_trailers is "name:value\n" per trailing header.
[[nodiscard]] std::string trailer_string_to_sign(std::string_view amz_date, std::string_view scope,
                                                 std::string_view previous_signature,
                                                 std::string_view canonical_trailers);

/// Lowercase hex HMAC-SHA256 of string_to_sign under the raw signing key.
[[nodiscard]] std::string hex_signature(std::string_view signing_key, std::string_view string_to_sign);

/// The SigV4 timestamp form, e.g. "20130524T000000Z".
[[nodiscard]] std::string format_amz_date(std::chrono::sys_seconds t);
/// Parses the SigV4 timestamp form exactly; nullopt when malformed.
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_amz_date(std::string_view text);

// ---- Signing (tests, e2e clients) ---------------------------------------------------------------

struct signing_options {
  std::string region = "us-east-1";
  /// The x-amz-content-sha256 value; empty means hex(sha256(req.body)).
  std::string payload_hash;
};

/// Signs req in the Authorization header as an SDK does: sets x-amz-date and
/// x-amz-content-sha256, signs every header present (sorted, lowercase) and adds Authorization.
/// The request must carry a Host header.
void sign_request(request& req, const credential& key, std::chrono::sys_seconds now,
                  const signing_options& options = {});

/// Presigns req as an SDK does: appends X-Amz-Algorithm, -Credential, -Date, -Expires,
/// -SignedHeaders (every header present, which must include Host) and X-Amz-Signature to
/// req.target. The payload is UNSIGNED-PAYLOAD.
void presign_request(request& req, const credential& key, std::chrono::sys_seconds now,
                     std::chrono::seconds expires, std::string_view region = "us-east-1");

}  // namespace s3cors::auth
