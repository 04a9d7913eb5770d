#pragma once
// Private helpers shared by SigV2, SigV4 and the POST policy checks: the errors S3 answers for
// an unknown key and a wrong signature, with the extra fields S3 sends, in its order.
#include "s3cors/s3/error.hpp"

#include <string_view>

namespace s3cors::auth {

/// InvalidAccessKeyId with AWSAccessKeyId.
[[nodiscard]] s3::error_detail unknown_key(std::string_view access_key_id);

/// SignatureDoesNotMatch with AWSAccessKeyId, StringToSign, SignatureProvided and
/// StringToSignBytes (the string to sign as spaced lowercase hex). For a POST form the string to
/// sign is the policy as sent. SigV4 adds CanonicalRequest and CanonicalRequestBytes after these.
[[nodiscard]] s3::error_detail signature_mismatch(std::string_view access_key_id,
                                                  std::string_view string_to_sign, std::string_view provided);

}  // namespace s3cors::auth
