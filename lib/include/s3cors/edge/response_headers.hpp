#pragma once
// Applying a response headers policy (docs/edge.md §6): CORS headers for CORS requests, custom
// and security headers, removed headers — each added only when the origin's response lacks it
// unless the policy overrides the origin; and the preflight answers the policy gives at the edge.
#include "s3cors/edge/cache_key.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::edge {

/// OPTIONS with Origin and Access-Control-Request-Method.
[[nodiscard]] bool is_preflight(const request_view& request) noexcept;

/// True when `origin` is allowed by the list: "*", an exact origin, or a pattern with one '*'
/// ("https://*.example.com"). Case-sensitive, as browsers send origins in lower case.
[[nodiscard]] bool is_origin_allowed(const cors_config& cors, std::string_view origin) noexcept;

/// Applies the policy to the headers of a response the edge sends for `request` (a response
/// from the origin or from the cache). CORS headers are added only when the request has an Origin
/// the policy allows; preflight-only headers (Allow-Methods, Allow-Headers, Max-Age) only for
/// preflights.
void apply_response_headers_policy(const response_headers_policy& policy, const request_view& request,
                                   std::vector<header_field>& headers);

/// What apply_response_headers_policy did to the CORS headers of one answer, in one line (the
/// inspector's record, docs/inspector.md): "SimpleCORS: added Access-Control-Allow-Origin: *",
/// "...: kept the origin's Access-Control-Allow-Origin: X (OriginOverride false)", "...: Origin X
/// is not among its AccessControlAllowOrigins: no CORS headers added", "...: no CORS settings".
/// `before` and `after` are the answer's headers around the call.
[[nodiscard]] std::string describe_cors_outcome(const response_headers_policy& policy,
                                                const request_view& request,
                                                const std::vector<header_field>& before,
                                                const std::vector<header_field>& after);

/// A response the edge makes without the origin.
struct edge_answer {
  int status = 200;
  std::vector<header_field> headers;
};

/// The preflight answer the behaviour's policy gives at the edge, when the behaviour does not
/// allow OPTIONS (so the preflight cannot reach the origin) and its response headers policy has a
/// CORS configuration with allowed methods. nullopt otherwise: forward the request (or refuse it).
/// The answer is 200 with the policy's headers when the origin is allowed, else 403 without them.
[[nodiscard]] std::optional<edge_answer> answer_preflight_at_edge(const cache_behavior& behavior,
                                                                  const request_view& request);

}  // namespace s3cors::edge
