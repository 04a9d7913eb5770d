#pragma once
// Content-MD5 of a document request, shared by the handlers that take XML bodies.
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/s3/error.hpp"

#include <optional>
#include <string_view>

namespace s3cors::s3::detail {

/// Content-MD5, when sent, must be the base64 MD5 of the body: InvalidDigest when it is not
/// 16 bytes of base64, BadDigest when it differs.
[[nodiscard]] inline std::optional<error_detail> check_content_md5(const header_list& headers,
                                                                   std::string_view body) {
  const auto content_md5 = headers.find("Content-MD5");
  if (!content_md5) return std::nullopt;
  const auto digest = hash::base64_decode(*content_md5);
  if (!digest || digest->size() != 16) return error_detail(error::invalid_digest);
  if (*digest != hash::md5(body)) return error_detail(error::bad_digest);
  return std::nullopt;
}

}  // namespace s3cors::s3::detail
