#pragma once
// GetObjectAttributes (GET /bucket/key?attributes): what x-amz-object-attributes names of ETag,
// Checksum, ObjectParts, StorageClass and ObjectSize, as S3's GetObjectAttributesOutput.
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/store/object_store.hpp"

#include <string>
#include <string_view>

namespace s3cors::s3 {

/// 200 with GetObjectAttributesOutput (Last-Modified header). InvalidArgument for a missing or
/// unknown x-amz-object-attributes or a bad x-amz-max-parts / x-amz-part-number-marker;
/// NoSuchKey, NoSuchBucket. ObjectParts is listed for multipart objects only, as S3 does.
[[nodiscard]] answer get_object_attributes(const store::object_store& store, const request& req,
                                           std::string_view bucket, std::string_view key,
                                           const request_context& ctx);

/// "ChecksumCRC32", ... : the XML element of a checksum header ("x-amz-checksum-crc32").
[[nodiscard]] std::string checksum_element(std::string_view header_name);

}  // namespace s3cors::s3
