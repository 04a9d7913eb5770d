#include "s3cors/cors/evaluate.hpp"

#include "cors/detail/text.hpp"
#include "s3cors/cors/pattern.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace s3cors::cors {
namespace {

using verdict = rule_trace::verdict;

/// The first condition of docs/cors.md §7 the rule fails, or nullopt when it matches.
/// Without `explain`, the trace's detail is left empty (nothing is formatted).
std::optional<rule_trace> check_rule(const cors_rule& rule, std::size_t index, const cors_request& request,
                                     std::string_view method, const std::vector<std::string>& headers,
                                     bool explain) {
  const bool origin_ok = std::any_of(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                                     [&](const std::string& p) { return origin_matches(p, request.origin); });
  if (!origin_ok) {
    if (!explain) return rule_trace{index, verdict::origin_mismatch, {}};
    return rule_trace{index, verdict::origin_mismatch,
                      fmt::format("origin {} matches none of AllowedOrigins [{}]",
                                  detail::quoted(request.origin), detail::join(rule.allowed_origins, ", "))};
  }
  if (std::find(rule.allowed_methods.begin(), rule.allowed_methods.end(), method) ==
      rule.allowed_methods.end()) {
    if (!explain) return rule_trace{index, verdict::method_mismatch, {}};
    return rule_trace{
        index, verdict::method_mismatch,
        fmt::format("{} {} not in AllowedMethods [{}]",
                    request.access_control_request_method ? "Access-Control-Request-Method" : "method",
                    detail::quoted(method), detail::join(rule.allowed_methods, ", "))};
  }
  for (const std::string& h : headers) {
    if (rule.allowed_headers.empty()) {
      if (!explain) return rule_trace{index, verdict::header_mismatch, {}};
      return rule_trace{index, verdict::header_mismatch,
                        fmt::format("header {} not allowed: the rule has no AllowedHeaders, so any "
                                    "Access-Control-Request-Headers is refused",
                                    h)};
    }
    const bool ok = std::any_of(rule.allowed_headers.begin(), rule.allowed_headers.end(),
                                [&](const std::string& p) { return header_matches(p, h); });
    if (!ok) {
      if (!explain) return rule_trace{index, verdict::header_mismatch, {}};
      return rule_trace{index, verdict::header_mismatch,
                        fmt::format("header {} not allowed by AllowedHeaders [{}]", h,
                                    detail::join(rule.allowed_headers, ", "))};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view judged_method(const cors_request& request) noexcept {
  return request.access_control_request_method ? *request.access_control_request_method : request.method;
}

std::vector<std::string> split_request_headers(std::string_view value) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    const auto first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
      out.push_back(detail::to_lower(item));
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

decision evaluate(const cors_configuration& config, const cors_request& request, bool preflight,
                  bool explain) {
  decision d;
  if (explain) d.trace.reserve(config.rules.size());
  if (request.origin.empty()) {
    // §6: only Origin makes a request cross-origin; an empty Origin counts as absent.
    if (!explain) return d;
    for (std::size_t i = 0; i < config.rules.size(); ++i) {
      d.trace.push_back({i, verdict::not_evaluated, "no Origin header: not a CORS request"});
    }
    return d;
  }
  const std::string_view method = judged_method(request);
  const std::vector<std::string> headers =
      request.access_control_request_headers ? split_request_headers(*request.access_control_request_headers)
                                             : std::vector<std::string>{};
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    if (d.matched_rule) {
      if (!explain) break;
      d.trace.push_back({i, verdict::not_evaluated, fmt::format("rule {} matched first", *d.matched_rule)});
      continue;
    }
    if (auto failure = check_rule(config.rules[i], i, request, method, headers, explain)) {
      if (explain) d.trace.push_back(std::move(*failure));
      continue;
    }
    d.matched_rule = i;
    if (explain) d.trace.push_back({i, verdict::matched, "origin, method and headers allowed"});
  }
  if (!d.matched_rule) return d;

  // §9/§10: every value comes from the one matched rule.
  const cors_rule& rule = config.rules[*d.matched_rule];
  const bool any_origin = has_any_origin(rule);
  d.headers.reserve(7);
  d.headers.emplace_back("Access-Control-Allow-Origin",
                         any_origin ? std::string("*") : std::string(request.origin));
  if (!any_origin) d.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  d.headers.emplace_back("Access-Control-Allow-Methods", detail::join(rule.allowed_methods, ", "));
  if (preflight && !headers.empty())
    d.headers.emplace_back("Access-Control-Allow-Headers", detail::join(headers, ", "));
  if (!rule.expose_headers.empty()) {
    d.headers.emplace_back("Access-Control-Expose-Headers", detail::join(rule.expose_headers, ", "));
  }
  if (rule.max_age_seconds)
    d.headers.emplace_back("Access-Control-Max-Age", std::to_string(*rule.max_age_seconds));
  d.headers.emplace_back("Vary", std::string(vary_value));
  return d;
}

std::string_view to_string(rule_trace::verdict v) noexcept {
  switch (v) {
    case verdict::matched:
      return "matched";
    case verdict::origin_mismatch:
      return "origin_mismatch";
    case verdict::method_mismatch:
      return "method_mismatch";
    case verdict::header_mismatch:
      return "header_mismatch";
    case verdict::not_evaluated:
      return "not_evaluated";
  }
  return "unknown";
}

}  // namespace s3cors::cors
