#include "s3cors/edge/policies.hpp"

#include "edge/json.hpp"

#include <algorithm>
#include <array>

namespace s3cors::edge {

std::string_view to_string(behavior b) noexcept {
  switch (b) {
    case behavior::none:
      return "none";
    case behavior::whitelist:
      return "whitelist";
    case behavior::all_except:
      return "allExcept";
    case behavior::all:
      return "all";
    case behavior::all_viewer:
      return "allViewer";
    case behavior::all_viewer_and_whitelist_cloudfront:
      return "allViewerAndWhitelistCloudFront";
  }
  return "none";
}

namespace {

values_config none() {
  return {};
}
values_config whitelist(std::vector<std::string> items) {
  return {behavior::whitelist, std::move(items)};
}
values_config all() {
  return {behavior::all, {}};
}

cache_policy make_cache_policy(std::string name, std::uint64_t min, std::uint64_t def, std::uint64_t max,
                               bool gzip, bool brotli, values_config headers, values_config cookies,
                               values_config query) {
  cache_policy p;
  p.name = std::move(name);
  p.min_ttl = min;
  p.default_ttl = def;
  p.max_ttl = max;
  p.enable_accept_encoding_gzip = gzip;
  p.enable_accept_encoding_brotli = brotli;
  p.headers = std::move(headers);
  p.cookies = std::move(cookies);
  p.query_strings = std::move(query);
  return p;
}

origin_request_policy make_origin_request_policy(std::string name, values_config headers,
                                                 values_config cookies, values_config query,
                                                 bool drop_s3_overrides) {
  origin_request_policy p;
  p.name = std::move(name);
  p.headers = std::move(headers);
  p.cookies = std::move(cookies);
  p.query_strings = std::move(query);
  p.drop_s3_response_overrides = drop_s3_overrides;
  return p;
}

// SecurityHeadersPolicy's five headers (docs/edge.md §2): only X-Content-Type-Options overrides
// the origin's.
std::vector<security_header> managed_security_headers() {
  return {
      {"X-Content-Type-Options", "nosniff", true},
      {"X-Frame-Options", "SAMEORIGIN", false},
      {"Referrer-Policy", "strict-origin-when-cross-origin", false},
      {"Strict-Transport-Security", "max-age=31536000", false},
      {"X-XSS-Protection", "1; mode=block", false},
  };
}

cors_config simple_cors() {
  cors_config c;
  c.allow_origins = {"*"};
  return c;
}

cors_config cors_with_preflight() {
  cors_config c;
  c.allow_origins = {"*"};
  c.allow_headers = {"*"};
  c.allow_methods = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"};
  c.expose_headers = {"*"};
  return c;
}

response_headers_policy make_response_policy(std::string name, std::optional<cors_config> cors,
                                             bool security) {
  response_headers_policy p;
  p.name = std::move(name);
  p.cors = std::move(cors);
  if (security) p.security_headers = managed_security_headers();
  return p;
}

constexpr std::uint64_t one_year = 31536000;
constexpr std::uint64_t one_day = 86400;

template <class Policy>
const Policy* find_in(const std::vector<managed<Policy>>& table, std::string_view key) noexcept {
  constexpr std::string_view prefix = "Managed-";
  const std::string_view bare = key.starts_with(prefix) ? key.substr(prefix.size()) : key;
  for (const auto& m : table) {
    if (m.id == key || m.name == bare) return &m.policy;
  }
  return nullptr;
}

}  // namespace

const std::vector<managed<cache_policy>>& managed_cache_policies() {
  // "Use managed cache policies" (CloudFront Developer Guide).
  static const std::vector<managed<cache_policy>> table = {
      {"Amplify", "2e54312d-136d-493c-8eb9-b001f22f67d2",
       make_cache_policy("Amplify", 2, 2, 600, true, true,
                         whitelist({"Authorization", "CloudFront-Viewer-Country", "Host"}), all(), all())},
      {"CachingDisabled", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
       make_cache_policy("CachingDisabled", 0, 0, 0, false, false, none(), none(), none())},
      {"CachingOptimized", "658327ea-f89d-4fab-a63d-7e88639e58f6",
       make_cache_policy("CachingOptimized", 1, one_day, one_year, true, true, none(), none(), none())},
      {"CachingOptimizedForUncompressedObjects", "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
       make_cache_policy("CachingOptimizedForUncompressedObjects", 1, one_day, one_year, false, false, none(),
                         none(), none())},
      {"Elemental-MediaPackage", "08627262-05a9-4f76-9ded-b50ca2e3a84f",
       make_cache_policy("Elemental-MediaPackage", 0, one_day, one_year, true, false, whitelist({"Origin"}),
                         none(), whitelist({"aws.manifestfilter", "start", "end", "m"}))},
      {"UseOriginCacheControlHeaders", "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
       make_cache_policy(
           "UseOriginCacheControlHeaders", 0, 0, one_year, true, true,
           whitelist({"host", "origin", "x-http-method-override", "x-http-method", "x-method-override"}),
           all(), none())},
      {"UseOriginCacheControlHeaders-QueryStrings", "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
       make_cache_policy(
           "UseOriginCacheControlHeaders-QueryStrings", 0, 0, one_year, true, true,
           whitelist({"host", "origin", "x-http-method-override", "x-http-method", "x-method-override"}),
           all(), all())},
  };
  return table;
}

const std::vector<managed<origin_request_policy>>& managed_origin_request_policies() {
  // "Use managed origin request policies" (CloudFront Developer Guide).
  static const std::vector<managed<origin_request_policy>> table = {
      {"AllViewer", "216adef6-5c7f-47e4-b989-5492eafa07d3",
       make_origin_request_policy("AllViewer", {behavior::all_viewer, {}}, all(), all(), true)},
      {"AllViewerExceptHostHeader", "b689b0a8-53d0-40ab-baf2-68738e2966ac",
       make_origin_request_policy("AllViewerExceptHostHeader", {behavior::all_except, {"host"}}, all(), all(),
                                  true)},
      {"CORS-CustomOrigin", "59781a5b-3903-41f3-afcb-af62929ccde1",
       make_origin_request_policy("CORS-CustomOrigin", whitelist({"origin"}), none(), none(), false)},
      {"CORS-S3Origin", "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
       make_origin_request_policy(
           "CORS-S3Origin",
           whitelist({"origin", "access-control-request-headers", "access-control-request-method"}), none(),
           none(), false)},
      {"Elemental-MediaTailor-PersonalizedManifests", "775133bc-15f2-49f9-abea-afb2e0bf67d2",
       make_origin_request_policy("Elemental-MediaTailor-PersonalizedManifests",
                                  whitelist({"origin", "access-control-request-headers", "x-forwarded-for",
                                             "access-control-request-method", "user-agent"}),
                                  none(), all(), true)},
      {"UserAgentRefererHeaders", "acba4595-bd28-49b8-b9fe-13317c0390fa",
       make_origin_request_policy("UserAgentRefererHeaders", whitelist({"user-agent", "referer"}), none(),
                                  none(), false)},
  };
  return table;
}

const std::vector<managed<response_headers_policy>>& managed_response_headers_policies() {
  // "Use managed response headers policies" (CloudFront Developer Guide).
  static const std::vector<managed<response_headers_policy>> table = {
      {"CORS-and-SecurityHeadersPolicy", "e61eb60c-9c35-4d20-a928-2b84e02af89c",
       make_response_policy("CORS-and-SecurityHeadersPolicy", simple_cors(), true)},
      {"CORS-With-Preflight", "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
       make_response_policy("CORS-With-Preflight", cors_with_preflight(), false)},
      {"CORS-with-preflight-and-SecurityHeadersPolicy", "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
       make_response_policy("CORS-with-preflight-and-SecurityHeadersPolicy", cors_with_preflight(), true)},
      {"SecurityHeadersPolicy", "67f7725c-6f97-4210-82d7-5512b31e9d03",
       make_response_policy("SecurityHeadersPolicy", std::nullopt, true)},
      {"SimpleCORS", "60669652-455b-4ae9-85a4-c4c02393f86c",
       make_response_policy("SimpleCORS", simple_cors(), false)},
  };
  return table;
}

const cache_policy* find_managed_cache_policy(std::string_view name_or_id) noexcept {
  return find_in(managed_cache_policies(), name_or_id);
}

const origin_request_policy* find_managed_origin_request_policy(std::string_view name_or_id) noexcept {
  return find_in(managed_origin_request_policies(), name_or_id);
}

const response_headers_policy* find_managed_response_headers_policy(std::string_view name_or_id) noexcept {
  // AWS's pages spell one name both "CORS-With-Preflight-and-..." and "CORS-with-preflight-and-...".
  if (name_or_id == "CORS-With-Preflight-and-SecurityHeadersPolicy" ||
      name_or_id == "Managed-CORS-With-Preflight-and-SecurityHeadersPolicy")
    return find_in(managed_response_headers_policies(), "CORS-with-preflight-and-SecurityHeadersPolicy");
  return find_in(managed_response_headers_policies(), name_or_id);
}

// ---------------------------------------------------------------------------------------------
// JSON readers

namespace detail {

std::string get_string(const json& value, const std::string& pointer) {
  if (!value.is_string()) fail(pointer, "expected a string");
  return value.get<std::string>();
}

bool get_bool(const json& value, const std::string& pointer) {
  if (!value.is_boolean()) fail(pointer, "expected true or false");
  return value.get<bool>();
}

std::uint64_t get_unsigned(const json& value, const std::string& pointer) {
  if (!value.is_number_unsigned()) fail(pointer, "expected a non-negative integer");
  return value.get<std::uint64_t>();
}

std::vector<std::string> get_string_list(const json& value, const std::string& pointer) {
  const json* items = &value;
  std::optional<std::uint64_t> quantity;
  if (value.is_object()) {
    items = nullptr;
    for (const auto& [name, item] : value.items()) {
      if (name == "Quantity") {
        quantity = get_unsigned(item, child(pointer, name));
      } else if (name == "Items") {
        items = &item;
      } else {
        fail(child(pointer, name), "unknown field (expected \"Quantity\" or \"Items\")");
      }
    }
    if (items == nullptr) {
      if (quantity.value_or(0) != 0) fail(child(pointer, "Items"), "missing: Quantity is not 0");
      return {};
    }
  }
  const std::string at = value.is_object() ? child(pointer, "Items") : pointer;
  if (!items->is_array()) fail(at, "expected a list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < items->size(); ++i)
    out.push_back(get_string((*items)[i], at + "/" + std::to_string(i)));
  if (quantity && *quantity != out.size())
    fail(child(pointer, "Quantity"), "does not match the number of Items");
  return out;
}

const json& unwrap(const json& doc, std::string_view wrapper) {
  if (doc.is_object() && doc.size() == 1 && doc.contains(std::string(wrapper)))
    return doc.at(std::string(wrapper));
  return doc;
}

namespace {

void require_object(const json& value, const std::string& pointer) {
  if (!value.is_object()) fail(pointer, "expected an object");
}

// Fields of `value` outside `known` are refused: a misspelt field must not silently mean "absent".
void check_fields(const json& value, const std::string& pointer,
                  std::initializer_list<std::string_view> known) {
  for (const auto& [name, item] : value.items()) {
    (void)item;
    if (std::find(known.begin(), known.end(), name) == known.end())
      fail(child(pointer, name), "unknown field");
  }
}

const json& required(const json& value, const std::string& pointer, const char* name) {
  if (!value.contains(name)) fail(child(pointer, name), "missing required field");
  return value.at(name);
}

behavior parse_behavior(const json& value, const std::string& pointer,
                        std::initializer_list<behavior> allowed) {
  const std::string text = get_string(value, pointer);
  std::string expected;
  for (const behavior b : allowed) {
    if (text == to_string(b)) return b;
    expected += expected.empty() ? "" : ", ";
    expected += "\"" + std::string(to_string(b)) + "\"";
  }
  fail(pointer, "expected one of " + expected);
}

// {"<Kind>Behavior": ..., "<Kind>s": [...]}: HeadersConfig, CookiesConfig, QueryStringsConfig.
values_config parse_values(const json& value, const std::string& pointer, const char* behavior_field,
                           const char* items_field, std::initializer_list<behavior> allowed) {
  require_object(value, pointer);
  check_fields(value, pointer, {behavior_field, items_field});
  values_config out;
  out.behavior =
      parse_behavior(required(value, pointer, behavior_field), child(pointer, behavior_field), allowed);
  if (value.contains(items_field))
    out.items = get_string_list(value.at(items_field), child(pointer, items_field));
  const bool needs_items = out.behavior == behavior::whitelist || out.behavior == behavior::all_except ||
                           out.behavior == behavior::all_viewer_and_whitelist_cloudfront;
  if (needs_items && out.items.empty())
    fail(child(pointer, items_field),
         "required and non-empty with \"" + std::string(to_string(out.behavior)) + "\"");
  if (!needs_items && !out.items.empty())
    fail(child(pointer, items_field), "not allowed with \"" + std::string(to_string(out.behavior)) + "\"");
  return out;
}

constexpr std::initializer_list<behavior> cookie_or_query_behaviors = {behavior::none, behavior::whitelist,
                                                                       behavior::all_except, behavior::all};

}  // namespace

cache_policy cache_policy_from_json(const json& outer, const std::string& outer_pointer) {
  const json& value = unwrap(outer, "CachePolicyConfig");
  const std::string pointer = &value == &outer ? outer_pointer : child(outer_pointer, "CachePolicyConfig");
  require_object(value, pointer);
  check_fields(
      value, pointer,
      {"Name", "Comment", "MinTTL", "DefaultTTL", "MaxTTL", "ParametersInCacheKeyAndForwardedToOrigin"});
  cache_policy out;
  out.name = get_string(required(value, pointer, "Name"), child(pointer, "Name"));
  if (value.contains("Comment")) out.comment = get_string(value.at("Comment"), child(pointer, "Comment"));
  out.min_ttl = get_unsigned(required(value, pointer, "MinTTL"), child(pointer, "MinTTL"));
  // The API's defaults: DefaultTTL 86400 (or MinTTL when larger), MaxTTL 31536000 (or DefaultTTL).
  out.default_ttl = value.contains("DefaultTTL")
                        ? get_unsigned(value.at("DefaultTTL"), child(pointer, "DefaultTTL"))
                        : std::max<std::uint64_t>(86400, out.min_ttl);
  out.max_ttl = value.contains("MaxTTL") ? get_unsigned(value.at("MaxTTL"), child(pointer, "MaxTTL"))
                                         : std::max<std::uint64_t>(31536000, out.default_ttl);
  if (out.default_ttl < out.min_ttl) fail(child(pointer, "DefaultTTL"), "must not be less than MinTTL");
  if (out.max_ttl < out.default_ttl) fail(child(pointer, "MaxTTL"), "must not be less than DefaultTTL");

  const std::string params_at = child(pointer, "ParametersInCacheKeyAndForwardedToOrigin");
  const json& params = required(value, pointer, "ParametersInCacheKeyAndForwardedToOrigin");
  require_object(params, params_at);
  check_fields(params, params_at,
               {"EnableAcceptEncodingGzip", "EnableAcceptEncodingBrotli", "HeadersConfig", "CookiesConfig",
                "QueryStringsConfig"});
  out.enable_accept_encoding_gzip = get_bool(required(params, params_at, "EnableAcceptEncodingGzip"),
                                             child(params_at, "EnableAcceptEncodingGzip"));
  if (params.contains("EnableAcceptEncodingBrotli"))
    out.enable_accept_encoding_brotli =
        get_bool(params.at("EnableAcceptEncodingBrotli"), child(params_at, "EnableAcceptEncodingBrotli"));
  out.headers = parse_values(required(params, params_at, "HeadersConfig"), child(params_at, "HeadersConfig"),
                             "HeaderBehavior", "Headers", {behavior::none, behavior::whitelist});
  out.cookies = parse_values(required(params, params_at, "CookiesConfig"), child(params_at, "CookiesConfig"),
                             "CookieBehavior", "Cookies", cookie_or_query_behaviors);
  out.query_strings =
      parse_values(required(params, params_at, "QueryStringsConfig"), child(params_at, "QueryStringsConfig"),
                   "QueryStringBehavior", "QueryStrings", cookie_or_query_behaviors);
  return out;
}

origin_request_policy origin_request_policy_from_json(const json& outer, const std::string& outer_pointer) {
  const json& value = unwrap(outer, "OriginRequestPolicyConfig");
  const std::string pointer =
      &value == &outer ? outer_pointer : child(outer_pointer, "OriginRequestPolicyConfig");
  require_object(value, pointer);
  check_fields(value, pointer, {"Name", "Comment", "HeadersConfig", "CookiesConfig", "QueryStringsConfig"});
  origin_request_policy out;
  out.name = get_string(required(value, pointer, "Name"), child(pointer, "Name"));
  if (value.contains("Comment")) out.comment = get_string(value.at("Comment"), child(pointer, "Comment"));
  out.headers = parse_values(required(value, pointer, "HeadersConfig"), child(pointer, "HeadersConfig"),
                             "HeaderBehavior", "Headers",
                             {behavior::none, behavior::whitelist, behavior::all_viewer,
                              behavior::all_viewer_and_whitelist_cloudfront, behavior::all_except});
  out.cookies = parse_values(required(value, pointer, "CookiesConfig"), child(pointer, "CookiesConfig"),
                             "CookieBehavior", "Cookies", cookie_or_query_behaviors);
  out.query_strings =
      parse_values(required(value, pointer, "QueryStringsConfig"), child(pointer, "QueryStringsConfig"),
                   "QueryStringBehavior", "QueryStrings", cookie_or_query_behaviors);
  return out;
}

namespace {

bool read_override(const json& value, const std::string& pointer) {
  return get_bool(required(value, pointer, "Override"), child(pointer, "Override"));
}

void parse_security(const json& value, const std::string& pointer, response_headers_policy& out) {
  require_object(value, pointer);
  check_fields(value, pointer,
               {"ContentSecurityPolicy", "ContentTypeOptions", "FrameOptions", "ReferrerPolicy",
                "StrictTransportSecurity", "XSSProtection"});
  if (value.contains("ContentSecurityPolicy")) {
    const std::string at = child(pointer, "ContentSecurityPolicy");
    const json& v = value.at("ContentSecurityPolicy");
    require_object(v, at);
    check_fields(v, at, {"ContentSecurityPolicy", "Override"});
    out.security_headers.push_back(
        {"Content-Security-Policy",
         get_string(required(v, at, "ContentSecurityPolicy"), child(at, "ContentSecurityPolicy")),
         read_override(v, at)});
  }
  if (value.contains("ContentTypeOptions")) {
    const std::string at = child(pointer, "ContentTypeOptions");
    const json& v = value.at("ContentTypeOptions");
    require_object(v, at);
    check_fields(v, at, {"Override"});
    out.security_headers.push_back({"X-Content-Type-Options", "nosniff", read_override(v, at)});
  }
  if (value.contains("FrameOptions")) {
    const std::string at = child(pointer, "FrameOptions");
    const json& v = value.at("FrameOptions");
    require_object(v, at);
    check_fields(v, at, {"FrameOption", "Override"});
    const std::string option = get_string(required(v, at, "FrameOption"), child(at, "FrameOption"));
    if (option != "DENY" && option != "SAMEORIGIN")
      fail(child(at, "FrameOption"), "expected \"DENY\" or \"SAMEORIGIN\"");
    out.security_headers.push_back({"X-Frame-Options", option, read_override(v, at)});
  }
  if (value.contains("ReferrerPolicy")) {
    const std::string at = child(pointer, "ReferrerPolicy");
    const json& v = value.at("ReferrerPolicy");
    require_object(v, at);
    check_fields(v, at, {"ReferrerPolicy", "Override"});
    static constexpr std::array<std::string_view, 8> values = {"no-referrer",
                                                               "no-referrer-when-downgrade",
                                                               "origin",
                                                               "origin-when-cross-origin",
                                                               "same-origin",
                                                               "strict-origin",
                                                               "strict-origin-when-cross-origin",
                                                               "unsafe-url"};
    const std::string policy = get_string(required(v, at, "ReferrerPolicy"), child(at, "ReferrerPolicy"));
    if (std::find(values.begin(), values.end(), policy) == values.end())
      fail(child(at, "ReferrerPolicy"), "not a Referrer-Policy value");
    out.security_headers.push_back({"Referrer-Policy", policy, read_override(v, at)});
  }
  if (value.contains("StrictTransportSecurity")) {
    const std::string at = child(pointer, "StrictTransportSecurity");
    const json& v = value.at("StrictTransportSecurity");
    require_object(v, at);
    check_fields(v, at, {"AccessControlMaxAgeSec", "IncludeSubdomains", "Preload", "Override"});
    std::string text = "max-age=" + std::to_string(get_unsigned(required(v, at, "AccessControlMaxAgeSec"),
                                                                child(at, "AccessControlMaxAgeSec")));
    if (v.contains("IncludeSubdomains") &&
        get_bool(v.at("IncludeSubdomains"), child(at, "IncludeSubdomains")))
      text += "; includeSubDomains";
    if (v.contains("Preload") && get_bool(v.at("Preload"), child(at, "Preload"))) text += "; preload";
    out.security_headers.push_back({"Strict-Transport-Security", text, read_override(v, at)});
  }
  if (value.contains("XSSProtection")) {
    const std::string at = child(pointer, "XSSProtection");
    const json& v = value.at("XSSProtection");
    require_object(v, at);
    check_fields(v, at, {"Protection", "ModeBlock", "ReportUri", "Override"});
    const bool protection = get_bool(required(v, at, "Protection"), child(at, "Protection"));
    const bool mode_block = v.contains("ModeBlock") && get_bool(v.at("ModeBlock"), child(at, "ModeBlock"));
    const std::string report =
        v.contains("ReportUri") ? get_string(v.at("ReportUri"), child(at, "ReportUri")) : "";
    if (mode_block && !report.empty()) fail(child(at, "ReportUri"), "not allowed together with ModeBlock");
    if (!protection && (mode_block || !report.empty()))
      fail(child(at, "Protection"), "ModeBlock and ReportUri need Protection true");
    std::string text = protection ? "1" : "0";
    if (mode_block) text += "; mode=block";
    if (!report.empty()) text += "; report=" + report;
    out.security_headers.push_back({"X-XSS-Protection", text, read_override(v, at)});
  }
}

// The headers a response headers policy may not remove ("Understand response headers policies").
bool is_unremovable(std::string_view header) {
  static constexpr std::array<std::string_view, 29> exact = {"connection",
                                                             "content-encoding",
                                                             "content-length",
                                                             "expect",
                                                             "host",
                                                             "keep-alive",
                                                             "proxy-authenticate",
                                                             "proxy-authorization",
                                                             "proxy-connection",
                                                             "trailer",
                                                             "transfer-encoding",
                                                             "upgrade",
                                                             "via",
                                                             "warning",
                                                             "x-accel-buffering",
                                                             "x-accel-charset",
                                                             "x-accel-limit-rate",
                                                             "x-accel-redirect",
                                                             "x-amzn-auth",
                                                             "x-amzn-cf-billing",
                                                             "x-amzn-cf-id",
                                                             "x-amzn-cf-xff",
                                                             "x-amzn-errortype",
                                                             "x-amzn-fle-profile",
                                                             "x-amzn-header-count",
                                                             "x-amzn-header-order",
                                                             "x-amzn-lambda-integration-tag",
                                                             "x-amzn-requestid",
                                                             "x-cache"};
  std::string lower(header);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower.starts_with("x-amz-cf-") || lower.starts_with("x-edge-")) return true;
  if (lower == "x-forwarded-proto" || lower == "x-real-ip") return true;
  return std::find(exact.begin(), exact.end(), lower) != exact.end();
}

// An AccessControlAllowOrigins item: "*", or scheme://host[:port] whose host may start with "*."
// (the wildcard only as the leftmost label).
bool is_valid_allow_origin(std::string_view origin) {
  if (origin == "*") return true;
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  const std::string_view host = origin.substr(scheme_end + 3);
  if (host.empty()) return false;
  const auto star = host.find('*');
  if (star == std::string_view::npos) return true;
  return star == 0 && host.size() > 2 && host[1] == '.' && host.find('*', 1) == std::string_view::npos;
}

cors_config parse_cors(const json& value, const std::string& pointer) {
  require_object(value, pointer);
  check_fields(value, pointer,
               {"AccessControlAllowOrigins", "AccessControlAllowHeaders", "AccessControlAllowMethods",
                "AccessControlAllowCredentials", "AccessControlExposeHeaders", "AccessControlMaxAgeSec",
                "OriginOverride"});
  cors_config out;
  out.allow_origins = get_string_list(required(value, pointer, "AccessControlAllowOrigins"),
                                      child(pointer, "AccessControlAllowOrigins"));
  out.allow_headers = get_string_list(required(value, pointer, "AccessControlAllowHeaders"),
                                      child(pointer, "AccessControlAllowHeaders"));
  out.allow_methods = get_string_list(required(value, pointer, "AccessControlAllowMethods"),
                                      child(pointer, "AccessControlAllowMethods"));
  static constexpr std::array<std::string_view, 8> methods = {"GET",    "POST",  "OPTIONS", "PUT",
                                                              "DELETE", "PATCH", "HEAD",    "ALL"};
  for (std::size_t i = 0; i < out.allow_methods.size(); ++i) {
    if (std::find(methods.begin(), methods.end(), out.allow_methods[i]) == methods.end())
      fail(child(pointer, "AccessControlAllowMethods") + "/" + std::to_string(i),
           "expected GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD or ALL");
  }
  for (std::size_t i = 0; i < out.allow_origins.size(); ++i) {
    if (!is_valid_allow_origin(out.allow_origins[i]))
      fail(child(pointer, "AccessControlAllowOrigins") + "/" + std::to_string(i),
           "expected \"*\" or an origin such as \"https://www.example.com\" or \"https://*.example.com\"");
  }
  if (out.allow_origins.empty())
    fail(child(pointer, "AccessControlAllowOrigins"), "at least one origin is required");
  out.allow_credentials = get_bool(required(value, pointer, "AccessControlAllowCredentials"),
                                   child(pointer, "AccessControlAllowCredentials"));
  if (value.contains("AccessControlExposeHeaders"))
    out.expose_headers =
        get_string_list(value.at("AccessControlExposeHeaders"), child(pointer, "AccessControlExposeHeaders"));
  if (value.contains("AccessControlMaxAgeSec"))
    out.max_age_sec =
        get_unsigned(value.at("AccessControlMaxAgeSec"), child(pointer, "AccessControlMaxAgeSec"));
  out.origin_override =
      get_bool(required(value, pointer, "OriginOverride"), child(pointer, "OriginOverride"));
  // Browsers refuse "*" with credentials; the API refuses the combination too.
  if (out.allow_credentials &&
      std::find(out.allow_origins.begin(), out.allow_origins.end(), "*") != out.allow_origins.end())
    fail(child(pointer, "AccessControlAllowCredentials"), "true is not allowed with the origin \"*\"");
  return out;
}

// CustomHeadersConfig / RemoveHeadersConfig: {"Quantity": n, "Items": [{...}]} or a bare array.
const json& object_items(const json& value, const std::string& pointer, std::string& at) {
  at = pointer;
  if (value.is_array()) return value;
  require_object(value, pointer);
  check_fields(value, pointer, {"Quantity", "Items"});
  static const json empty = json::array();
  if (!value.contains("Items")) return empty;
  at = child(pointer, "Items");
  if (!value.at("Items").is_array()) fail(at, "expected a list");
  if (value.contains("Quantity") &&
      get_unsigned(value.at("Quantity"), child(pointer, "Quantity")) != value.at("Items").size())
    fail(child(pointer, "Quantity"), "does not match the number of Items");
  return value.at("Items");
}

}  // namespace

response_headers_policy response_headers_policy_from_json(const json& outer,
                                                          const std::string& outer_pointer) {
  const json& value = unwrap(outer, "ResponseHeadersPolicyConfig");
  const std::string pointer =
      &value == &outer ? outer_pointer : child(outer_pointer, "ResponseHeadersPolicyConfig");
  require_object(value, pointer);
  check_fields(value, pointer,
               {"Name", "Comment", "CorsConfig", "CustomHeadersConfig", "SecurityHeadersConfig",
                "RemoveHeadersConfig", "ServerTimingHeadersConfig"});
  response_headers_policy out;
  out.name = get_string(required(value, pointer, "Name"), child(pointer, "Name"));
  if (value.contains("Comment")) out.comment = get_string(value.at("Comment"), child(pointer, "Comment"));
  if (value.contains("CorsConfig"))
    out.cors = parse_cors(value.at("CorsConfig"), child(pointer, "CorsConfig"));
  if (value.contains("CustomHeadersConfig")) {
    std::string at;
    const json& items =
        object_items(value.at("CustomHeadersConfig"), child(pointer, "CustomHeadersConfig"), at);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string item_at = at + "/" + std::to_string(i);
      const json& item = items[i];
      require_object(item, item_at);
      check_fields(item, item_at, {"Header", "Value", "Override"});
      out.custom_headers.push_back({get_string(required(item, item_at, "Header"), child(item_at, "Header")),
                                    get_string(required(item, item_at, "Value"), child(item_at, "Value")),
                                    read_override(item, item_at)});
    }
  }
  if (value.contains("SecurityHeadersConfig"))
    parse_security(value.at("SecurityHeadersConfig"), child(pointer, "SecurityHeadersConfig"), out);
  if (value.contains("RemoveHeadersConfig")) {
    std::string at;
    const json& items =
        object_items(value.at("RemoveHeadersConfig"), child(pointer, "RemoveHeadersConfig"), at);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string item_at = at + "/" + std::to_string(i);
      require_object(items[i], item_at);
      check_fields(items[i], item_at, {"Header"});
      std::string header = get_string(required(items[i], item_at, "Header"), child(item_at, "Header"));
      if (is_unremovable(header))
        fail(child(item_at, "Header"), "CloudFront does not remove \"" + header + "\"");
      out.remove_headers.push_back(std::move(header));
    }
  }
  // ServerTimingHeadersConfig is accepted and has no effect (docs/edge.md §2).
  return out;
}

}  // namespace detail

result<cache_policy, edge_error> parse_cache_policy(std::string_view json) {
  return detail::parse_text<cache_policy>(
      json, [](const detail::json& doc) { return detail::cache_policy_from_json(doc, ""); });
}

result<origin_request_policy, edge_error> parse_origin_request_policy(std::string_view json) {
  return detail::parse_text<origin_request_policy>(
      json, [](const detail::json& doc) { return detail::origin_request_policy_from_json(doc, ""); });
}

result<response_headers_policy, edge_error> parse_response_headers_policy(std::string_view json) {
  return detail::parse_text<response_headers_policy>(
      json, [](const detail::json& doc) { return detail::response_headers_policy_from_json(doc, ""); });
}

}  // namespace s3cors::edge
