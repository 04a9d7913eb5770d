#include "s3cors/edge/response_headers.hpp"

#include "s3cors/http/request.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace s3cors::edge {

namespace {

bool has_header(const std::vector<header_field>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const header_field& f) { return iequals(f.first, name); });
}

void remove_header(std::vector<header_field>& headers, std::string_view name) {
  std::erase_if(headers, [&](const header_field& f) { return iequals(f.first, name); });
}

// Override: the policy's value replaces the origin's. Otherwise the origin's value wins.
void put(std::vector<header_field>& headers, std::string_view name, std::string value, bool override_origin) {
  if (has_header(headers, name)) {
    if (!override_origin) return;
    remove_header(headers, name);
  }
  headers.emplace_back(std::string(name), std::move(value));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void add_vary_origin(std::vector<header_field>& headers) {
  for (auto& [name, value] : headers) {
    if (!iequals(name, "vary")) continue;
    if (value.find("Origin") == std::string::npos && value.find("origin") == std::string::npos)
      value += ", Origin";
    return;
  }
  headers.emplace_back("Vary", "Origin");
}

// The CORS headers for an allowed origin, in the order CloudFront's documentation lists them.
void add_cors(const cors_config& cors, std::string_view origin, bool preflight,
              std::vector<header_field>& headers) {
  const bool any = contains(cors.allow_origins, "*");
  put(headers, "Access-Control-Allow-Origin", any ? std::string("*") : std::string(origin),
      cors.origin_override);
  if (!any) add_vary_origin(headers);
  if (cors.allow_credentials) put(headers, "Access-Control-Allow-Credentials", "true", cors.origin_override);
  if (preflight) {
    if (!cors.allow_methods.empty()) {
      const std::string methods = contains(cors.allow_methods, "ALL")
                                      ? std::string("GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD")
                                      : join(cors.allow_methods);
      put(headers, "Access-Control-Allow-Methods", methods, cors.origin_override);
    }
    if (!cors.allow_headers.empty())
      put(headers, "Access-Control-Allow-Headers", join(cors.allow_headers), cors.origin_override);
    if (cors.max_age_sec)
      put(headers, "Access-Control-Max-Age", std::to_string(*cors.max_age_sec), cors.origin_override);
  }
  if (!cors.expose_headers.empty())
    put(headers, "Access-Control-Expose-Headers", join(cors.expose_headers), cors.origin_override);
}

}  // namespace

bool is_preflight(const request_view& request) noexcept {
  return request.method == "OPTIONS" && request.header("origin").has_value() &&
         request.header("access-control-request-method").has_value();
}

bool is_origin_allowed(const cors_config& cors, std::string_view origin) noexcept {
  for (const auto& pattern : cors.allow_origins) {
    if (pattern == "*" || pattern == origin) return true;
    const auto star = pattern.find('*');
    if (star == std::string::npos) continue;
    const std::string_view prefix = std::string_view(pattern).substr(0, star);
    const std::string_view suffix = std::string_view(pattern).substr(star + 1);
    if (origin.size() > prefix.size() + suffix.size() && origin.starts_with(prefix) &&
        origin.ends_with(suffix))
      return true;
  }
  return false;
}

void apply_response_headers_policy(const response_headers_policy& policy, const request_view& request,
                                   std::vector<header_field>& headers) {
  for (const auto& name : policy.remove_headers) remove_header(headers, name);
  if (policy.cors) {
    const auto origin = request.header("origin");
    if (origin && !origin->empty() && is_origin_allowed(*policy.cors, *origin))
      add_cors(*policy.cors, *origin, is_preflight(request), headers);
  }
  for (const auto& h : policy.custom_headers) put(headers, h.header, h.value, h.override_origin);
  for (const auto& h : policy.security_headers) put(headers, h.header, h.value, h.override_origin);
}

std::string describe_cors_outcome(const response_headers_policy& policy, const request_view& request,
                                  const std::vector<header_field>& before,
                                  const std::vector<header_field>& after) {
  if (!policy.cors) return policy.name + ": no CORS settings (the origin's CORS headers pass as they are)";
  const auto origin = request.header("origin");
  if (!origin || origin->empty()) return policy.name + ": no Origin in the request: no CORS headers added";
  if (!is_origin_allowed(*policy.cors, *origin))
    return fmt::format("{}: Origin {} is not among its AccessControlAllowOrigins: no CORS headers added",
                       policy.name, *origin);
  const auto value_in = [](const std::vector<header_field>& headers,
                           std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [n, v] : headers) {
      if (iequals(n, name)) return std::string_view(v);
    }
    return std::nullopt;
  };
  std::string changes;
  const auto say = [&changes](std::string text) {
    changes += changes.empty() ? "" : "; ";
    changes += text;
  };
  for (const auto& [name, value] : after) {
    if (!(name.size() > 15 && iequals(std::string_view(name).substr(0, 15), "Access-Control-"))) continue;
    const auto was = value_in(before, name);
    if (!was) {
      say(fmt::format("added {}: {}", name, value));
    } else if (*was != value) {
      say(fmt::format("replaced the origin's {}: {} with {} (OriginOverride)", name, *was, value));
    } else if (!policy.cors->origin_override && iequals(name, "Access-Control-Allow-Origin")) {
      say(fmt::format("kept the origin's {}: {} (OriginOverride false)", name, value));
    }
  }
  if (changes.empty()) changes = "no CORS header changed";
  return policy.name + ": " + changes;
}

std::optional<edge_answer> answer_preflight_at_edge(const cache_behavior& behavior,
                                                    const request_view& request) {
  if (!is_preflight(request) || behavior.allows("OPTIONS")) return std::nullopt;
  if (!behavior.response_headers || !behavior.response_headers->cors ||
      behavior.response_headers->cors->allow_methods.empty())
    return std::nullopt;
  edge_answer out;
  const auto origin = request.header("origin");
  if (!is_origin_allowed(*behavior.response_headers->cors, *origin)) {
    out.status = 403;
    return out;
  }
  apply_response_headers_policy(*behavior.response_headers, request, out.headers);
  out.headers.emplace_back("Content-Length", "0");
  return out;
}

}  // namespace s3cors::edge
