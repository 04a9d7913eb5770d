#pragma once
// Writing a configuration back out (docs/cors.md §4): values verbatim, rules in stored order,
// only the elements that were set.
#include "s3cors/cors/configuration.hpp"

#include <string>
#include <string_view>

namespace s3cors::cors {

/// GetBucketCors on a bucket without configuration: 404 NoSuchCORSConfiguration with this
/// Message and a <BucketName> element (§4; the wire wording, not the error table's).
inline constexpr std::string_view no_cors_configuration_message = "The CORS configuration does not exist";

/// The GetBucketCors body: `<?xml version="1.0" encoding="UTF-8"?>` and a newline, then a
/// compact <CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">. Inside each
/// <CORSRule> the elements follow the SDK shape order: ID, AllowedHeader, AllowedMethod,
/// AllowedOrigin, ExposeHeader, MaxAgeSeconds.
[[nodiscard]] std::string to_xml(const cors_configuration& config);

/// The AWS CLI form `{"CORSRules":[...]}`, compact, keys in the same order as to_xml; empty
/// lists and unset values are omitted. Invalid UTF-8 is replaced by U+FFFD.
[[nodiscard]] std::string to_json(const cors_configuration& config);

}  // namespace s3cors::cors
