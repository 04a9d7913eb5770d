#include "s3cors/edge/distribution.hpp"

#include "s3cors/glob.hpp"

#include "s3cors/s3/owner.hpp"

#include "edge/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace s3cors::edge {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view item) noexcept {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

bool cache_behavior::allows(std::string_view method) const noexcept {
  return contains(allowed_methods, method);
}

bool cache_behavior::caches(std::string_view method) const noexcept {
  return contains(cached_methods, method);
}

std::uint64_t distribution_config::error_caching_min_ttl_for(int status) const noexcept {
  const auto it = error_caching_min_ttl.find(status);
  return it == error_caching_min_ttl.end() ? default_error_caching_min_ttl : it->second;
}

std::string distribution_arn(std::string_view id) {
  return "arn:aws:cloudfront::" + std::string(s3::owner_account_id) + ":distribution/" + std::string(id);
}

bool path_pattern_matches(std::string_view pattern, std::string_view path) noexcept {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.front() == '/') return glob_matches(pattern, path);
  // "images/*.jpg" is "/images/*.jpg" (CloudFront: "the leading / is optional").
  if (path.empty() || path.front() != '/') return glob_matches(pattern, path);
  return glob_matches(pattern, path.substr(1));
}

const cache_behavior& match_behavior(const distribution_config& config, std::string_view path) noexcept {
  for (const auto& b : config.behaviors) {
    if (path_pattern_matches(b.path_pattern, path)) return b;
  }
  return config.default_behavior;
}

namespace detail {
namespace {

constexpr std::array<std::string_view, 3> allowed_sets_text = {"GET,HEAD", "GET,HEAD,OPTIONS",
                                                               "GET,HEAD,OPTIONS,PUT,PATCH,POST,DELETE"};

// Accepts the methods in any order; returns them in CloudFront's order.
std::vector<std::string> method_set(const std::vector<std::string>& methods, const std::string& pointer,
                                    bool cached) {
  static const std::array<std::vector<std::string>, 3> sets = {
      std::vector<std::string>{"GET", "HEAD"}, std::vector<std::string>{"GET", "HEAD", "OPTIONS"},
      std::vector<std::string>{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}};
  const std::size_t candidates = cached ? 2 : 3;
  for (std::size_t i = 0; i < candidates; ++i) {
    const auto& set = sets[i];
    if (set.size() != methods.size()) continue;
    if (std::all_of(methods.begin(), methods.end(), [&](const std::string& m) { return contains(set, m); }))
      return set;
  }
  std::string expected;
  for (std::size_t i = 0; i < candidates; ++i)
    expected += (i ? " or " : "") + std::string(allowed_sets_text[i]);
  fail(pointer, "expected the methods " + expected);
}

void check_path_pattern(const std::string& pattern, const std::string& pointer) {
  if (pattern.empty()) fail(pointer, "must not be empty");
  if (pattern.size() > 255) fail(pointer, "longer than 255 characters");
  for (const char c : pattern) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("_-.*$/~\"'@:+&?").find(c) != std::string_view::npos;
    if (!ok) fail(pointer, std::string("character '") + c + "' is not allowed in a path pattern");
  }
}

cache_policy legacy_policy(std::uint64_t min, std::uint64_t def, std::uint64_t max,
                           const std::string& pointer) {
  if (def < min) fail(pointer + "/default_ttl", "must not be less than min_ttl");
  if (max < def) fail(pointer + "/max_ttl", "must not be less than default_ttl");
  cache_policy p;
  p.name = "legacy";
  p.min_ttl = min;
  p.default_ttl = def;
  p.max_ttl = max;
  return p;
}

template <class Policy, class Find, class Parse>
Policy resolve(const json& value, const std::string& pointer, const char* kind, Find find, Parse parse,
               std::string* ref) {
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    const Policy* found = find(name);
    if (found == nullptr)
      fail(pointer, "no managed " + std::string(kind) + " is named or has the ID \"" + name + "\"");
    if (ref != nullptr) *ref = name;
    return *found;
  }
  if (!value.is_object()) fail(pointer, "expected a managed policy name or ID, or an inline policy object");
  return parse(value, pointer);
}

void check_fields(const json& value, const std::string& pointer,
                  std::initializer_list<std::string_view> known) {
  for (const auto& [name, item] : value.items()) {
    (void)item;
    if (std::find(known.begin(), known.end(), name) == known.end())
      fail(child(pointer, name), "unknown field");
  }
}

