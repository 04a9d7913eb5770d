#include "s3cors/cors/lint.hpp"

#include "cors/detail/text.hpp"
#include "cors/detail/validate_impl.hpp"
#include "s3cors/cors/pattern.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace s3cors::cors {
namespace {

using severity = lint_finding::severity;

bool contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool same_allowances(const cors_rule& a, const cors_rule& b) {
  return a.allowed_origins == b.allowed_origins && a.allowed_methods == b.allowed_methods &&
         a.allowed_headers == b.allowed_headers && a.expose_headers == b.expose_headers &&
         a.max_age_seconds == b.max_age_seconds;
}

bool covers_all(const std::vector<std::string>& outer, const std::vector<std::string>& inner, bool ci) {
  return std::all_of(inner.begin(), inner.end(), [&](const std::string& in) {
    return std::any_of(outer.begin(), outer.end(),
                       [&](const std::string& out) { return pattern_covers(out, in, ci); });
  });
}

/// Every (origin, method, header set) `later` accepts is accepted by `earlier` (docs/cors.md §7), so
/// `later` can never be the first match.
bool shadows(const cors_rule& earlier, const cors_rule& later) {
  if (!covers_all(earlier.allowed_origins, later.allowed_origins, false)) return false;
  if (!std::all_of(later.allowed_methods.begin(), later.allowed_methods.end(),
                   [&](const std::string& m) { return contains(earlier.allowed_methods, m); })) {
    return false;
  }
  // Without AllowedHeaders `later` only accepts an empty header list, which every rule accepts.
  return covers_all(earlier.allowed_headers, later.allowed_headers, true);
}

/// Values listed twice (case-insensitively when `ci`), each reported once.
std::vector<std::string> duplicates(const std::vector<std::string>& values, bool ci) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const bool same = ci ? detail::iequal(values[i], values[j]) : values[i] == values[j];
      if (same) {
        if (!std::any_of(out.begin(), out.end(), [&](const std::string& o) {
              return ci ? detail::iequal(o, values[i]) : o == values[i];
            })) {
          out.push_back(values[i]);
        }
        break;
      }
    }
  }
  return out;
}

bool is_upload_header(std::string_view pattern) {
  static constexpr std::array<std::string_view, 6> prefixes = {
      "content-md5", "x-amz-checksum", "x-amz-content-sha256",
      "x-amz-meta-", "x-amz-acl",      "x-amz-server-side-encryption"};
  const std::string lower = detail::to_lower(pattern);
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return lower.starts_with(p); });
}

/// Why a browser's Origin can never equal this pattern, or empty if it can.
std::string origin_problem(std::string_view o) {
  if (o == "*") return {};
  if (o.empty()) return "the empty AllowedOrigin \"\" never matches: an empty Origin counts as no Origin";
  const auto scheme_end = o.find("://");
  if (scheme_end == std::string_view::npos) {
    if (o.front() == '*' || o == "null") return {};
    return fmt::format("AllowedOrigin {} has no scheme; browsers send e.g. https://{}", detail::quoted(o), o);
  }
  const std::string_view after = o.substr(scheme_end + 3);
  const auto slash = after.find('/');
  if (slash != std::string_view::npos) {
    if (slash + 1 == after.size()) {
      return fmt::format(
          "AllowedOrigin {} ends with '/'; browsers send the origin without it, so it never matches",
          detail::quoted(o));
    }
    return fmt::format(
        "AllowedOrigin {} has a path; an Origin is only scheme://host[:port], so it never matches",
        detail::quoted(o));
  }
  if (detail::has_upper(o)) {
    return fmt::format(
        "AllowedOrigin {} has upper-case letters; browsers send scheme and host in lower case and "
        "S3 compares origins case-sensitively",
        detail::quoted(o));
  }
  return {};
}

}  // namespace

