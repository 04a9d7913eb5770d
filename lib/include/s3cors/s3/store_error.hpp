#pragma once
// The one mapping from a store failure (s3cors::errc) to the S3 error a client expects.
#include "s3cors/s3/error.hpp"

#include <string>
#include <string_view>
#include <system_error>

namespace s3cors::s3 {

/// "/bucket" or "/bucket/key", as S3's <Resource>.
[[nodiscard]] std::string resource_of(std::string_view bucket, std::string_view key);

/// NoSuchBucket, NoSuchKey, NoSuchUpload, InvalidBucketName, InvalidArgument (key),
/// BucketAlreadyOwnedByYou, BucketNotEmpty, AccessDenied (outside the root), else InternalError.
[[nodiscard]] error_detail store_error(const std::error_code& ec, std::string_view bucket,
                                       std::string_view key, std::string_view upload_id = {});

/// The error response for a failed store call, with "operation: cause" as its log diagnostic.
[[nodiscard]] answer store_failure(const std::error_code& ec, std::string_view operation,
                                   std::string_view bucket, std::string_view key, const request_context& ctx,
                                   std::string_view upload_id = {});

}  // namespace s3cors::s3