cache_behavior behavior_from_json(const json& value, const std::string& pointer, const std::string& origin,
                                  bool is_default) {
  if (!value.is_object()) fail(pointer, "expected an object");
  check_fields(value, pointer,
               {"path_pattern", "origin", "allowed_methods", "cached_methods", "min_ttl", "default_ttl",
                "max_ttl", "cache_policy", "origin_request_policy", "response_headers_policy"});
  cache_behavior out;
  out.origin_bucket =
      value.contains("origin") ? get_string(value.at("origin"), child(pointer, "origin")) : origin;
  if (out.origin_bucket.empty()) fail(child(pointer, "origin"), "an origin bucket is required");
  if (is_default) {
    if (value.contains("path_pattern"))
      fail(child(pointer, "path_pattern"), "the default behaviour has no path pattern");
  } else {
    if (!value.contains("path_pattern")) fail(child(pointer, "path_pattern"), "missing required field");
    out.path_pattern = get_string(value.at("path_pattern"), child(pointer, "path_pattern"));
    check_path_pattern(out.path_pattern, child(pointer, "path_pattern"));
  }
  if (value.contains("allowed_methods"))
    out.allowed_methods =
        method_set(get_string_list(value.at("allowed_methods"), child(pointer, "allowed_methods")),
                   child(pointer, "allowed_methods"), false);
  if (value.contains("cached_methods"))
    out.cached_methods =
        method_set(get_string_list(value.at("cached_methods"), child(pointer, "cached_methods")),
                   child(pointer, "cached_methods"), true);
  if (out.caches("OPTIONS") && !out.allows("OPTIONS"))
    fail(child(pointer, "cached_methods"), "OPTIONS is cached but not allowed");

  const bool has_ttl =
      value.contains("min_ttl") || value.contains("default_ttl") || value.contains("max_ttl");
  if (value.contains("cache_policy")) {
    if (has_ttl)
      fail(pointer, "min_ttl/default_ttl/max_ttl come from the cache policy; remove them or the policy");
    out.cache =
        resolve<cache_policy>(value.at("cache_policy"), child(pointer, "cache_policy"), "cache policy",
                              find_managed_cache_policy, cache_policy_from_json, &out.cache_policy_ref);
  } else {
    const auto ttl = [&](const char* name, std::uint64_t fallback) {
      return value.contains(name) ? get_unsigned(value.at(name), child(pointer, name)) : fallback;
    };
    out.cache =
        legacy_policy(ttl("min_ttl", 0), ttl("default_ttl", 86400), ttl("max_ttl", 31536000), pointer);
  }
  if (value.contains("origin_request_policy"))
    out.origin_request = resolve<origin_request_policy>(
        value.at("origin_request_policy"), child(pointer, "origin_request_policy"), "origin request policy",
        find_managed_origin_request_policy, origin_request_policy_from_json, nullptr);
  if (value.contains("response_headers_policy"))
    out.response_headers = resolve<response_headers_policy>(
        value.at("response_headers_policy"), child(pointer, "response_headers_policy"),
        "response headers policy", find_managed_response_headers_policy, response_headers_policy_from_json,
        nullptr);
  return out;
}

int parse_status(std::string_view text, const std::string& pointer) {
  int status = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec != std::errc() || end != text.data() + text.size() || status < 400 || status > 599)
    fail(pointer, "expected an HTTP status code from 400 to 599");
  return status;
}

}  // namespace

distribution_config distribution_from_json(const json& value, const std::string& pointer) {
  if (!value.is_object()) fail(pointer, "expected an object");
  check_fields(value, pointer,
               {"id", "listen", "origin", "origin_access_control", "default_behavior", "behaviors",
                "error_caching_min_ttl"});
  distribution_config out;
  if (!value.contains("id")) fail(child(pointer, "id"), "missing required field");
  out.id = get_string(value.at("id"), child(pointer, "id"));
  if (out.id.empty()) fail(child(pointer, "id"), "must not be empty");
  if (value.contains("listen")) out.listen = get_string(value.at("listen"), child(pointer, "listen"));
  if (!value.contains("origin")) fail(child(pointer, "origin"), "missing required field (the origin bucket)");
  out.origin_bucket = get_string(value.at("origin"), child(pointer, "origin"));
  if (out.origin_bucket.empty()) fail(child(pointer, "origin"), "must not be empty");
  if (value.contains("origin_access_control"))
    out.origin_access_control =
        get_bool(value.at("origin_access_control"), child(pointer, "origin_access_control"));
  out.default_behavior =
      value.contains("default_behavior")
          ? behavior_from_json(value.at("default_behavior"), child(pointer, "default_behavior"),
                               out.origin_bucket, true)
          : behavior_from_json(json::object(), child(pointer, "default_behavior"), out.origin_bucket, true);
  if (value.contains("behaviors")) {
    const json& list = value.at("behaviors");
    const std::string at = child(pointer, "behaviors");
    if (!list.is_array()) fail(at, "expected a list of behaviours");
    for (std::size_t i = 0; i < list.size(); ++i)
      out.behaviors.push_back(
          behavior_from_json(list[i], at + "/" + std::to_string(i), out.origin_bucket, false));
  }
  if (value.contains("error_caching_min_ttl")) {
    const json& map = value.at("error_caching_min_ttl");
    const std::string at = child(pointer, "error_caching_min_ttl");
    if (!map.is_object()) fail(at, "expected an object such as {\"404\": 5}");
    for (const auto& [status, ttl] : map.items())
      out.error_caching_min_ttl[parse_status(status, child(at, status))] =
          get_unsigned(ttl, child(at, status));
  }
  return out;
}

