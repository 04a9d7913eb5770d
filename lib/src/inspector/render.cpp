#include "s3cors/inspector/render.hpp"

#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/explain.hpp"
#include "s3cors/cors/suggest.hpp"
#include "s3cors/edge/response_headers.hpp"
#include "s3cors/s3/route.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <charconv>

namespace s3cors::inspector {
namespace {

using json = nlohmann::ordered_json;

// Invalid UTF-8 (a header may carry anything) becomes U+FFFD instead of an exception.
std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

json optional_string(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json row(const record& r) {
  json j;
  j["id"] = r.id;
  j["time"] = r.time;
  j["listener"] = optional_string(r.listener);
  j["distribution"] = optional_string(r.distribution);
  j["method"] = r.method;
  j["target"] = r.target;
  j["bucket"] = optional_string(r.bucket);
  j["key"] = optional_string(r.key);
  j["status"] = r.status;
  j["bytes"] = r.bytes;
  j["duration_ms"] = r.duration_ms;
  j["origin"] = optional_string(r.origin);
  j["cors"] = optional_string(r.cors);
  j["edge_cache"] = optional_string(r.edge_cache);
  j["fault"] = optional_string(r.fault);
  j["note"] = optional_string(r.note);
  j["refused"] = is_refused(r);
  j["preflight"] = is_preflight(r);
  return j;
}

json pairs(const header_fields& fields) {
  json out = json::array();
  for (const auto& [name, value] : fields) out.push_back(json::array({name, value}));
  return out;
}

json har_headers(const header_fields& fields) {
  json out = json::array();
  for (const auto& [name, value] : fields) out.push_back({{"name", name}, {"value", value}});
  return out;
}

std::string_view status_text(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

// Appends text as a JSON string: printable ASCII is copied; anything else goes through
// nlohmann_json (escapes, and invalid UTF-8 replaced by U+FFFD).
void append_string(std::string& out, std::string_view text) {
  bool plain = true;
  for (std::size_t i = 0; i < text.size() && plain; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) plain = false;
  }
  if (plain) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  out += dump(json(std::string(text)));
}

}  // namespace

// The row is written by hand: it is rendered once per request while a page is open, and
// building a json object first costs several times more.
std::string row_json(const record& r) {
  std::string out;
  out.reserve(256 + r.target.size() + r.key.size() + r.cors.size() + r.note.size());
  const auto field = [&out](std::string_view name) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += "\":";
  };
  const auto text = [&](std::string_view name, const std::string& value, bool nullable) {
    field(name);
    if (nullable && value.empty()) {
      out += "null";
    } else {
      append_string(out, value);
    }
  };
  field("id");
  out += std::to_string(r.id);
  text("time", r.time, false);
  text("listener", r.listener, true);
  text("distribution", r.distribution, true);
  text("method", r.method, false);
  text("target", r.target, false);
  text("bucket", r.bucket, true);
  text("key", r.key, true);
  field("status");
  out += std::to_string(r.status);
  field("bytes");
  out += std::to_string(r.bytes);
  field("duration_ms");
  out += fmt::format("{:.3f}", r.duration_ms);
  text("origin", r.origin, true);
  text("cors", r.cors, true);
  text("edge_cache", r.edge_cache, true);
  text("fault", r.fault, true);
  text("note", r.note, true);
  field("refused");
  out += is_refused(r) ? "true" : "false";
  field("preflight");
  out += is_preflight(r) ? "true" : "false";
  out += '}';
  return out;
}

std::string request_event(const record& r) {
  return fmt::format("id: {}\nevent: request\ndata: {}\n\n", r.id, row_json(r));
}

std::string dropped_event(std::uint64_t dropped) {
  return fmt::format("event: dropped\ndata: {{\"dropped\":{}}}\n\n", dropped);
}

namespace {

// What `s3cors cors explain` prints for the request as the bucket got it.
std::string bucket_explanation(std::string_view bucket, const cors::cors_configuration* config,
                               const cors::cors_request& request, bool preflight) {
  if (config) return cors::explain(*config, request, preflight);
  if (bucket.empty()) return "The request names no bucket: S3 adds no CORS headers.\n";
  return fmt::format(
      "Bucket {} has no CORS configuration: S3 adds no CORS headers to any answer, and refuses every "
      "preflight (403 CORSResponse).\n",
      bucket);
}

bool suggest_bucket_fix(cors_analysis& out, const cors::cors_configuration* config,
                        const cors::cors_request& request, bool preflight) {
  const cors::cors_configuration none;
  auto fix = cors::suggest_fix(config ? *config : none, request, preflight);
  if (!fix) return false;
  out.has_suggestion = true;
  out.layer = "bucket";
  out.summary = std::move(fix->summary);
  out.configuration_json = std::move(fix->configuration_json);
  return true;
}

}  // namespace

cors_analysis analyse(const record& r, const cors::cors_configuration* config) {
  cors_analysis out;
  if (r.origin.empty()) return out;
  out.preflight = r.method == "OPTIONS";
  const cors::cors_request request{r.origin, r.method,
                                   find_header(r.request_headers, "Access-Control-Request-Method"),
                                   find_header(r.request_headers, "Access-Control-Request-Headers")};
  out.explanation = bucket_explanation(r.bucket, config, request, out.preflight);
  // Only a refusal needs a fix; a bucket-less request has no rules to change.
  if (!is_refused(r) || r.bucket.empty()) return out;
  suggest_bucket_fix(out, config, request, out.preflight);
  return out;
}

cors_analysis analyse_edge(const record& r, std::string_view name, const edge::distribution_config& config,
                           const edge::bucket_cors_lookup& bucket_cors) {
  cors_analysis out;
  if (r.origin.empty()) return out;
  out.preflight = r.method == "OPTIONS";
  edge::explain_request viewer;
  viewer.method = r.method;
  viewer.target = r.target;
  viewer.headers.assign(r.request_headers.begin(), r.request_headers.end());
  const edge::request_routing routing = edge::route_request(config, viewer);
  const edge::cache_behavior& b = *routing.behavior;
  const edge::request_view view{viewer.method, viewer.path(), viewer.query(), viewer.headers};

  // 1. The distribution: what `s3cors edge explain` prints for the request, then what it met.
  std::string& text = out.explanation;
  text = fmt::format("1. The distribution {} ({}) in front of bucket {}\n", name, config.id, b.origin_bucket);
  text += edge::render_routing(viewer, routing);
  text += fmt::format("  received:    {}, X-Cache: {}\n", r.status,
                      r.edge_cache.empty() ? "(none)" : r.edge_cache);
  edge::edge_facts facts;
  if (!r.cache_entry.empty()) {
    facts.from_cache = true;
    if (r.cache_entry.starts_with(edge::entry_with_origin))
      facts.entry_origin = r.cache_entry.substr(edge::entry_with_origin.size());
    text += fmt::format("  cache:       answered from the entry stored for {}\n", r.cache_entry);
  }
  if (b.response_headers) {
    const auto& policy = *b.response_headers;
    text += fmt::format("  response headers policy {}: ", policy.name);
    if (policy.cors) {
      std::string origins;
      for (const auto& o : policy.cors->allow_origins) origins += (origins.empty() ? "" : ", ") + o;
      text += fmt::format("CORS for origins {}, OriginOverride {}\n", origins,
                          policy.cors->origin_override ? "true (its headers replace the bucket's)"
                                                       : "false (the bucket's headers win)");
    } else {
      text += "no CORS settings\n";
    }
    if (!r.response_headers_policy.empty())
      text += fmt::format("    this answer: {}\n", r.response_headers_policy);
  } else {
    text += "  response headers policy: none: the edge adds no CORS headers, the bucket's pass through\n";
  }

  // 2. The bucket, as the edge asked it.
  text += fmt::format("\n2. The bucket {}, for the request as the edge forwarded it\n", b.origin_bucket);
  const auto forwarded = [&routing](std::string_view header) -> std::optional<std::string_view> {
    for (const auto& [n, v] : routing.to_origin.headers) {
      if (iequals(n, header)) return std::string_view(v);
    }
    return std::nullopt;
  };
  const auto bucket_rules = bucket_cors ? bucket_cors(b.origin_bucket) : nullptr;
  const auto origin_sent = forwarded("Origin");
  const bool reached = routing.allowed && !edge::answer_preflight_at_edge(b, view);
  const cors::cors_request as_forwarded{origin_sent.value_or(""), r.method,
                                        forwarded("Access-Control-Request-Method"),
                                        forwarded("Access-Control-Request-Headers")};
  if (!routing.allowed) {
    text +=
        "  It did not reach the bucket: the behaviour does not allow the method, the edge answered 403.\n";
  } else if (!reached) {
    text +=
        "  It did not reach the bucket: the response headers policy answered the preflight at the edge.\n";
  } else if (!origin_sent) {
    text +=
        fmt::format("  {}.\n", edge::bucket_cors_judgement(bucket_rules.get(), viewer, routing.to_origin));
  } else {
    if (facts.from_cache) {
      text +=
          "  (This answer came from the cache: the bucket answered the request the entry was stored for. "
          "Its rules for this request:)\n";
    }
    // What `s3cors cors explain` prints, indented under the heading.
    const std::string rules =
        bucket_explanation(b.origin_bucket, bucket_rules.get(), as_forwarded, out.preflight);
    std::string_view rest = rules;
    while (!rest.empty()) {
      const auto eol = rest.find('\n');
      text += "  ";
      text += rest.substr(0, eol == std::string_view::npos ? rest.size() : eol + 1);
      rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    }
  }

  // 3. The browser's check of what was received.
  std::vector<edge::header_field> received(r.response_headers.begin(), r.response_headers.end());
  const edge::browser_verdict verdict = edge::judge_as_browser(view, static_cast<int>(r.status), received);
  text += fmt::format("\n3. The browser\n  {}: {}\n",
                      verdict.outcome == edge::browser_verdict::kind::blocked   ? "BLOCKED"
                      : verdict.outcome == edge::browser_verdict::kind::allowed ? "allowed"
                                                                                : "n/a",
                      verdict.reason);

  if (!is_refused(r) && verdict.outcome != edge::browser_verdict::kind::blocked) return out;
  if (auto fix = edge::suggest_distribution_fix(name, viewer, routing, facts)) {
    out.has_suggestion = true;
    out.layer = "distribution";
    out.summary = fmt::format("distribution {}: {}", name, fix->summary);
    out.configuration_json = std::move(fix->configuration_json);
    return out;
  }
  if (reached && origin_sent && suggest_bucket_fix(out, bucket_rules.get(), as_forwarded, out.preflight))
    out.summary = fmt::format("bucket {}: {}", b.origin_bucket, out.summary);
  return out;
}

std::string detail_json(const record& r, const cors_analysis& analysis) {
  json j = row(r);
  j["request_headers"] = pairs(r.request_headers);
  j["response_headers"] = pairs(r.response_headers);
  j["headers_truncated"] = r.headers_truncated;
  j["response_headers_policy"] = optional_string(r.response_headers_policy);
  j["cache_entry"] = optional_string(r.cache_entry);
  j["explanation"] = optional_string(analysis.explanation);
  if (analysis.has_suggestion) {
    j["suggestion"] = {{"layer", analysis.layer},
                       {"summary", analysis.summary},
                       {"configuration_json", optional_string(analysis.configuration_json)}};
  } else {
    j["suggestion"] = nullptr;
  }
  return dump(j);
}

std::string har_json(std::span<const std::shared_ptr<const record>> records, std::string_view version) {
  json entries = json::array();
  for (const auto& r : records) {
    const std::string_view host = find_header(r->request_headers, "Host").value_or("localhost");
    const std::string_view target = r->target;
    json query = json::array();
    if (const auto q = target.find('?'); q != std::string_view::npos) {
      std::string_view rest = target.substr(q + 1);
      while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view item = rest.substr(0, amp);
        rest.remove_prefix(amp == std::string_view::npos ? rest.size() : amp + 1);
        const auto eq = item.find('=');
        const auto name = s3::percent_decode(item.substr(0, eq), true);
        const auto value =
            s3::percent_decode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true);
        query.push_back(
            {{"name", name.value_or(std::string(item.substr(0, eq)))}, {"value", value.value_or("")}});
      }
    }
    std::int64_t content_size = -1;
    if (const auto length = find_header(r->response_headers, "Content-Length")) {
      std::uint64_t n = 0;
      if (std::from_chars(length->data(), length->data() + length->size(), n).ec == std::errc{})
        content_size = static_cast<std::int64_t>(n);
    }
    json entry;
    entry["startedDateTime"] = r->time;
    entry["time"] = r->duration_ms;
    entry["request"] = {{"method", r->method},
                        {"url", fmt::format("http://{}{}", host, target)},
                        {"httpVersion", "HTTP/1.1"},
                        {"cookies", json::array()},
                        {"headers", har_headers(r->request_headers)},
                        {"queryString", query},
                        {"headersSize", -1},
                        {"bodySize", -1}};
    entry["response"] = {{"status", r->status},
                         {"statusText", status_text(r->status)},
                         {"httpVersion", "HTTP/1.1"},
                         {"cookies", json::array()},
                         {"headers", har_headers(r->response_headers)},
                         {"content",
                          {{"size", content_size < 0 ? 0 : content_size},
                           {"mimeType", find_header(r->response_headers, "Content-Type").value_or("")}}},
                         {"redirectURL", find_header(r->response_headers, "Location").value_or("")},
                         {"headersSize", -1},
                         {"bodySize", -1},
                         {"_transferSize", r->bytes}};
    entry["cache"] = json::object();
    entry["timings"] = {{"send", 0}, {"wait", r->duration_ms}, {"receive", 0}};
    entry["_s3cors"] = {{"id", r->id},
                        {"bucket", optional_string(r->bucket)},
                        {"key", optional_string(r->key)},
                        {"cors", optional_string(r->cors)},
                        {"refused", is_refused(*r)},
                        {"distribution", optional_string(r->distribution)},
                        {"edge_cache", optional_string(r->edge_cache)},
                        {"response_headers_policy", optional_string(r->response_headers_policy)},
                        {"cache_entry", optional_string(r->cache_entry)},
                        {"fault", optional_string(r->fault)},
                        {"note", optional_string(r->note)}};
    entries.push_back(std::move(entry));
  }
  json log;
  log["log"] = {{"version", "1.2"},
                {"creator", {{"name", "s3cors"}, {"version", std::string(version)}}},
                {"pages", json::array()},
                {"entries", std::move(entries)}};
  return dump(log, 1);
}

}  // namespace s3cors::inspector
