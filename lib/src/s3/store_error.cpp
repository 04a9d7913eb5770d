#include "s3cors/s3/store_error.hpp"

#include "s3cors/errc.hpp"

namespace s3cors::s3 {

std::string resource_of(std::string_view bucket, std::string_view key) {
  std::string out = "/";
  out += bucket;
  if (!key.empty()) {
    out += '/';
    out += key;
  }
  return out;
}

error_detail store_error(const std::error_code& ec, std::string_view bucket, std::string_view key,
                         std::string_view upload_id) {
  error_detail detail;
  if (ec == errc::no_such_bucket) {
    detail = error_detail(error::no_such_bucket).with("BucketName", std::string(bucket));
  } else if (ec == errc::no_such_upload) {
    detail = error_detail(error::no_such_upload).with("UploadId", std::string(upload_id));
  } else if (ec == errc::no_such_key) {
    detail = error_detail(error::no_such_key).with("Key", std::string(key));
  } else if (ec == errc::invalid_bucket_name) {
    detail = error_detail(error::invalid_bucket_name).with("BucketName", std::string(bucket));
  } else if (ec == errc::invalid_key) {
    detail = error_detail(error::invalid_argument,
                          "Object key has a path segment that cannot name a file on this server "
                          "('.', '..', an empty segment other than a last one, a backslash, a NUL byte, or a "
                          "name this server reserves: '.s3cors-object', '.s3cors-folder', or one beginning "
                          "with '.s3cors-upload-' or '.s3cors-nest-').")
                 .with("ArgumentName", "key")
                 .with("ArgumentValue", std::string(key));
  } else if (ec == errc::bucket_exists) {
    detail = error_detail(error::bucket_already_owned_by_you).with("BucketName", std::string(bucket));
  } else if (ec == errc::bucket_not_empty) {
    detail = error_detail(error::bucket_not_empty).with("BucketName", std::string(bucket));
  } else if (ec == errc::precondition_failed) {
    detail = error_detail(error::precondition_failed);
  } else if (ec == errc::write_conflict) {
    detail = error_detail(error::conditional_request_conflict);
  } else if (ec == errc::outside_root || ec == errc::access_denied) {
    detail = error_detail(error::access_denied);
  } else {
    detail = error_detail(error::internal_error);
  }
  detail.resource = resource_of(bucket, key);
  return detail;
}

answer store_failure(const std::error_code& ec, std::string_view operation, std::string_view bucket,
                     std::string_view key, const request_context& ctx, std::string_view upload_id) {
  return {make_error_response(store_error(ec, bucket, key, upload_id), ctx, false),
          std::string(operation) + ": " + ec.message()};
}

}  // namespace s3cors::s3
