#include "s3cors/s3/error.hpp"

#include "s3cors/http/date.hpp"
#include "s3cors/xml/xml_writer.hpp"

namespace s3cors::s3 {

const error_info& info(error e) noexcept {
  // Status, Code and Message as Amazon S3 sends them (API reference, "Error responses").
  static const error_info table[] = {
      {400, "AccessControlListNotSupported", "The bucket does not allow ACLs"},
      {403, "AccessDenied", "Access Denied"},
      {403, "AccessForbidden", "CORSResponse: This CORS request is not allowed."},
      {400, "AuthorizationHeaderMalformed", "The authorization header is malformed."},
      {400, "AuthorizationQueryParametersError",
       "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"},
      {400, "BadDigest", "The Content-MD5 you specified did not match what we received."},
      {400, "BadRequest", "Bad Request"},
      {409, "BucketAlreadyOwnedByYou",
       "Your previous request to create the named bucket succeeded and you already own it."},
      {409, "BucketNotEmpty", "The bucket you tried to delete is not empty"},
      {409, "ConditionalRequestConflict",
       "A conflicting operation occurred. If using PutObject you can retry the request. If using "
       "CompleteMultipartUpload you should initiate another CreateMultipartUpload request and re-upload each "
       "part."},
      {400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"},
      {400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size."},
      {400, "IncompleteBody",
       "You did not provide the number of bytes specified by the Content-Length HTTP header"},
      {500, "InternalError", "We encountered an internal error. Please try again."},
      {403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."},
      {400, "InvalidArgument", "Invalid Argument"},
      {400, "InvalidBucketAclWithBlockPublicAccessError",
       "Bucket cannot have public ACLs set with BlockPublicAccess enabled"},
      {400, "InvalidBucketAclWithObjectOwnership",
       "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
      {400, "InvalidBucketName", "The specified bucket is not valid."},
      {400, "InvalidBucketOwnerAWSAccountID",
       "The value of the expected bucket owner parameter must be an AWS Account ID..."},
      {400, "InvalidDigest", "The Content-MD5 you specified is not valid."},
      {400, "InvalidPart",
       "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
       "specified entity tag may not match the part's entity tag."},
      {416, "InvalidPartNumber", "The requested partnumber is not satisfiable"},
      {400, "InvalidPartOrder",
       "The list of parts was not in ascending order. The parts list must be specified in order by part "
       "number."},
      {400, "InvalidPolicyDocument", "Invalid Policy"},
      {416, "InvalidRange", "The requested range is not satisfiable"},
      {400, "InvalidRequest", "Invalid Request"},
      {400, "InvalidTag", "The tag provided was not a valid tag."},
      {400, "InvalidURI", "Couldn't parse the specified URI."},
      {400, "MalformedACLError",
       "The XML you provided was not well-formed or did not validate against our published schema"},
      {400, "MalformedPolicy", "Invalid policy syntax."},
      {400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."},
      {400, "MalformedXML",
       "The XML you provided was not well-formed or did not validate against our published schema"},
      {400, "MaxMessageLengthExceeded", "Your request was too big."},
      {400, "MaxPostPreDataLengthExceeded",
       "Your POST request fields preceeding the upload file was too large."},
      {405, "MethodNotAllowed", "The specified method is not allowed against this resource."},
      {400, "MissingSecurityHeader", "Your request was missing a required header"},
      {404, "NoSuchBucket", "The specified bucket does not exist"},
      {404, "NoSuchBucketPolicy", "The bucket policy does not exist"},
      {404, "NoSuchCORSConfiguration", "The CORS configuration does not exist"},
      {404, "NoSuchKey", "The specified key does not exist."},
      {404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"},
      {404, "NoSuchTagSet", "There is no tag set associated with the bucket."},
      {404, "NoSuchUpload",
       "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
       "aborted or "
       "completed."},
      {501, "NotImplemented", "A header you provided implies functionality that is not implemented"},
      {404, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"},
      {412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"},
      {400, "RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size."},
      {403, "RequestTimeTooSkewed",
       "The difference between the request time and the current time is too large."},
      {400, "RequestTimeout",
       "Your socket connection to the server was not read from or written to within the timeout period. "
       "Idle connections will be closed."},
      {403, "SignatureDoesNotMatch",
       "The request signature we calculated does not match the signature you provided. Check your key and "
       "signing method."},
      {503, "SlowDown", "Please reduce your request rate."},
      {400, "UnexpectedContent", "This request does not support content"},
      {400, "UnresolvableGrantByEmailAddress",
       "The email address you provided does not match any account on record."},
      {400, "XAmzContentSHA256Mismatch",
       "The provided 'x-amz-content-sha256' header does not match what was computed."},
  };
  static_assert(std::size(table) == static_cast<std::size_t>(error::x_amz_content_sha256_mismatch) + 1);
  return table[static_cast<std::size_t>(e)];
}

std::string render_error(const error_detail& detail, const request_context& ctx) {
  const error_info& entry = info(detail.code);
  xml::xml_writer doc;
  doc.open("Error");
  doc.element("Code", entry.code);
  doc.element("Message", detail.message.empty() ? entry.message : std::string_view(detail.message));
  for (const auto& [name, value] : detail.fields) doc.element(name, value);
  if (!detail.resource.empty()) doc.element("Resource", detail.resource);
  doc.element("RequestId", ctx.request_id);
  doc.element("HostId", ctx.host_id);
  doc.close();
  return std::move(doc).str();
}

void add_common_headers(response& res, const request_context& ctx) {
  res.headers.reserve(16);
  res.headers.add("x-amz-request-id", ctx.request_id);
  res.headers.add("x-amz-id-2", ctx.host_id);
  res.headers.add("Date", format_http_date(ctx.now));
  res.headers.add("Server", "AmazonS3");
}

response xml_response(std::string body, const request_context& ctx) {
  response res;
  res.headers.add("Content-Type", "application/xml");
  add_common_headers(res, ctx);
  res.set_text_body(std::move(body));
  return res;
}

response make_error_response(const error_detail& detail, const request_context& ctx, bool is_head) {
  response res;
  res.status = info(detail.code).status;
  res.headers.reserve(16);
  res.headers.add("Content-Type", "application/xml");
  add_common_headers(res, ctx);
  if (!is_head) res.set_text_body(render_error(detail, ctx));
  return res;
}

}  // namespace s3cors::s3
