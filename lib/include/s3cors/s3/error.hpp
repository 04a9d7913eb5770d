#pragma once
// S3 protocol errors as data: one table maps each to its status, Code and default Message,
// and one function renders S3's <Error> document.
#include "s3cors/http/response.hpp"
#include "s3cors/s3/context.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::s3 {

enum class error {
  access_control_list_not_supported,
  access_denied,
  access_forbidden,  // CORS preflight refusals
  authorization_header_malformed,
  authorization_query_parameters_error,
  bad_digest,
  bad_request,  // CORS preflight refusals
  bucket_already_owned_by_you,
  bucket_not_empty,
  conditional_request_conflict,
  entity_too_large,
  entity_too_small,
  incomplete_body,
  internal_error,
  invalid_access_key_id,
  invalid_argument,
  invalid_bucket_acl_with_block_public_access,
  invalid_bucket_acl_with_object_ownership,
  invalid_bucket_name,
  invalid_bucket_owner_aws_account_id,
  invalid_digest,
  invalid_part,
  invalid_part_number,
  invalid_part_order,
  invalid_policy_document,
  invalid_range,
  invalid_request,
  invalid_tag,
  invalid_uri,
  malformed_acl_error,
  malformed_policy,  // PutBucketPolicy refusals
  malformed_post_request,
  malformed_xml,
  max_message_length_exceeded,
  max_post_pre_data_length_exceeded,
  method_not_allowed,
  missing_security_header,
  no_such_bucket,
  no_such_bucket_policy,
  no_such_cors_configuration,
  no_such_key,
  no_such_public_access_block_configuration,
  no_such_tag_set,
  no_such_upload,
  not_implemented,
  ownership_controls_not_found_error,
  precondition_failed,
  request_header_section_too_large,
  request_time_too_skewed,
  request_timeout,
  signature_does_not_match,
  slow_down,
  unexpected_content,
  unresolvable_grant_by_email_address,
  x_amz_content_sha256_mismatch,  // last: the tables' size checks name it
};

struct error_info {
  unsigned status;
  std::string_view code;
  std::string_view message;
};

[[nodiscard]] const error_info& info(error e) noexcept;

/// An error with its context: the default message may be replaced, and S3's extra
/// elements (Key, BucketName, Condition, ...) follow Message in the given order.
struct error_detail {
  error code = error::internal_error;
  std::string message;  ///< empty: the table's message
  std::vector<std::pair<std::string, std::string>> fields;
  std::string resource;  ///< <Resource>, omitted when empty

  error_detail() = default;
  explicit error_detail(error e, std::string msg = {}) : code(e), message(std::move(msg)) {}
  error_detail& with(std::string name, std::string value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

/// The <Error> XML document.
[[nodiscard]] std::string render_error(const error_detail& detail, const request_context& ctx);

/// A complete error response: status, application/xml body (none for HEAD), common headers.
[[nodiscard]] response make_error_response(const error_detail& detail, const request_context& ctx,
                                           bool is_head);

/// Adds x-amz-request-id, x-amz-id-2, Date and Server, as S3 sends on every response.
void add_common_headers(response& res, const request_context& ctx);

/// A 200 response with an XML document: Content-Type application/xml, then the common headers
/// (in the order of make_error_response), then body.
[[nodiscard]] response xml_response(std::string body, const request_context& ctx);

}  // namespace s3cors::s3
