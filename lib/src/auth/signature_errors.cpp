#include "auth/signature_errors.hpp"

#include "s3cors/hash/digest.hpp"

#include <string>

namespace s3cors::auth {

s3::error_detail unknown_key(std::string_view access_key_id) {
  return s3::error_detail(s3::error::invalid_access_key_id)
      .with("AWSAccessKeyId", std::string(access_key_id));
}

s3::error_detail signature_mismatch(std::string_view access_key_id, std::string_view string_to_sign,
                                    std::string_view provided) {
  return s3::error_detail(s3::error::signature_does_not_match)
      .with("AWSAccessKeyId", std::string(access_key_id))
      .with("StringToSign", std::string(string_to_sign))
      .with("SignatureProvided", std::string(provided))
      .with("StringToSignBytes", hash::to_spaced_hex(string_to_sign));
}

}  // namespace s3cors::auth
