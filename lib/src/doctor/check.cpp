#include "s3cors/doctor/check.hpp"

#include "s3cors/cors/evaluate.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>

namespace s3cors::doctor {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

/// A comma-separated header value split into trimmed items.
std::vector<std::string> list_items(std::string_view value) {
  std::vector<std::string> out;
  for (const std::string& item : cors::split_request_headers(value)) out.push_back(item);
  return out;
}

bool list_has(std::string_view list, std::string_view item) {
  const auto items = list_items(list);
  return std::any_of(items.begin(), items.end(), [&](const std::string& i) { return iequal(i, item); });
}

/// Fetch's CORS-safelisted response-header names: readable without Access-Control-Expose-Headers.
bool is_safelisted_response_header(std::string_view name) {
  constexpr std::array<std::string_view, 7> safelisted = {
      "Cache-Control", "Content-Language", "Content-Length", "Content-Type",
      "Expires",       "Last-Modified",    "Pragma"};
  return std::any_of(safelisted.begin(), safelisted.end(),
                     [&](std::string_view s) { return iequal(s, name); });
}

bool is_simple_method(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "POST";
}

/// A cache answered (or sits in front): it says so in Age, X-Cache, Via or CF-Cache-Status.
bool cache_in_front(const http_response& r) {
  return r.header("Age") || r.header("X-Cache") || r.header("Via") || r.header("CF-Cache-Status");
}

/// The rule change for one half of a request (its preflight or the request itself).
std::optional<cors::fix_suggestion> rule_fix(const cors::cors_configuration& rules, const player_request& r,
                                             std::string_view origin, bool preflight,
                                             const std::vector<std::string>& exposed) {
  const std::string acrh = preflight_headers(r);
  cors::cors_request req{origin, r.method, std::nullopt, std::nullopt};
  if (preflight) {
    req.method = "OPTIONS";
    req.access_control_request_method = r.method;
    if (!acrh.empty()) req.access_control_request_headers = acrh;
  }
  std::vector<std::string_view> views(exposed.begin(), exposed.end());
  return cors::suggest_fix(rules, req, preflight, views);
}

void add(request_check& c, verdict level, std::string check, std::string problem, std::string fix,
         std::optional<cors::fix_suggestion> suggestion = std::nullopt) {
  if (suggestion) fix = fmt::format("{} (S3: {})", fix, suggestion->summary);
  c.findings.push_back({level, std::move(check), std::move(problem), std::move(fix), std::move(suggestion)});
  if (level > c.level) c.level = level;
}

/// Access-Control-Allow-Origin/-Credentials as the browser checks them (Fetch "CORS check").
/// Returns false (and records the finding) when the response is blocked.
bool cors_check(request_check& c, const http_response& resp, std::string_view origin, bool preflight,
                const cors::cors_configuration* rules) {
  const player_request& r = c.request;
  const auto acao = resp.header("Access-Control-Allow-Origin");
  const std::string what = preflight ? fmt::format("the preflight (OPTIONS for {})", r.method) : r.method;
  if (!acao) {
    std::optional<cors::fix_suggestion> s;
    if (rules) s = rule_fix(*rules, r, origin, preflight, {});
    if (r.method == "HEAD") {
      add(c, verdict::fail, "head",
          fmt::format("{} from {} gets no Access-Control-Allow-Origin: the browser blocks the HEAD", what,
                      origin),
          "allow HEAD for this origin", std::move(s));
    } else {
      add(c, verdict::fail, "cors",
          fmt::format("{} from {} gets no Access-Control-Allow-Origin (status {}): the browser blocks it",
                      what, origin, resp.status),
          fmt::format("allow {} from {}", r.method, origin), std::move(s));
    }
    return false;
  }
  if (*acao == "*" && r.credentials) {
    std::optional<cors::fix_suggestion> s;
    if (rules) {
      cors::cors_request req{origin, r.method, std::nullopt, std::nullopt};
      const std::string acrh = preflight_headers(r);
      if (preflight) {
        req.method = "OPTIONS";
        req.access_control_request_method = r.method;
        if (!acrh.empty()) req.access_control_request_headers = acrh;
      }
      s = cors::suggest_credentials_fix(*rules, req, preflight);
    }
    add(c, verdict::fail, "credentials",
        fmt::format(
            "{} is sent with credentials but answered Access-Control-Allow-Origin: *, which the browser "
            "refuses for a credentialed request",
            what),
        fmt::format(
            "answer Access-Control-Allow-Origin: {} and Access-Control-Allow-Credentials: true (a rule "
            "naming the origin, not \"*\")",
            origin),
        std::move(s));
    return false;
  }
  if (*acao != "*" && *acao != origin) {
    add(c, verdict::fail, "cors",
        fmt::format("{} is answered Access-Control-Allow-Origin: {}, not {}: the browser blocks it", what,
                    *acao, origin),
        fmt::format("answer Access-Control-Allow-Origin: {}", origin));
    return false;
  }
  if (r.credentials && resp.header("Access-Control-Allow-Credentials").value_or("") != "true") {
    add(c, verdict::fail, "credentials",
        fmt::format("{} is sent with credentials but the answer lacks Access-Control-Allow-Credentials: true",
                    what),
        "answer Access-Control-Allow-Credentials: true");
    return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::ok:
      return "ok";
    case verdict::warn:
      return "warn";
    case verdict::fail:
      return "fail";
  }
  return "unknown";
}

std::optional<std::string_view> http_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequal(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

bool is_safelisted_range(std::string_view value) noexcept {
  // Fetch "simple range header value": bytes=, digits, '-', optional digits; nothing else.
  if (!value.starts_with("bytes=")) return false;
  value.remove_prefix(6);
  const auto dash = value.find('-');
  if (dash == 0 || dash == std::string_view::npos) return false;
  const auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  return digits(value.substr(0, dash)) && digits(value.substr(dash + 1));
}

std::string preflight_headers(const player_request& r) {
  std::vector<std::string> names;
  for (const auto& h : r.headers) names.push_back(to_lower(h));
  if (r.range) names.emplace_back("range");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

bool needs_preflight(const player_request& r) {
  return !is_simple_method(r.method) || !r.headers.empty() || (r.range && !is_safelisted_range(*r.range));
}

request_check check_request(const player_request& request, const exchange& answer, std::string_view origin,
                            const cors::cors_configuration* rules) {
  request_check c{request, verdict::ok, {}};
  if (!answer.actual && !answer.preflight) {
    add(c, verdict::fail, "status",
        fmt::format("no answer: {}", answer.error.empty() ? "not sent" : answer.error),
        "make the URL reachable");
    return c;
  }
  const bool strict = needs_preflight(request);
  if (answer.preflight) {
    const http_response& pre = *answer.preflight;
    request_check pc{request, verdict::ok, {}};
    bool ok = pre.status >= 200 && pre.status < 300;
    if (ok)
      ok = cors_check(pc, pre, origin, true, rules);
    else {
      std::optional<cors::fix_suggestion> s;
      if (rules) s = rule_fix(*rules, request, origin, true, {});
      const std::string acrh = preflight_headers(request);
      add(pc, verdict::fail, request.method == "HEAD" ? "head" : "preflight",
          fmt::format("the preflight (OPTIONS for {}{}) is refused with status {}", request.method,
                      acrh.empty() ? "" : fmt::format(" with headers {}", acrh), pre.status),
          acrh.empty() ? fmt::format("allow {} from {}", request.method, origin)
                       : fmt::format("allow {} with headers {} from {}", request.method, acrh, origin),
          std::move(s));
    }
    if (ok && !is_simple_method(request.method)) {
      const auto acam = pre.header("Access-Control-Allow-Methods").value_or("");
      if (!list_has(acam, request.method) && !(acam == "*" && !request.credentials)) {
        add(pc, verdict::fail, "preflight",
            fmt::format("the preflight does not allow method {}", request.method),
            fmt::format("allow {}", request.method));
      }
    }
    if (ok) {
      const auto acah = pre.header("Access-Control-Allow-Headers").value_or("");
      for (const auto& h : list_items(preflight_headers(request))) {
        if (!list_has(acah, h) && !(acah == "*" && !request.credentials)) {
          std::optional<cors::fix_suggestion> s;
          if (rules) s = rule_fix(*rules, request, origin, true, {});
          add(pc, verdict::fail, "preflight",
              fmt::format("the preflight does not allow request header {}", h),
              fmt::format("allow header {} (Access-Control-Allow-Headers)", h), std::move(s));
        }
      }
    }
    // A preflight only Range causes: current browsers skip it (Range is safelisted), older
    // ones send it, so a refusal is a warning, not a failure.
    for (auto& f : pc.findings) {
      if (!strict) {
        f.level = verdict::warn;
        f.problem += " (only browsers that do not safelist Range send this preflight)";
      }
      if (f.level > c.level) c.level = f.level;
      c.findings.push_back(std::move(f));
    }
    if (strict && pc.level == verdict::fail) return c;  // the request itself is never sent
  }
  if (!answer.actual) {
    if (!answer.error.empty())
      add(c, verdict::fail, "status", fmt::format("no answer: {}", answer.error), "make the URL reachable");
    return c;
  }
  const http_response& resp = *answer.actual;
  if (!cors_check(c, resp, origin, false, rules)) return c;
  if (resp.status >= 400) {
    add(c, verdict::fail, "status", fmt::format("answered status {}", resp.status),
        "make the object readable (it exists, the bucket policy allows anonymous reads)");
    return c;
  }
  if (request.range && resp.status == 200) {
    // A byte-range segment answered with the whole object: the player appends the wrong bytes.
    add(c, verdict::fail, "range",
        fmt::format("Range {} is answered 200 with the whole object; the player needs 206 Partial Content",
                    *request.range),
        "serve byte ranges: 206 with Content-Range (a cache in front must forward Range)");
  }
  // Exposed headers: what JavaScript reads must be safelisted or in Access-Control-Expose-Headers.
  const auto aceh = resp.header("Access-Control-Expose-Headers").value_or("");
  std::vector<const header_read*> missing_reads;
  for (const header_read& h : request.reads) {
    if (is_safelisted_response_header(h.name) || !resp.header(h.name)) continue;
    if (list_has(aceh, h.name) || (aceh == "*" && !request.credentials)) continue;
    missing_reads.push_back(&h);
  }
  if (!missing_reads.empty()) {
    std::vector<std::string> names;
    for (const auto* h : missing_reads) names.push_back(h->name);
    std::optional<cors::fix_suggestion> s;
    if (rules) s = rule_fix(*rules, request, origin, false, names);
    for (const auto* h : missing_reads) {
      add(c, h->required ? verdict::fail : verdict::warn, "expose",
          fmt::format(
              "{} reads the {} response header ({}), which Access-Control-Expose-Headers does not expose",
              to_string(request.kind), h->name, h->source),
          fmt::format("expose {}", h->name), s);
    }
  }
  // Vary: a cache that keys on the URL alone hands one origin's Allow-Origin to another.
  const auto acao = resp.header("Access-Control-Allow-Origin");
  if (cache_in_front(resp) && acao && *acao != "*") {
    const auto vary = resp.header("Vary").value_or("");
    if (!list_has(vary, "Origin") && vary != "*") {
      add(c, verdict::fail, "vary",
          "a cache is in front (Age/X-Cache/Via) and Access-Control-Allow-Origin names the origin, but the "
          "response has no Vary: Origin: the cache may serve it to another origin, which the browser blocks",
          "send Vary: Origin (S3 does when a rule matches; an edge must keep it or put Origin in its cache "
          "key)");
    }
  }
  return c;
}

verdict report::overall() const noexcept {
  verdict v = verdict::ok;
  for (const auto& c : checks) v = std::max(v, c.level);
  return v;
}

std::optional<cors::fix_suggestion> combine_fixes(const cors::cors_configuration& rules,
                                                  const std::vector<request_check>& checks,
                                                  std::string_view origin) {
  cors::cors_configuration current = rules;
  std::vector<std::string> summaries;
  std::optional<cors::fix_suggestion> last;
  auto apply = [&](const std::optional<cors::fix_suggestion>& s) {
    if (!s) return;
    auto next = cors::suggested_configuration(*s);
    if (!next) return;
    current = std::move(*next);
    summaries.push_back(s->summary);
    last = s;
  };
  for (const auto& c : checks) {
    bool preflight = false, actual = false, credentials = false;
    // What the player needs exposed, also when a refusal hid the question.
    std::vector<std::string> exposed;
    for (const auto& h : c.request.reads) {
      if (h.required && !is_safelisted_response_header(h.name)) exposed.push_back(h.name);
    }
    for (const auto& f : c.findings) {
      if (!f.suggestion && f.check != "credentials") continue;
      if (f.check == "expose") {
        for (const auto& h : c.request.reads) {
          if (f.problem.find(fmt::format(" {} response header", h.name)) != std::string::npos &&
              std::find(exposed.begin(), exposed.end(), h.name) == exposed.end())
            exposed.push_back(h.name);
        }
        actual = true;
      } else if (f.check == "credentials") {
        credentials = true;
      } else if (f.problem.starts_with("the preflight")) {
        preflight = true;
      } else {
        actual = true;
      }
    }
    if (preflight) apply(rule_fix(current, c.request, origin, true, {}));
    if (actual) apply(rule_fix(current, c.request, origin, false, exposed));
    if (credentials || c.request.credentials) {
      // Also when another finding hid it: once the request is allowed, a "*" rule would still
      // refuse a credentialed page.
      cors::cors_request req{origin, c.request.method, std::nullopt, std::nullopt};
      apply(cors::suggest_credentials_fix(current, req, false));
    }
  }
  if (!last) return std::nullopt;
  std::string summary;
  for (const auto& s : summaries) {
    if (summary.find(s) == std::string::npos) summary += (summary.empty() ? "" : "; ") + s;
  }
  return cors::fix_suggestion{summary, last->configuration_json,
                              summaries.size() == 1 ? last->rule : std::nullopt};
}

namespace {

/// Requests grouped by kind, in the order kinds first appear.
std::vector<std::pair<request_kind, std::vector<const request_check*>>> by_kind(const report& r) {
  std::vector<std::pair<request_kind, std::vector<const request_check*>>> out;
  for (const auto& c : r.checks) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == c.request.kind; });
    if (it == out.end()) {
      out.push_back({c.request.kind, {}});
      it = std::prev(out.end());
    }
    it->second.push_back(&c);
  }
  return out;
}

verdict worst(const std::vector<const request_check*>& cs) {
  verdict v = verdict::ok;
  for (const auto* c : cs) v = std::max(v, c->level);
  return v;
}

std::string describe(const player_request& r) {
  std::string s = fmt::format("{} {}", r.method, r.url);
  if (r.range) s += fmt::format(" (Range: {})", *r.range);
  if (r.credentials) s += " [credentials]";
  return s;
}

}  // namespace