namespace {

// "media.s3.amazonaws.com", "media.s3.eu-west-1.amazonaws.com", "media.s3-eu-west-1.amazonaws.com",
// "media.s3.dualstack.eu-west-1.amazonaws.com" -> "media"; a name without ".s3" is the bucket itself.
std::string bucket_from_domain(const std::string& domain, const std::string& pointer) {
  const auto s3 = domain.find(".s3");
  if (s3 == std::string::npos) {
    if (domain.find('.') != std::string::npos && domain.ends_with(".amazonaws.com"))
      fail(pointer, "not an S3 bucket domain name");
    return domain;
  }
  if (s3 == 0) fail(pointer, "no bucket name before \".s3\"");
  return domain.substr(0, s3);
}

std::uint64_t cfn_unsigned(const json& value, const std::string& pointer) {
  // CloudFormation templates often write numbers as strings.
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size())
      fail(pointer, "expected a non-negative integer");
    return n;
  }
  return get_unsigned(value, pointer);
}

template <class Policy, class Find>
Policy cfn_policy(const json& value, const std::string& pointer, Find find, const char* kind,
                  std::string* ref) {
  if (!value.is_string())
    fail(pointer, "expected a managed " + std::string(kind) +
                      " ID (references to template resources are not resolved)");
  const std::string id = value.get<std::string>();
  const Policy* found = find(id);
  if (found == nullptr) fail(pointer, "no managed " + std::string(kind) + " has the ID \"" + id + "\"");
  if (ref != nullptr) *ref = id;
  return *found;
}

cache_behavior cfn_behavior(const json& value, const std::string& pointer,
                            const std::map<std::string, std::string>& origins, bool is_default) {
  if (!value.is_object()) fail(pointer, "expected an object");
  cache_behavior out;
  if (!value.contains("TargetOriginId")) fail(child(pointer, "TargetOriginId"), "missing required field");
  const std::string target = get_string(value.at("TargetOriginId"), child(pointer, "TargetOriginId"));
  const auto origin = origins.find(target);
  if (origin == origins.end())
    fail(child(pointer, "TargetOriginId"), "no origin has the Id \"" + target + "\"");
  out.origin_bucket = origin->second;
  if (!is_default) {
    if (!value.contains("PathPattern")) fail(child(pointer, "PathPattern"), "missing required field");
    out.path_pattern = get_string(value.at("PathPattern"), child(pointer, "PathPattern"));
    check_path_pattern(out.path_pattern, child(pointer, "PathPattern"));
  }
  if (value.contains("AllowedMethods"))
    out.allowed_methods =
        method_set(get_string_list(value.at("AllowedMethods"), child(pointer, "AllowedMethods")),
                   child(pointer, "AllowedMethods"), false);
  if (value.contains("CachedMethods"))
    out.cached_methods =
        method_set(get_string_list(value.at("CachedMethods"), child(pointer, "CachedMethods")),
                   child(pointer, "CachedMethods"), true);
  if (out.caches("OPTIONS") && !out.allows("OPTIONS"))
    fail(child(pointer, "CachedMethods"), "OPTIONS is cached but not allowed");
  if (value.contains("CachePolicyId")) {
    for (const char* legacy : {"MinTTL", "DefaultTTL", "MaxTTL", "ForwardedValues"}) {
      if (value.contains(legacy))
        fail(child(pointer, legacy),
             "not allowed together with CachePolicyId (the cache policy holds the TTLs)");
    }
    out.cache = cfn_policy<cache_policy>(value.at("CachePolicyId"), child(pointer, "CachePolicyId"),
                                         find_managed_cache_policy, "cache policy", &out.cache_policy_ref);
  } else {
    const auto ttl = [&](const char* name, std::uint64_t fallback) {
      return value.contains(name) ? cfn_unsigned(value.at(name), child(pointer, name)) : fallback;
    };
    out.cache = legacy_policy(ttl("MinTTL", 0), ttl("DefaultTTL", 86400), ttl("MaxTTL", 31536000), pointer);
  }
  if (value.contains("OriginRequestPolicyId"))
    out.origin_request = cfn_policy<origin_request_policy>(
        value.at("OriginRequestPolicyId"), child(pointer, "OriginRequestPolicyId"),
        find_managed_origin_request_policy, "origin request policy", nullptr);
  if (value.contains("ResponseHeadersPolicyId"))
    out.response_headers = cfn_policy<response_headers_policy>(
        value.at("ResponseHeadersPolicyId"), child(pointer, "ResponseHeadersPolicyId"),
        find_managed_response_headers_policy, "response headers policy", nullptr);
  return out;
}

}  // namespace

