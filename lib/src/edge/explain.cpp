#include "s3cors/edge/explain.hpp"

#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/explain.hpp"
#include "s3cors/edge/gateway.hpp"
#include "s3cors/edge/response_headers.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>

namespace s3cors::edge {
namespace {

using json = nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string_view> find_field(const std::vector<header_field>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

// A comma-separated list (Access-Control-Allow-Methods/-Headers) contains `item` or "*"
// (methods compare case-sensitively as the Fetch standard does, header names ignoring case).
bool list_allows(std::optional<std::string_view> list, std::string_view item, bool ignore_case) {
  if (!list) return false;
  std::string_view rest = *list;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view one = trim(rest.substr(0, comma));
    if (one == "*" || (ignore_case ? iequals(one, item) : one == item)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

std::string join_fields(const std::vector<header_field>& fields) {
  std::string out;
  for (const auto& [name, value] : fields)
    out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", name, value);
  return out.empty() ? "(none)" : out;
}

// The key's parts, one per line in the key, shown on one line.
std::string printable_key(std::string_view key) {
  std::string out;
  for (const char c : key) out += c == '\n' ? std::string(" | ") : std::string(1, c);
  return out;
}

std::string origin_text(const std::optional<std::string>& origin) {
  return origin ? "Origin " + *origin : std::string("no Origin");
}

// Fragments of the configuration file keep their fields in the order written.
using ordered = nlohmann::ordered_json;

// The behaviour's place in s3cors's distribution JSON: {"default_behavior": change} or
// {"behaviors": [{"path_pattern": ..., change}]} (the entry with that pattern).
ordered behaviour_fragment(std::string_view name, const request_routing& routing, ordered change) {
  ordered dist;
  if (routing.behavior_index) {
    ordered entry{{"path_pattern", routing.behavior->path_pattern}};
    entry.update(change);
    dist["behaviors"] = ordered::array({entry});
  } else {
    dist["default_behavior"] = std::move(change);
  }
  return ordered{{"distributions", {{std::string(name), std::move(dist)}}}};
}

ordered values_json(std::string_view kind, const values_config& values) {
  ordered out{{std::string(kind) + "Behavior", std::string(to_string(values.behavior))}};
  if (!values.items.empty()) {
    out[std::string(kind) + "s"] = {{"Quantity", values.items.size()}, {"Items", values.items}};
  }
  return out;
}

// The cache policy in the CloudFront API's shape (CachePolicyConfig), as the configuration takes
// it inline.
ordered cache_policy_json(const cache_policy& p) {
  return ordered{{"Name", p.name},
                 {"MinTTL", p.min_ttl},
                 {"DefaultTTL", p.default_ttl},
                 {"MaxTTL", p.max_ttl},
                 {"ParametersInCacheKeyAndForwardedToOrigin",
                  {{"EnableAcceptEncodingGzip", p.enable_accept_encoding_gzip},
                   {"EnableAcceptEncodingBrotli", p.enable_accept_encoding_brotli},
                   {"HeadersConfig", values_json("Header", p.headers)},
                   {"CookiesConfig", values_json("Cookie", p.cookies)},
                   {"QueryStringsConfig", values_json("QueryString", p.query_strings)}}}};
}

std::string behaviour_name(const request_routing& routing) {
  return routing.behavior_index ? fmt::format("CacheBehaviors[{}] (PathPattern \"{}\")",
                                              *routing.behavior_index, routing.behavior->path_pattern)
                                : std::string("DefaultCacheBehavior");
}

bool key_has_origin(const cache_behavior& b) {
  return b.cache.headers.behavior == behavior::whitelist &&
         std::any_of(b.cache.headers.items.begin(), b.cache.headers.items.end(),
                     [](const std::string& h) { return iequals(h, "Origin"); });
}

}  // namespace

std::optional<std::string_view> explain_request::header(std::string_view name) const noexcept {
  return find_field(headers, name);
}

std::string_view explain_request::path() const noexcept {
  return std::string_view(target).substr(0, target.find('?'));
}

std::string_view explain_request::query() const noexcept {
  const auto q = target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
}

std::optional<header_field> parse_header_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view name = trim(line.substr(0, colon));
  if (name.empty()) return std::nullopt;
  return header_field{std::string(name), std::string(trim(line.substr(colon + 1)))};
}

result<std::vector<explain_request>, std::string> parse_explain_requests(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return std::string("not valid JSON: ") + e.what();
  }
  if (doc.is_object() && doc.contains("requests")) doc = doc.at("requests");
  if (!doc.is_array() || doc.empty()) return std::string("expected a non-empty array of requests");
  std::vector<explain_request> out;
  std::int64_t at = 0;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& item = doc[i];
    const auto where = fmt::format("request {}", i + 1);
    if (!item.is_object()) return where + ": expected an object";
    explain_request r;
    if (item.contains("method")) {
      if (!item.at("method").is_string()) return where + ": \"method\" must be a string";
      r.method = item.at("method").get<std::string>();
    }
    if (!item.contains("path") || !item.at("path").is_string())
      return where + ": \"path\" (a string starting with '/') is required";
    r.target = item.at("path").get<std::string>();
    if (!r.target.starts_with('/')) return where + ": \"path\" must start with '/'";
    if (item.contains("headers")) {
      const json& headers = item.at("headers");
      if (headers.is_object()) {
        for (const auto& [name, value] : headers.items()) {
          if (!value.is_string()) return where + ": header " + name + " must be a string";
          r.headers.emplace_back(name, value.get<std::string>());
        }
      } else if (headers.is_array()) {
        for (const auto& line : headers) {
          auto field = line.is_string() ? parse_header_line(line.get<std::string>()) : std::nullopt;
          if (!field) return where + ": each header must be a string \"Name: value\"";
          r.headers.push_back(std::move(*field));
        }
      } else {
        return where + ": \"headers\" must be an object or an array of \"Name: value\"";
      }
    }
    if (item.contains("at")) {
      if (!item.at("at").is_number_integer() || item.at("at").get<std::int64_t>() < at)
        return where + ": \"at\" must be whole seconds, not before the previous request's";
      at = item.at("at").get<std::int64_t>();
    }
    r.at = at;
    out.push_back(std::move(r));
  }
  return out;
}

request_routing route_request(const distribution_config& config, const explain_request& request) {
  request_routing out;
  const request_view view{request.method, request.path(), request.query(), request.headers};
  out.behavior = &match_behavior(config, view.path);
  for (std::size_t i = 0; i < config.behaviors.size(); ++i) {
    if (&config.behaviors[i] == out.behavior) out.behavior_index = i;
  }
  out.allowed = out.behavior->allows(request.method);
  out.cached = out.allowed && out.behavior->caches(request.method);
  out.key = compute_cache_key(config.id, *out.behavior, view);
  out.to_origin = build_origin_request(*out.behavior, view);
  return out;
}

browser_verdict judge_as_browser(const request_view& request, int status,
                                 const std::vector<header_field>& response_headers) {
  using kind = browser_verdict::kind;
  const auto origin = request.header("Origin");
  if (!origin || origin->empty()) return {kind::not_cors, "not a CORS request (no Origin)"};
  const auto allow_origin = find_field(response_headers, "Access-Control-Allow-Origin");
  if (!allow_origin)
    return {kind::blocked,
            fmt::format("no Access-Control-Allow-Origin: the browser refuses it for {}", *origin)};
  if (*allow_origin != "*" && *allow_origin != *origin) {
    return {kind::blocked,
            fmt::format("Access-Control-Allow-Origin is {}, not {} (nor *)", *allow_origin, *origin)};
  }
  const auto method = request.header("Access-Control-Request-Method");
  if (request.method == "OPTIONS" && method) {
    // A preflight: an ok status, then the method and the requested headers must be allowed.
    if (status < 200 || status > 299)
      return {kind::blocked, fmt::format("the preflight answered {}, not 2xx", status)};
    const bool simple = *method == "GET" || *method == "HEAD" || *method == "POST";
    if (!simple && !list_allows(find_field(response_headers, "Access-Control-Allow-Methods"), *method, false))
      return {kind::blocked, fmt::format("Access-Control-Allow-Methods does not list {}", *method)};
    if (const auto requested = request.header("Access-Control-Request-Headers")) {
      std::string_view rest = *requested;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view name = trim(rest.substr(0, comma));
        const bool safelisted = iequals(name, "accept") || iequals(name, "accept-language") ||
                                iequals(name, "content-language") || iequals(name, "content-type");
        if (!name.empty() && !safelisted &&
            !list_allows(find_field(response_headers, "Access-Control-Allow-Headers"), name, true))
          return {kind::blocked, fmt::format("Access-Control-Allow-Headers does not list {}", name)};
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    return {kind::allowed, fmt::format("preflight allowed for {} ({})", *origin, *method)};
  }
  return {kind::allowed, fmt::format("allowed: Access-Control-Allow-Origin: {}", *allow_origin)};
}

std::string bucket_cors_judgement(const cors::cors_configuration* config, const explain_request& request,
                                  const origin_request& to_origin) {
  const auto origin = find_field(to_origin.headers, "Origin");
  if (!origin) {
    return "Origin is not forwarded to the bucket (neither policy names it): S3 sends no CORS headers, so "
           "only a response headers policy can add them";
  }
  if (config == nullptr) return "the bucket has no CORS configuration: S3 sends no CORS headers";
  const auto method = find_field(to_origin.headers, "Access-Control-Request-Method");
  const bool preflight = request.method == "OPTIONS" && method.has_value();
  const cors::cors_request judged{*origin, request.method, method,
                                  find_field(to_origin.headers, "Access-Control-Request-Headers")};
  const cors::decision d = cors::evaluate(*config, judged, preflight);
  std::string out = cors::one_line_explanation(d);
  if (d.matched_rule) {
    for (const auto& [name, value] : d.headers) {
      if (name == "Access-Control-Allow-Origin") out += ": S3 sends Access-Control-Allow-Origin: " + value;
    }
  } else {
    out += ": S3 sends no CORS headers";
  }
  return out;
}

std::vector<explained_step> replay(const distribution_config& config, const origin& origin,
                                   const std::vector<explain_request>& requests,
                                   std::chrono::sys_seconds start, const bucket_cors_lookup& bucket_cors) {
  auto now = std::make_shared<std::chrono::sys_seconds>(start);
  gateway_options options;
  options.clock = [now] { return *now; };
  gateway edge(config, origin, std::move(options));
  // The entry each key holds and the request that stored it.
  std::map<std::string, std::pair<std::shared_ptr<const cached_response>, std::size_t>> stored_by;
  std::vector<explained_step> out;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const explain_request& r = requests[i];
    *now = start + std::chrono::seconds(r.at);
    explained_step step;
    step.routing = route_request(config, r);
    request req;
    req.verb = method_from_string(r.method);
    req.method_name = r.method;
    req.target = r.target;
    for (const auto& [name, value] : r.headers) req.headers.add(name, value);
    const s3::request_context ctx(*now, fmt::format("EXPLAIN{:04}", i + 1), fmt::format("explain-{}", i + 1));
    started_request started = edge.start(req, ctx);
    if (started.body) started.reply = started.body->finish();
    const response& res = started.reply.res;
    step.status = static_cast<int>(res.status);
    const std::vector<header_field> fields = res.headers.fields();
    step.x_cache = std::string(find_field(fields, "X-Cache").value_or(""));
    if (auto age = find_field(fields, "Age")) step.age = std::string(*age);
    for (const auto& [name, value] : fields) {
      if (name.size() > 15 && iequals(std::string_view(name).substr(0, 15), "Access-Control-"))
        step.cors.emplace_back(name, value);
      else if (iequals(name, "Vary"))
        step.cors.emplace_back(name, value);
    }
    if (bucket_cors && step.routing.allowed && r.header("Origin")) {
      const auto rules = bucket_cors(step.routing.behavior->origin_bucket);
      step.bucket_rules = bucket_cors_judgement(rules.get(), r, step.routing.to_origin);
    }
    step.verdict =
        judge_as_browser(request_view{r.method, r.path(), r.query(), r.headers}, step.status, fields);
    if (step.routing.cached) {
      const std::string& key = step.routing.key.text;
      const auto entry = edge.cache().peek(key);
      const auto known = stored_by.find(key);
      if (entry && (known == stored_by.end() || known->second.first != entry)) {
        step.stored = true;
        step.entry_from = i;
        step.ttl = static_cast<std::uint64_t>((entry->expires_at - entry->stored_at).count());
        step.entry_origin = entry->stored_for_origin;
        // A revalidated entry (RefreshHit) keeps the response of the request that stored it.
        if (known != stored_by.end() && step.x_cache.starts_with("RefreshHit"))
          step.entry_from = known->second.second;
        stored_by[key] = {entry, *step.entry_from};
      } else if (entry && known != stored_by.end() && step.x_cache.starts_with("Hit")) {
        step.entry_from = known->second.second;
        step.entry_origin = entry->stored_for_origin;
      }
    }
    out.push_back(std::move(step));
  }
  return out;
}

std::string render_routing(const explain_request& request, const request_routing& routing) {
  const cache_behavior& b = *routing.behavior;
  std::string out;
  if (routing.behavior_index) {
    out += fmt::format(
        "  behaviour:   CacheBehaviors[{}], PathPattern \"{}\": the first in order that matches {}\n",
        *routing.behavior_index, b.path_pattern, request.path());
  } else {
    out += fmt::format("  behaviour:   DefaultCacheBehavior (*): no CacheBehavior's PathPattern matches {}\n",
                       request.path());
  }
  out += fmt::format("  policies:    cache {}; origin request {}; response headers {}\n",
                     b.cache.name.empty() ? "(legacy TTLs)" : b.cache.name,
                     b.origin_request ? b.origin_request->name : std::string("(none)"),
                     b.response_headers ? b.response_headers->name : std::string("(none)"));
  if (!routing.allowed) {
    out += fmt::format("  method:      {} is not among the allowed methods: CloudFront answers 403\n",
                       request.method);
  } else if (!routing.cached) {
    out += fmt::format("  method:      {} is not a cached method: forwarded to the origin, never cached\n",
                       request.method);
  } else {
    out += fmt::format("  cache key:   {}\n", printable_key(routing.key.text));
  }
  if (routing.allowed) {
    out += fmt::format("  to origin:   {} /{}{}{} (what a miss sends)\n", routing.to_origin.method,
                       b.origin_bucket, request.path(),
                       routing.to_origin.query.empty() ? "" : "?" + routing.to_origin.query);
    out += fmt::format("    headers:   {}\n", join_fields(routing.to_origin.headers));
    out += fmt::format("    query:     {}\n",
                       routing.to_origin.query.empty() ? "(none)" : routing.to_origin.query);
  }
  return out;
}

std::optional<distribution_fix> suggest_distribution_fix(std::string_view name,
                                                         const explain_request& request,
                                                         const request_routing& routing,
                                                         const edge_facts& facts) {
  const auto origin = request.header("Origin");
  if (!origin || origin->empty() || routing.behavior == nullptr) return std::nullopt;
  const cache_behavior& b = *routing.behavior;
  const bool preflight =
      request.method == "OPTIONS" && request.header("Access-Control-Request-Method").has_value();
  const auto& policy = b.response_headers;
  const bool policy_allows_origin = policy && policy->cors && is_origin_allowed(*policy->cors, *origin);
  if (!routing.allowed) {
    const request_view view{request.method, request.path(), request.query(), request.headers};
    if (answer_preflight_at_edge(b, view)) {
      // The response headers policy answers the preflight at the edge: its origins decide.
      if (policy_allows_origin) return std::nullopt;
      return distribution_fix{
          fmt::format("add {} to the AccessControlAllowOrigins of the response headers policy {} of {}: the "
                      "behaviour does not allow OPTIONS, so that policy answers the preflight at the edge, "
                      "and it refuses (403) an Origin it does not list",
                      *origin, policy->name, behaviour_name(routing)),
          {}};
    }
    // CloudFront's three method sets: OPTIONS needs the second, anything else the third.
    const bool options = request.method == "OPTIONS";
    const ordered methods =
        options ? ordered::array({"GET", "HEAD", "OPTIONS"})
                : ordered::array({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"});
    std::string allowed;
    for (const auto& m : b.allowed_methods) allowed += (allowed.empty() ? "" : ", ") + m;
    return distribution_fix{
        fmt::format("allow {} in the cache behaviour {}: it allows only {}, so the edge refuses the {} (403) "
                    "before it reaches the bucket",
                    request.method, behaviour_name(routing), allowed, preflight ? "preflight" : "request"),
        behaviour_fragment(name, routing, ordered{{"allowed_methods", methods}}).dump(2)};
  }
  if (policy_allows_origin) return std::nullopt;  // the edge adds the CORS headers itself
  // What the bucket needs to see to answer with CORS headers.
  std::vector<std::string_view> missing;
  const auto& forwarded = routing.to_origin.headers;
  if (!find_field(forwarded, "Origin")) missing.push_back("Origin");
  if (preflight && !find_field(forwarded, "Access-Control-Request-Method"))
    missing.push_back("Access-Control-Request-Method");
  if (preflight && request.header("Access-Control-Request-Headers") &&
      !find_field(forwarded, "Access-Control-Request-Headers"))
    missing.push_back("Access-Control-Request-Headers");
  if (!missing.empty()) {
    std::string names;
    for (const auto m : missing) names += fmt::format("{}{}", names.empty() ? "" : ", ", m);
    std::string summary = fmt::format(
        "forward the {} header{}: set the origin request policy of {} to CORS-S3Origin{} (it forwards "
        "Origin, "
        "Access-Control-Request-Method and Access-Control-Request-Headers); without Origin the bucket sees "
        "no "
        "cross-origin request and S3 sends no CORS headers",
        names, missing.size() > 1 ? "s" : "", behaviour_name(routing),
        b.origin_request ? fmt::format(" instead of {}", b.origin_request->name) : std::string());
    if (routing.cached && !key_has_origin(b)) {
      summary += fmt::format(
          ". The cache key does not hold Origin: invalidate {} (the entries cached so far have no CORS "
          "headers), "
          "and put Origin in the cache policy's key if the path is also read without Origin or from other "
          "origins",
          request.path());
    }
    return distribution_fix{
        std::move(summary),
        behaviour_fragment(name, routing, ordered{{"origin_request_policy", "CORS-S3Origin"}}).dump(2)};
  }
  if (facts.from_cache && routing.cached && !key_has_origin(b) &&
      facts.entry_origin != std::string(*origin)) {
    // Served a copy made for another request: the cache key does not tell them apart.
    cache_policy keyed = b.cache;
    keyed.name = (keyed.name.empty() ? std::string("legacy") : keyed.name) + "-with-Origin";
    keyed.headers.behavior = behavior::whitelist;
    keyed.headers.items.emplace_back("Origin");
    return distribution_fix{
        fmt::format(
            "put Origin in the cache policy's key ({}{}): this answer came from the cache entry stored "
            "for a request with {}, whose CORS headers were made for that request; until the change, "
            "invalidate {}",
            behaviour_name(routing),
            b.cache.name.empty() ? ", and remove its min_ttl, default_ttl and max_ttl" : "",
            origin_text(facts.entry_origin), request.path()),
        behaviour_fragment(name, routing, ordered{{"cache_policy", cache_policy_json(keyed)}}).dump(2)};
  }
  return std::nullopt;
}

std::string render_explanation(std::string_view name, const distribution_config& config,
                               const std::vector<explain_request>& requests,
                               const std::vector<explained_step>& steps) {
  std::string out =
      fmt::format("Distribution {} ({}), origin bucket {}\n", name, config.id, config.origin_bucket);
  std::size_t cross_origin = 0;
  std::size_t blocked = 0;
  for (std::size_t i = 0; i < steps.size() && i < requests.size(); ++i) {
    const explain_request& r = requests[i];
    const explained_step& s = steps[i];
    const auto origin = r.header("Origin");
    out +=
        fmt::format("\n#{} {} {}{} (t+{}s)\n", i + 1, r.method, r.target,
                    origin ? fmt::format(" with Origin: {}", *origin) : std::string(" without Origin"), r.at);
    for (const auto& [hname, hvalue] : r.headers) {
      if (!iequals(hname, "Origin")) out += fmt::format("   {}: {}\n", hname, hvalue);
    }
    out += render_routing(r, s.routing);
    out += fmt::format("  received:    {}, X-Cache: {}{}\n", s.status,
                       s.x_cache.empty() ? "(none)" : s.x_cache, s.age ? ", Age: " + *s.age : std::string());
    if (s.stored && s.entry_from == i) {
      out += fmt::format("  cache:       this response populated the entry (request with {}; TTL {}s)\n",
                         origin_text(s.entry_origin), s.ttl);
    } else if (s.entry_from) {
      out += fmt::format("  cache:       answered from the entry request #{} populated (request with {})\n",
                         *s.entry_from + 1, origin_text(s.entry_origin));
    } else if (s.routing.cached && s.routing.allowed) {
      out += "  cache:       not stored\n";
    }
    if (s.bucket_rules) out += fmt::format("  bucket CORS: {}\n", *s.bucket_rules);
    out += fmt::format("  CORS:        {}\n", join_fields(s.cors));
    const char* verdict = s.verdict.outcome == browser_verdict::kind::blocked   ? "BLOCKED"
                          : s.verdict.outcome == browser_verdict::kind::allowed ? "allowed"
                                                                                : "n/a";
    out += fmt::format("  browser:     {}: {}\n", verdict, s.verdict.reason);
    if (s.verdict.outcome != browser_verdict::kind::not_cors) ++cross_origin;
    if (s.verdict.outcome == browser_verdict::kind::blocked) {
      ++blocked;
      if (s.entry_from && *s.entry_from != i) {
        // Served a copy made for another request: the cache key does not tell them apart.
        out += s.entry_origin
                   ? fmt::format(
                         "  why:         the cached copy came from request #{}, with Origin {}: its CORS "
                         "headers were\n"
                         "               made for that origin; every request with this cache key gets "
                         "that copy until it expires.\n",
                         *s.entry_from + 1, *s.entry_origin)
                   : fmt::format(
                         "  why:         the cached copy came from request #{}, which had no Origin, so "
                         "the bucket sent no\n"
                         "               CORS headers; every request with this cache key gets that copy "
                         "until it expires.\n",
                         *s.entry_from + 1);
        out += fmt::format(
            "  fix:         put Origin in the cache policy's key, add a CORS response headers policy\n"
            "               (e.g. SimpleCORS), or invalidate {}\n",
            r.path());
      }
    }
  }
  out += fmt::format("\nSummary: {} request(s), {} cross-origin, {} blocked\n", steps.size(), cross_origin,
                     blocked);
  return out;
}

std::string refused_from_cache_message(std::string_view distribution, std::string_view method,
                                       std::string_view target, std::string_view origin,
                                       std::string_view x_cache, std::string_view key,
                                       const std::optional<std::string>& stored_for_origin,
                                       std::string_view reason) {
  return fmt::format(
      "edge {}: cross-origin {} {} from Origin {} answered from cache ({}, key {}) and refused by the "
      "browser: "
      "{}; the entry was stored for a request with {}. Fix: put Origin in the cache policy's key, add a CORS "
      "response headers policy (e.g. SimpleCORS), or invalidate {}",
      distribution, method, target, origin, x_cache, printable_key(key), reason,
      origin_text(stored_for_origin), target.substr(0, target.find('?')));
}

}  // namespace s3cors::edge
