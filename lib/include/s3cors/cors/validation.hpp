#pragma once
// PutBucketCors validation (docs/cors.md §1, §3) and the error it reports.
#include "s3cors/cors/configuration.hpp"
#include "s3cors/result.hpp"

#include <string>
#include <string_view>

namespace s3cors::cors {

/// Why a configuration was refused, as PutBucketCors would answer (status is always 400).
struct validation_error {
  std::string code;     ///< "MalformedXML", "InvalidRequest" or "InvalidArgument"
  std::string message;  ///< S3's exact <Message>
  /// Where and why, for humans: starts with the location of the offending item — an XPath
  /// such as /CORSConfiguration/CORSRule[1]/AllowedMethod[2] for XML, a JSON pointer such as
  /// /CORSRules/0/AllowedMethods/1 for JSON, rules[0].allowed_methods[1] for validate() —
  /// followed by ": " and an explanation with hints for common paste errors.
  std::string detail;

  friend bool operator==(const validation_error&, const validation_error&) = default;
};

inline constexpr std::string_view malformed_xml_message =
    "The XML you provided was not well-formed or did not validate against our published schema";
/// Borrowed from S3's lifecycle API, which words the same limit so; unpinned for CORS (§3).
inline constexpr std::string_view id_too_long_message = "ID length should not exceed allowed limit of 255";

/// Checks a configuration exactly as PutBucketCors does, in the order of §3: count and
/// structure (MalformedXML) for the whole document first, then per rule in document order:
/// ID length (InvalidArgument), methods, origins, allowed headers, expose headers
/// (InvalidRequest). Does not check the 64 KB document limit (the parsers do).
/// Returns the first violation.
[[nodiscard]] result<void, validation_error> validate(const cors_configuration& config);

}  // namespace s3cors::cors
