#pragma once
// The minimal change to a bucket's CORS configuration that makes S3 allow a request (docs/cors.md
// §7, §9): what the inspector offers for a refusal and `s3cors doctor` prints as the fix.
// Pure: built on evaluate()'s trace, the result rendered as the AWS CLI JSON.
#include "s3cors/cors/configuration.hpp"
#include "s3cors/cors/evaluate.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace s3cors::cors {

struct fix_suggestion {
  std::string
      summary;  ///< e.g. "add HEAD to rule 2's AllowedMethods" (rules numbered from 0, as explain() does)
  /// The whole changed CORS configuration, pretty JSON in the shape `aws s3api put-bucket-cors
  /// --cors-configuration` takes ({"CORSRules":[...]}).
  std::string configuration_json;
  std::optional<std::size_t> rule;  ///< the rule changed; nullopt when a rule is added

  friend bool operator==(const fix_suggestion&, const fix_suggestion&) = default;
};

/// The minimal change to `config` that makes S3 allow `request` (a preflight when `preflight`),
/// or nullopt if it is already allowed. `exposed` lists response headers the page must read
/// (Expose-Headers additions, compared ignoring case).
///
/// "Minimal": the rule that failed latest in evaluate()'s order (header_mismatch, then
/// method_mismatch; the first such rule in rule order) is widened: the judged method is added
/// to its AllowedMethods, every requested header it refuses to its AllowedHeaders (lowercase,
/// as the browser sends them) and the missing `exposed` headers to its ExposeHeaders. When no
/// rule matches the origin, a rule for exactly that origin is appended (never "*": a page that
/// sends credentials cannot use an Allow-Origin of "*"). When the request is allowed but its
/// rule does not expose every `exposed` header, the headers are added to that rule.
///
/// Also nullopt when no configuration can allow the request: no Origin (not a CORS request),
/// a method S3 cannot allow (not GET/PUT/HEAD/POST/DELETE, e.g. a preflight without
/// Access-Control-Request-Method), or a change PutBucketCors would refuse (validate()).
[[nodiscard]] std::optional<fix_suggestion> suggest_fix(const cors_configuration& config,
                                                        const cors_request& request, bool preflight,
                                                        std::span<const std::string_view> exposed = {});

/// The change for a page that sends credentials (cookies, withCredentials) while `request`
/// is allowed by a rule whose AllowedOrigins is "*": S3 then answers Allow-Origin "*" and no
/// Allow-Credentials (§9), which the browser refuses for a credentialed request. The fix
/// inserts, before that rule, a copy of it for exactly the request's origin. Nullopt when the
/// request is refused (use suggest_fix first) or its rule names origins without the bare "*".
[[nodiscard]] std::optional<fix_suggestion> suggest_credentials_fix(const cors_configuration& config,
                                                                    const cors_request& request,
                                                                    bool preflight);

/// The configuration a suggestion describes (parse_json of configuration_json); for tests
/// and callers that apply it. Nullopt only if the JSON does not parse (never for ours).
[[nodiscard]] std::optional<cors_configuration> suggested_configuration(const fix_suggestion& fix);

}  // namespace s3cors::cors
