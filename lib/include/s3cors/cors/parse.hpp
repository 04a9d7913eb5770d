#pragma once
// Loading a CORS configuration from the three shapes users paste (docs/cors.md §2): S3's XML
// (PutBucketCors body / GetBucketCors answer), the AWS CLI object {"CORSRules": [...]} and the
// S3 console's bare array. Every parser validates exactly as PutBucketCors does (§3).
#include "s3cors/cors/configuration.hpp"
#include "s3cors/cors/validation.hpp"
#include "s3cors/result.hpp"

#include <string_view>

namespace s3cors::cors {

/// Parses a <CORSConfiguration> document. Children of <CORSRule> may come in any order.
/// On failure returns the error S3 would answer (MalformedXML for anything the schema
/// refuses: bad XML, unknown elements, two <ID>/<MaxAgeSeconds>, a non-integer
/// <MaxAgeSeconds>, no rules, > 100 rules, > 64 KB; then InvalidArgument/InvalidRequest).
/// `detail` names the element as an XPath, e.g. /CORSConfiguration/CORSRule[2]/AllowedMethod[1].
[[nodiscard]] result<cors_configuration, validation_error> parse_xml(std::string_view text);

/// Parses the console array `[{...}]` or the CLI object `{"CORSRules": [...]}`. Empty lists
/// mean "absent". On failure `detail` starts with the JSON pointer of the offending value
/// (e.g. /CORSRules/0/AllowedMethods/1) and hints at CloudFormation spellings (CorsRules,
/// ExposedHeaders, MaxAge, Id), singular keys (AllowedOrigin) and wrong nesting. The code is
/// what S3 would answer for the equivalent XML (MalformedXML for shape errors). The 64 KB
/// limit applies to the XML the CLI would send (to_xml of the result).
[[nodiscard]] result<cors_configuration, validation_error> parse_json(std::string_view text);

/// Picks the parser by the first non-blank character (a UTF-8 BOM is skipped): '<' → XML,
/// '[' or '{' → JSON; anything else is a MalformedXML error naming the accepted shapes.
[[nodiscard]] result<cors_configuration, validation_error> parse_any(std::string_view text);

}  // namespace s3cors::cors
