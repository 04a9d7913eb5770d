#pragma once
// The OPTIONS decision procedure of docs/cors.md §8, without rendering: the caller turns a
// refusal into an S3 error document (Code, Message, Method?, ResourceType?, RequestId,
// HostId) and a success into an empty 200 carrying `cors.headers` (§9).
#include "s3cors/cors/configuration.hpp"
#include "s3cors/cors/evaluate.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace s3cors::cors {

enum class preflight_refusal {
  none,                    ///< step 6: 200
  missing_origin,          ///< step 1: 400 BadRequest
  no_such_bucket,          ///< step 2: 403 AccessForbidden, BUCKET
  cors_not_enabled,        ///< step 3: 403 AccessForbidden, BUCKET
  missing_request_method,  ///< step 4: 400 BadRequest
  invalid_request_method,  ///< step 4b: 400 BadRequest
  no_rule_matched,         ///< step 5: 403 AccessForbidden, OBJECT or BUCKET
};

struct preflight_outcome {
  preflight_refusal refusal = preflight_refusal::none;
  unsigned status = 200;
  std::string code;                           ///< S3 error Code; empty on success
  std::string message;                        ///< S3 error Message, exact; empty on success
  std::optional<std::string> method_element;  ///< <Method> of the error document, when listed
  std::optional<std::string> resource_type;   ///< <ResourceType>: "BUCKET" or "OBJECT", when listed
  decision cors;                              ///< headers on success (§9); on step 5 the trace of every rule
};

inline constexpr std::string_view missing_origin_message =
    "Insufficient information. Origin request header needed.";
inline constexpr std::string_view bucket_not_found_message = "CORSResponse: Bucket not found";
inline constexpr std::string_view cors_not_enabled_message =
    "CORSResponse: CORS is not enabled for this bucket.";
inline constexpr std::string_view invalid_request_method_prefix = "Invalid Access-Control-Request-Method: ";
/// AWS's spelling, "evalution" included (§8 step 5, §12.3).
inline constexpr std::string_view not_allowed_message =
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request "
    "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
    "resource's CORS spec.";

/// Decides an OPTIONS request. `config` null = the bucket has no CORS configuration (a
/// configuration without rules counts the same); `url_has_key` selects ResourceType OBJECT
/// on step 5. An empty `origin` counts as absent. An empty Access-Control-Request-Method
/// counts as present and invalid (step 4b with nothing after ": "). Without `explain`, the
/// decision's trace is left empty (see evaluate).
[[nodiscard]] preflight_outcome evaluate_preflight(const cors_configuration* config, bool bucket_exists,
                                                   bool url_has_key, std::string_view origin,
                                                   std::optional<std::string_view> acrm,
                                                   std::optional<std::string_view> acrh, bool explain = true);

}  // namespace s3cors::cors
