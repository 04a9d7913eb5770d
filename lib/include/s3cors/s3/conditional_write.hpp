#pragma once
// Conditional writes: If-None-Match: * and If-Match on PutObject, CopyObject and
// CompleteMultipartUpload. The request's headers become a store::write_condition, checked once
// when the request is accepted (a failing condition is refused before any body is read) and
// again by the store, atomically with publishing.
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/store/object_store.hpp"

#include <optional>
#include <string_view>
#include <system_error>

namespace s3cors::s3 {

/// The condition of If-None-Match and If-Match (inactive when neither is sent), or
/// NotImplemented for an If-None-Match other than "*" (S3 supports only that on writes).
[[nodiscard]] result<store::write_condition, error_detail> parse_write_condition(const header_list& headers);

/// Evaluates an active condition against bucket/key as it is now and records what it saw in
/// condition (seen, seen_etag), so that the store can tell a conflicting write from a plain
/// failure later. The refusal (412 PreconditionFailed, 404 NoSuchKey for If-Match without an
/// object, NoSuchBucket, ...), or nullopt to proceed.
[[nodiscard]] std::optional<error_detail> observe_write_condition(const store::object_store& store,
                                                                  std::string_view bucket,
                                                                  std::string_view key,
                                                                  store::write_condition& condition);

/// S3's error for a store failure of a conditional write: PreconditionFailed (412) and
/// ConditionalRequestConflict (409) name the header in <Condition>; others as store_error.
[[nodiscard]] error_detail write_condition_error(const std::error_code& ec,
                                                 const store::write_condition& condition,
                                                 std::string_view bucket, std::string_view key,
                                                 std::string_view upload_id = {});

}  // namespace s3cors::s3