distribution_config distribution_from_cloudformation(const json& doc, const std::string& doc_pointer) {
  // The resource, its Properties, or the DistributionConfig itself.
  const json* value = &doc;
  std::string pointer = doc_pointer;
  if (value->is_object() && value->contains("Properties")) {
    value = &value->at("Properties");
    pointer = child(pointer, "Properties");
  }
  if (value->is_object() && value->contains("DistributionConfig")) {
    value = &value->at("DistributionConfig");
    pointer = child(pointer, "DistributionConfig");
  }
  if (!value->is_object()) fail(pointer, "expected a DistributionConfig object");
  distribution_config out;
  out.id = "cloudformation";

  std::map<std::string, std::string> origins;
  if (!value->contains("Origins")) fail(child(pointer, "Origins"), "missing required field");
  const json& list = value->at("Origins");
  const std::string origins_at = child(pointer, "Origins");
  if (!list.is_array() || list.empty()) fail(origins_at, "expected a non-empty list of origins");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = origins_at + "/" + std::to_string(i);
    const json& o = list[i];
    if (!o.is_object()) fail(at, "expected an object");
    if (!o.contains("Id")) fail(child(at, "Id"), "missing required field");
    if (!o.contains("DomainName")) fail(child(at, "DomainName"), "missing required field");
    const std::string id = get_string(o.at("Id"), child(at, "Id"));
    if (o.contains("CustomOriginConfig"))
      fail(child(at, "CustomOriginConfig"), "only S3 bucket origins are supported");
    origins[id] =
        bucket_from_domain(get_string(o.at("DomainName"), child(at, "DomainName")), child(at, "DomainName"));
  }
  if (!value->contains("DefaultCacheBehavior"))
    fail(child(pointer, "DefaultCacheBehavior"), "missing required field");
  out.default_behavior =
      cfn_behavior(value->at("DefaultCacheBehavior"), child(pointer, "DefaultCacheBehavior"), origins, true);
  out.origin_bucket = out.default_behavior.origin_bucket;
  if (value->contains("CacheBehaviors")) {
    const json& behaviors = value->at("CacheBehaviors");
    const std::string at = child(pointer, "CacheBehaviors");
    const json* items = &behaviors;
    std::string items_at = at;
    if (behaviors.is_object() && behaviors.contains("Items")) {  // the API's {"Quantity", "Items"}
      items = &behaviors.at("Items");
      items_at = child(at, "Items");
    }
    if (!items->is_array()) fail(items_at, "expected a list of cache behaviours");
    for (std::size_t i = 0; i < items->size(); ++i)
      out.behaviors.push_back(cfn_behavior((*items)[i], items_at + "/" + std::to_string(i), origins, false));
  }
  if (value->contains("CustomErrorResponses")) {
    const json& errors = value->at("CustomErrorResponses");
    const std::string at = child(pointer, "CustomErrorResponses");
    const json* items = errors.is_object() && errors.contains("Items") ? &errors.at("Items") : &errors;
    if (!items->is_array()) fail(at, "expected a list");
    for (std::size_t i = 0; i < items->size(); ++i) {
      const std::string item_at = at + "/" + std::to_string(i);
      const json& e = (*items)[i];
      if (!e.is_object() || !e.contains("ErrorCode")) fail(item_at, "expected an object with ErrorCode");
      const auto code = cfn_unsigned(e.at("ErrorCode"), child(item_at, "ErrorCode"));
      const int status = parse_status(std::to_string(code), child(item_at, "ErrorCode"));
      if (e.contains("ErrorCachingMinTTL"))
        out.error_caching_min_ttl[status] =
            cfn_unsigned(e.at("ErrorCachingMinTTL"), child(item_at, "ErrorCachingMinTTL"));
    }
  }
  return out;
}

}  // namespace detail

result<distribution_config, edge_error> parse_distribution(std::string_view json) {
  return detail::parse_text<distribution_config>(
      json, [](const detail::json& doc) { return detail::distribution_from_json(doc, ""); });
}

result<distribution_config, edge_error> parse_cloudformation_distribution(std::string_view json) {
  return detail::parse_text<distribution_config>(
      json, [](const detail::json& doc) { return detail::distribution_from_cloudformation(doc, ""); });
}

}  // namespace s3cors::edge
