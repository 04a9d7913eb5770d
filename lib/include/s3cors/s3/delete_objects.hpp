#pragma once
// DeleteObjects (POST /bucket?delete): the request document and the DeleteResult answer.
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace s3cors::s3 {

struct delete_request {
  bool quiet = false;
  std::vector<std::string> keys;
};

/// Parses <Delete><Quiet/><Object><Key/></Object>...</Delete>; MalformedXML when the document
/// is not one, has no Object, or more than 1000.
[[nodiscard]] result<delete_request, error_detail> parse_delete_request(std::string_view body);

struct delete_failure {
  std::string key;
  std::string code;
  std::string message;
};

/// The DeleteResult document; quiet mode lists only the failures.
[[nodiscard]] std::string render_delete_result(const delete_request& request,
                                               const std::vector<delete_failure>& failures);

}  // namespace s3cors::s3
