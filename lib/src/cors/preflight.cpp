#include "s3cors/cors/preflight.hpp"

#include <utility>

namespace s3cors::cors {
namespace {

preflight_outcome refuse(preflight_refusal why, unsigned status, std::string_view code, std::string message,
                         std::optional<std::string> method_element = std::nullopt,
                         std::optional<std::string> resource_type = std::nullopt) {
  preflight_outcome out;
  out.refusal = why;
  out.status = status;
  out.code = std::string(code);
  out.message = std::move(message);
  out.method_element = std::move(method_element);
  out.resource_type = std::move(resource_type);
  return out;
}

}  // namespace

preflight_outcome evaluate_preflight(const cors_configuration* config, bool bucket_exists, bool url_has_key,
                                     std::string_view origin, std::optional<std::string_view> acrm,
                                     std::optional<std::string_view> acrh, bool explain) {
  // Step 1 comes before anything else, even for a bucket that does not exist (docs/cors.md §12.1).
  if (origin.empty()) {
    return refuse(preflight_refusal::missing_origin, 400, "BadRequest", std::string(missing_origin_message));
  }
  // Steps 2 and 3 report the requested method, or OPTIONS itself without one (§12.2).
  const std::string requested = acrm ? std::string(*acrm) : std::string("OPTIONS");
  if (!bucket_exists) {
    return refuse(preflight_refusal::no_such_bucket, 403, "AccessForbidden",
                  std::string(bucket_not_found_message), requested, "BUCKET");
  }
  if (config == nullptr || config->rules.empty()) {
    // BUCKET even when the URL names an object [REC].
    return refuse(preflight_refusal::cors_not_enabled, 403, "AccessForbidden",
                  std::string(cors_not_enabled_message), requested, "BUCKET");
  }
  if (!acrm) {
    // S3's Java heritage: the absent header prints as "null".
    return refuse(preflight_refusal::missing_request_method, 400, "BadRequest",
                  std::string(invalid_request_method_prefix) + "null");
  }
  if (!is_supported_method(*acrm)) {
    return refuse(preflight_refusal::invalid_request_method, 400, "BadRequest",
                  std::string(invalid_request_method_prefix) + std::string(*acrm));
  }
  const cors_request request{origin, "OPTIONS", acrm, acrh};
  decision d = evaluate(*config, request, true, explain);
  if (!d.matched_rule) {
    preflight_outcome out =
        refuse(preflight_refusal::no_rule_matched, 403, "AccessForbidden", std::string(not_allowed_message),
               std::string(*acrm), url_has_key ? "OBJECT" : "BUCKET");
    out.cors = std::move(d);  // no headers, but the per-rule trace explains the refusal
    return out;
  }
  preflight_outcome out;
  out.cors = std::move(d);
  return out;
}

}  // namespace s3cors::cors