std::string to_text(const report& r) {
  std::string out = fmt::format("s3cors doctor: {} as {} from origin {}\n", r.url, to_string(r.p), r.origin);
  out += r.rules_known ? "CORS rules: read with GetBucketCors; fixes name the rule to change\n"
                       : "CORS rules: not readable; judged from the server's real answers\n";
  if (r.insecure) out += "TLS: certificate verification off (--insecure)\n";
  for (const auto& [kind, cs] : by_kind(r)) {
    out += fmt::format("\n[{}] {} ({} request{})\n", to_string(worst(cs)), to_string(kind), cs.size(),
                       cs.size() == 1 ? "" : "s");
    for (const auto* c : cs) {
      out += fmt::format("  {} {}\n", to_string(c->level), describe(c->request));
      for (const auto& f : c->findings) {
        out += fmt::format("    {} {}: {}\n      fix: {}\n", to_string(f.level), f.check, f.problem, f.fix);
      }
    }
  }
  out += fmt::format("\nVerdict: {}\n", to_string(r.overall()));
  if (r.combined) {
    out += fmt::format(
        "Fix: {}\nCORS configuration to apply (aws s3api put-bucket-cors --cors-configuration):\n{}\n",
        r.combined->summary, r.combined->configuration_json);
  }
  return out;
}

