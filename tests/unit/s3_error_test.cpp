#include "s3cors/s3/error.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using s3cors::s3::error;
using s3cors::s3::error_detail;
using s3cors::s3::request_context;

// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example date).
const request_context ctx{std::chrono::sys_days{std::chrono::year{1994} / 11 / 6} + std::chrono::hours{8} +
                              std::chrono::minutes{49} + std::chrono::seconds{37},
                          "REQID", "HOSTID"};

// A header's value, or "<absent>", so that failures print readably.
std::string header(const s3cors::response& res, std::string_view name) {
  return std::string(res.headers.find(name).value_or("<absent>"));
}

constexpr std::string_view declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

struct table_row {
  error e;
  unsigned status;
  std::string_view code;
  std::string_view message;
};

// Every enumerator, in declaration order; the last one must be error::x_amz_content_sha256_mismatch.
const table_row rows[] = {
    {error::access_control_list_not_supported, 400, "AccessControlListNotSupported",
     "The bucket does not allow ACLs"},
    {error::access_denied, 403, "AccessDenied", "Access Denied"},
    {error::access_forbidden, 403, "AccessForbidden", "CORSResponse: This CORS request is not allowed."},
    {error::authorization_header_malformed, 400, "AuthorizationHeaderMalformed",
     "The authorization header is malformed."},
    {error::authorization_query_parameters_error, 400, "AuthorizationQueryParametersError",
     "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"},
    {error::bad_digest, 400, "BadDigest", "The Content-MD5 you specified did not match what we received."},
    {error::bad_request, 400, "BadRequest", "Bad Request"},
    {error::bucket_already_owned_by_you, 409, "BucketAlreadyOwnedByYou",
     "Your previous request to create the named bucket succeeded and you already own it."},
    {error::bucket_not_empty, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty"},
    {error::conditional_request_conflict, 409, "ConditionalRequestConflict",
     "A conflicting operation occurred. If using PutObject you can retry the request. If using "
     "CompleteMultipartUpload you should initiate another CreateMultipartUpload request and re-upload each "
     "part."},
    {error::entity_too_large, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"},
    {error::entity_too_small, 400, "EntityTooSmall",
     "Your proposed upload is smaller than the minimum allowed object size."},
    {error::incomplete_body, 400, "IncompleteBody",
     "You did not provide the number of bytes specified by the Content-Length HTTP header"},
    {error::internal_error, 500, "InternalError", "We encountered an internal error. Please try again."},
    {error::invalid_access_key_id, 403, "InvalidAccessKeyId",
     "The AWS Access Key Id you provided does not exist in our records."},
    {error::invalid_argument, 400, "InvalidArgument", "Invalid Argument"},
    {error::invalid_bucket_acl_with_block_public_access, 400, "InvalidBucketAclWithBlockPublicAccessError",
     "Bucket cannot have public ACLs set with BlockPublicAccess enabled"},
    {error::invalid_bucket_acl_with_object_ownership, 400, "InvalidBucketAclWithObjectOwnership",
     "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
    {error::invalid_bucket_name, 400, "InvalidBucketName", "The specified bucket is not valid."},
    {error::invalid_bucket_owner_aws_account_id, 400, "InvalidBucketOwnerAWSAccountID",
     "The value of the expected bucket owner parameter must be an AWS Account ID..."},
    {error::invalid_digest, 400, "InvalidDigest", "The Content-MD5 you specified is not valid."},
    {error::invalid_part, 400, "InvalidPart",
     "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
     "specified entity tag may not match the part's entity tag."},
    {error::invalid_part_number, 416, "InvalidPartNumber", "The requested partnumber is not satisfiable"},
    {error::invalid_part_order, 400, "InvalidPartOrder",
     "The list of parts was not in ascending order. The parts list must be specified in order by part "
     "number."},
    {error::invalid_policy_document, 400, "InvalidPolicyDocument", "Invalid Policy"},
    {error::invalid_range, 416, "InvalidRange", "The requested range is not satisfiable"},
    {error::invalid_request, 400, "InvalidRequest", "Invalid Request"},
    {error::invalid_tag, 400, "InvalidTag", "The tag provided was not a valid tag."},
    {error::invalid_uri, 400, "InvalidURI", "Couldn't parse the specified URI."},
    {error::malformed_acl_error, 400, "MalformedACLError",
     "The XML you provided was not well-formed or did not validate against our published schema"},
    {error::malformed_policy, 400, "MalformedPolicy", "Invalid policy syntax."},
    {error::malformed_post_request, 400, "MalformedPOSTRequest",
     "The body of your POST request is not well-formed multipart/form-data."},
    {error::malformed_xml, 400, "MalformedXML",
     "The XML you provided was not well-formed or did not validate against our published schema"},
    {error::max_message_length_exceeded, 400, "MaxMessageLengthExceeded", "Your request was too big."},
    {error::max_post_pre_data_length_exceeded, 400, "MaxPostPreDataLengthExceeded",
     "Your POST request fields preceeding the upload file was too large."},
    {error::method_not_allowed, 405, "MethodNotAllowed",
     "The specified method is not allowed against this resource."},
    {error::missing_security_header, 400, "MissingSecurityHeader",
     "Your request was missing a required header"},
    {error::no_such_bucket, 404, "NoSuchBucket", "The specified bucket does not exist"},
    {error::no_such_bucket_policy, 404, "NoSuchBucketPolicy", "The bucket policy does not exist"},
    {error::no_such_cors_configuration, 404, "NoSuchCORSConfiguration",
     "The CORS configuration does not exist"},
    {error::no_such_key, 404, "NoSuchKey", "The specified key does not exist."},
    {error::no_such_public_access_block_configuration, 404, "NoSuchPublicAccessBlockConfiguration",
     "The public access block configuration was not found"},
    {error::no_such_tag_set, 404, "NoSuchTagSet", "There is no tag set associated with the bucket."},
    {error::no_such_upload, 404, "NoSuchUpload",
     "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
     "or "
     "completed."},
    {error::not_implemented, 501, "NotImplemented",
     "A header you provided implies functionality that is not implemented"},
    {error::ownership_controls_not_found_error, 404, "OwnershipControlsNotFoundError",
     "The bucket ownership controls were not found"},
    {error::precondition_failed, 412, "PreconditionFailed",
     "At least one of the pre-conditions you specified did not hold"},
    {error::request_header_section_too_large, 400, "RequestHeaderSectionTooLarge",
     "Your request header section exceeds the maximum allowed size."},
    {error::request_time_too_skewed, 403, "RequestTimeTooSkewed",
     "The difference between the request time and the current time is too large."},
    {error::request_timeout, 400, "RequestTimeout",
     "Your socket connection to the server was not read from or written to within the timeout period. Idle "
     "connections will be closed."},
    {error::signature_does_not_match, 403, "SignatureDoesNotMatch",
     "The request signature we calculated does not match the signature you provided. Check your key and "
     "signing method."},
    {error::slow_down, 503, "SlowDown", "Please reduce your request rate."},
    {error::unexpected_content, 400, "UnexpectedContent", "This request does not support content"},
    {error::unresolvable_grant_by_email_address, 400, "UnresolvableGrantByEmailAddress",
     "The email address you provided does not match any account on record."},
    {error::x_amz_content_sha256_mismatch, 400, "XAmzContentSHA256Mismatch",
     "The provided 'x-amz-content-sha256' header does not match what was computed."},
};

}  // namespace

TEST_CASE("s3_error: every error has S3's status, Code and Message", "[s3_error]") {
  const table_row r = GENERATE(from_range(std::begin(rows), std::end(rows)));
  CAPTURE(r.code);
  const auto& entry = s3cors::s3::info(r.e);
  CHECK(entry.status == r.status);
  CHECK(entry.code == r.code);
  CHECK(entry.message == r.message);
}

TEST_CASE("s3_error: the table above covers every enumerator once", "[s3_error]") {
  REQUIRE(std::size(rows) == static_cast<std::size_t>(error::x_amz_content_sha256_mismatch) + 1);
  std::set<std::string_view> codes;
  for (std::size_t i = 0; i < std::size(rows); ++i) {
    CAPTURE(i);
    CHECK(static_cast<std::size_t>(rows[i].e) == i);
    CHECK(codes.insert(rows[i].code).second);  // Codes are distinct
  }
}

TEST_CASE("s3_error: error_detail defaults to InternalError with the table's message", "[s3_error]") {
  const error_detail detail;
  CHECK(detail.code == error::internal_error);
  CHECK(detail.message.empty());
  CHECK(detail.fields.empty());
  CHECK(detail.resource.empty());
}

TEST_CASE("s3_error: render_error writes Code, Message, RequestId and HostId", "[s3_error]") {
  CHECK(s3cors::s3::render_error(error_detail(error::access_denied), ctx) ==
        std::string(declaration) +
            "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
            "<RequestId>REQID</RequestId><HostId>HOSTID</HostId></Error>");
}

TEST_CASE("s3_error: render_error puts extra fields after Message in order, then Resource", "[s3_error]") {
  error_detail detail(error::no_such_key);
  detail.with("Key", "dir/a&b <1>.ts").with("BucketName", "media");
  detail.resource = "/media/dir/a&b <1>.ts";
  CHECK(s3cors::s3::render_error(detail, ctx) ==
        std::string(declaration) +
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
            "<Key>dir/a&amp;b &lt;1&gt;.ts</Key><BucketName>media</BucketName>"
            "<Resource>/media/dir/a&amp;b &lt;1&gt;.ts</Resource>"
            "<RequestId>REQID</RequestId><HostId>HOSTID</HostId></Error>");
}

TEST_CASE("s3_error: render_error uses a given message instead of the table's", "[s3_error]") {
  error_detail detail(error::access_forbidden, "CORSResponse: Bucket not found");
  detail.with("Method", "OPTIONS").with("ResourceType", "BUCKET");
  CHECK(s3cors::s3::render_error(detail, ctx) ==
        std::string(declaration) +
            "<Error><Code>AccessForbidden</Code><Message>CORSResponse: Bucket not found</Message>"
            "<Method>OPTIONS</Method><ResourceType>BUCKET</ResourceType>"
            "<RequestId>REQID</RequestId><HostId>HOSTID</HostId></Error>");
}

TEST_CASE("s3_error: render_error escapes the request and host ids", "[s3_error]") {
  const request_context odd{ctx.now, "a<b", "c&d"};
  CHECK(s3cors::s3::render_error(error_detail(error::slow_down), odd) ==
        std::string(declaration) +
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
            "<RequestId>a&lt;b</RequestId><HostId>c&amp;d</HostId></Error>");
}

TEST_CASE("s3_error: add_common_headers adds request id, host id, Date and Server", "[s3_error]") {
  s3cors::response res;
  s3cors::s3::add_common_headers(res, ctx);
  CHECK(res.headers.fields() == std::vector<std::pair<std::string, std::string>>{
                                    {"x-amz-request-id", "REQID"},
                                    {"x-amz-id-2", "HOSTID"},
                                    {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                    {"Server", "AmazonS3"},
                                });
}

TEST_CASE("s3_error: make_error_response has the table's status, an XML body and common headers",
          "[s3_error]") {
  const table_row r = GENERATE(from_range(std::begin(rows), std::end(rows)));
  CAPTURE(r.code);
  error_detail detail(r.e);
  detail.with("Key", "k");
  const s3cors::response res = s3cors::s3::make_error_response(detail, ctx, false);
  CHECK(res.status == r.status);
  CHECK(header(res, "Content-Type") == "application/xml");
  CHECK(header(res, "x-amz-request-id") == "REQID");
  CHECK(header(res, "x-amz-id-2") == "HOSTID");
  CHECK(header(res, "Date") == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(header(res, "Server") == "AmazonS3");
  REQUIRE(std::holds_alternative<std::string>(res.body));
  const auto& body = std::get<std::string>(res.body);
  CHECK(body == s3cors::s3::render_error(detail, ctx));
  CHECK(res.content_length == body.size());
  CHECK_FALSE(res.close);
}

TEST_CASE("s3_error: make_error_response for HEAD has no body but keeps the headers", "[s3_error]") {
  error_detail detail(error::no_such_key);
  detail.resource = "/media/a.ts";
  const s3cors::response res = s3cors::s3::make_error_response(detail, ctx, true);
  CHECK(res.status == 404);
  CHECK(std::holds_alternative<std::monostate>(res.body));
  CHECK(header(res, "Content-Type") == "application/xml");
  CHECK(header(res, "x-amz-request-id") == "REQID");
  CHECK(header(res, "x-amz-id-2") == "HOSTID");
  CHECK(header(res, "Date") == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(header(res, "Server") == "AmazonS3");
}

TEST_CASE("s3_error: xml_response is a 200 with the document and the headers of an error response",
          "[s3_error]") {
  const std::string doc = std::string(declaration) + "<LocationConstraint/>";
  const s3cors::response res = s3cors::s3::xml_response(doc, ctx);
  CHECK(res.status == 200);
  REQUIRE(std::holds_alternative<std::string>(res.body));
  CHECK(std::get<std::string>(res.body) == doc);
  CHECK(res.content_length == doc.size());
  CHECK_FALSE(res.close);
  // Content-Type first, then the common headers: what make_error_response sends.
  CHECK(res.headers.fields() == std::vector<std::pair<std::string, std::string>>{
                                    {"Content-Type", "application/xml"},
                                    {"x-amz-request-id", "REQID"},
                                    {"x-amz-id-2", "HOSTID"},
                                    {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                    {"Server", "AmazonS3"},
                                });
  CHECK(res.headers.fields() ==
        s3cors::s3::make_error_response(error_detail(error::access_denied), ctx, false).headers.fields());
}