std::vector<lint_finding> lint(const cors_configuration& config) {
  std::vector<lint_finding> out;
  auto warn = [&](std::size_t rule, std::string message) {
    out.push_back({severity::warning, rule, std::move(message)});
  };

  if (auto e = detail::check_structure(config, detail::location_style::model)) {
    out.push_back({severity::error, e->rule,
                   fmt::format("{} ({}): {}", e->error.code, e->error.message, e->error.detail)});
  } else if (auto v = detail::check_values(config, detail::location_style::model)) {
    out.push_back({severity::error, v->rule,
                   fmt::format("{} ({}): {}", v->error.code, v->error.message, v->error.detail)});
  }

  for (std::size_t r = 0; r < config.rules.size(); ++r) {
    const cors_rule& rule = config.rules[r];

    // Rules that can never be the first match.
    bool unreachable = false;
    for (std::size_t e = 0; e < r && !unreachable; ++e) {
      if (same_allowances(config.rules[e], rule)) {
        warn(r,
             fmt::format("rule {} duplicates rule {}; it never matches because the first matching rule wins",
                         r, e));
        unreachable = true;
      }
    }
    for (std::size_t e = 0; e < r && !unreachable; ++e) {
      if (shadows(config.rules[e], rule)) {
        warn(r, fmt::format(
                    "rule {} is shadowed by rule {}: every origin, method and header it allows is already "
                    "allowed there, and the first matching rule wins",
                    r, e));
        unreachable = true;
      }
    }
    // Everything else about a rule that never matches is moot.
    if (unreachable) continue;

    // Methods.
    const bool has_get = contains(rule.allowed_methods, "GET");
    const bool has_put = contains(rule.allowed_methods, "PUT");
    const bool has_post = contains(rule.allowed_methods, "POST");
    if (has_get && !contains(rule.allowed_methods, "HEAD")) {
      warn(r, fmt::format(
                  "rule {} allows GET but not HEAD; players and download widgets often send HEAD first", r));
    }
    if (has_put || has_post) {
      const bool etag = std::any_of(rule.expose_headers.begin(), rule.expose_headers.end(),
                                    [](const std::string& h) { return detail::iequal(h, "ETag"); });
      if (!etag) {
        warn(r,
             fmt::format("rule {} allows {} but does not expose ETag; browser multipart uploads need to read "
                         "each part's ETag (add ExposeHeaders [\"ETag\"])",
                         r, has_put ? "PUT" : "POST"));
      }
      if (rule.allowed_headers.empty()) {
        warn(r, fmt::format(
                    "rule {} allows {} but has no AllowedHeaders; an upload preflight listing any header "
                    "(content-type, x-amz-*) is refused",
                    r, has_put ? "PUT" : "POST"));
      }
    } else if (std::any_of(rule.allowed_headers.begin(), rule.allowed_headers.end(),
                           [](const std::string& h) { return is_upload_header(h); })) {
      warn(r, fmt::format(
                  "rule {} allows upload headers but neither PUT nor POST; browser uploads will fail the "
                  "preflight",
                  r));
    }
    const bool any_origin = has_any_origin(rule);
    if (any_origin && (has_put || has_post || contains(rule.allowed_methods, "DELETE"))) {
      warn(r, fmt::format("rule {} lets any origin ('*') send write methods; list your application's origins "
                          "unless any web site may drive uploads or deletes",
                          r));
    }

    // Origins.
    if (any_origin && rule.allowed_origins.size() > 1) {
      warn(r, fmt::format(
                  "rule {} lists other origins next to '*'; S3 then answers Access-Control-Allow-Origin: * "
                  "without Access-Control-Allow-Credentials for every origin",
                  r));
    }
    for (const std::string& o : rule.allowed_origins) {
      if (auto problem = origin_problem(o); !problem.empty()) warn(r, fmt::format("rule {}: {}", r, problem));
    }

    // Headers.
    if (contains(rule.allowed_headers, "*") && rule.allowed_headers.size() > 1) {
      warn(r,
           fmt::format("rule {} lists AllowedHeaders names next to '*'; '*' already allows every header", r));
    }

    // Duplicated values.
    const std::array<std::pair<std::string_view, std::vector<std::string>>, 4> lists = {{
        {"AllowedOrigins", duplicates(rule.allowed_origins, false)},
        {"AllowedMethods", duplicates(rule.allowed_methods, false)},
        {"AllowedHeaders", duplicates(rule.allowed_headers, true)},
        {"ExposeHeaders", duplicates(rule.expose_headers, true)},
    }};
    for (const auto& [name, dups] : lists) {
      if (!dups.empty())
        warn(r, fmt::format("rule {} lists {} in {} more than once", r, detail::join(dups, ", "), name));
    }

    // Max-Age.
    if (rule.max_age_seconds && *rule.max_age_seconds < 0) {
      warn(r,
           fmt::format("rule {} has a negative MaxAgeSeconds; browsers ignore it and use their default", r));
    } else if (rule.max_age_seconds && *rule.max_age_seconds > 86400) {
      warn(r, fmt::format(
                  "rule {} has MaxAgeSeconds {}; browsers cap preflight caching (Firefox 86400 s, Chrome "
                  "7200 s)",
                  r, *rule.max_age_seconds));
    }

    // IDs.
    if (rule.id && !rule.id->empty()) {
      for (std::size_t e = 0; e < r; ++e) {
        if (config.rules[e].id == rule.id) {
          warn(r, fmt::format("rule {} reuses ID {} of rule {}", r, detail::quoted(*rule.id), e));
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace s3cors::cors