std::string to_json(const report& r) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["url"] = r.url;
  doc["origin"] = r.origin;
  doc["player"] = std::string(to_string(r.p));
  doc["rules_known"] = r.rules_known;
  doc["tls_verify"] = !r.insecure;
  doc["verdict"] = std::string(to_string(r.overall()));
  nlohmann::ordered_json kinds = nlohmann::ordered_json::array();
  for (const auto& [kind, cs] : by_kind(r)) {
    nlohmann::ordered_json k = nlohmann::ordered_json::object();
    k["kind"] = std::string(to_string(kind));
    k["verdict"] = std::string(to_string(worst(cs)));
    nlohmann::ordered_json requests = nlohmann::ordered_json::array();
    for (const auto* c : cs) {
      nlohmann::ordered_json q = nlohmann::ordered_json::object();
      q["method"] = c->request.method;
      q["url"] = c->request.url;
      q["range"] = c->request.range ? nlohmann::ordered_json(*c->request.range) : nlohmann::ordered_json();
      q["credentials"] = c->request.credentials;
      q["rendition"] = c->request.rendition;
      q["source"] = c->request.source;
      q["verdict"] = std::string(to_string(c->level));
      nlohmann::ordered_json findings = nlohmann::ordered_json::array();
      for (const auto& f : c->findings) {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        j["verdict"] = std::string(to_string(f.level));
        j["check"] = f.check;
        j["problem"] = f.problem;
        j["fix"] = f.fix;
        if (f.suggestion) {
          j["rule_change"] = f.suggestion->summary;
          j["rule"] =
              f.suggestion->rule ? nlohmann::ordered_json(*f.suggestion->rule) : nlohmann::ordered_json();
        }
        findings.push_back(std::move(j));
      }
      q["findings"] = std::move(findings);
      requests.push_back(std::move(q));
    }
    k["requests"] = std::move(requests);
    kinds.push_back(std::move(k));
  }
  doc["kinds"] = std::move(kinds);
  if (r.combined) {
    doc["fix"] = {{"summary", r.combined->summary},
                  {"configuration", nlohmann::ordered_json::parse(r.combined->configuration_json)}};
  } else {
    doc["fix"] = nullptr;
  }
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace s3cors::doctor
