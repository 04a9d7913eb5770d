#include "s3cors/cors/suggest.hpp"

#include "cors/detail/text.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/cors/pattern.hpp"
#include "s3cors/cors/render.hpp"
#include "s3cors/cors/validation.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace s3cors::cors {
namespace {

using verdict = rule_trace::verdict;

/// to_json's compact form re-indented: the shape `aws s3api put-bucket-cors` takes, readable.
std::string pretty_json(const cors_configuration& config) {
  return nlohmann::ordered_json::parse(to_json(config))
      .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool contains_ignoring_case(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& s) { return detail::iequal(s, value); });
}

/// The `exposed` headers the rule does not expose yet, without duplicates, in the given order.
std::vector<std::string> missing_exposed(const cors_rule& rule, std::span<const std::string_view> exposed) {
  std::vector<std::string> out;
  for (const std::string_view h : exposed) {
    if (h.empty() || contains_ignoring_case(rule.expose_headers, h) || contains_ignoring_case(out, h))
      continue;
    out.emplace_back(h);
  }
  return out;
}

/// The requested headers (lowercase, as split_request_headers gives them) the rule refuses.
std::vector<std::string> refused_headers(const cors_rule& rule, const std::vector<std::string>& requested) {
  std::vector<std::string> out;
  for (const std::string& h : requested) {
    const bool ok = std::any_of(rule.allowed_headers.begin(), rule.allowed_headers.end(),
                                [&](const std::string& p) { return header_matches(p, h); });
    if (!ok && std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  }
  return out;
}

/// Widens rule `index` so that it allows the request; the summary's clauses are appended to
/// `parts`. `add_origin` also adds the request's origin to AllowedOrigins.
void widen(cors_rule& rule, std::size_t index, const cors_request& request, std::string_view method,
           const std::vector<std::string>& requested, std::span<const std::string_view> exposed,
           bool add_origin, std::vector<std::string>& parts) {
  if (add_origin) {
    rule.allowed_origins.emplace_back(request.origin);
    parts.push_back(fmt::format("add {} to rule {}'s AllowedOrigins", request.origin, index));
  }
  if (std::find(rule.allowed_methods.begin(), rule.allowed_methods.end(), method) ==
      rule.allowed_methods.end()) {
    rule.allowed_methods.emplace_back(method);
    parts.push_back(fmt::format("add {} to rule {}'s AllowedMethods", method, index));
  }
  if (auto headers = refused_headers(rule, requested); !headers.empty()) {
    parts.push_back(fmt::format("add {} to rule {}'s AllowedHeaders", detail::join(headers, ", "), index));
    rule.allowed_headers.insert(rule.allowed_headers.end(), headers.begin(), headers.end());
  }
  if (auto headers = missing_exposed(rule, exposed); !headers.empty()) {
    parts.push_back(fmt::format("add {} to rule {}'s ExposeHeaders", detail::join(headers, ", "), index));
    rule.expose_headers.insert(rule.expose_headers.end(), headers.begin(), headers.end());
  }
}

std::optional<fix_suggestion> finish(const cors_configuration& changed, std::vector<std::string> parts,
                                     std::optional<std::size_t> rule) {
  if (parts.empty() || !validate(changed)) return std::nullopt;
  return fix_suggestion{detail::join(parts, "; "), pretty_json(changed), rule};
}

/// The index of the rule that failed latest in §7's order (headers after method after
/// origin), the first such rule on ties; nullopt when every rule failed on the origin.
std::optional<std::size_t> latest_failure(const std::vector<rule_trace>& trace) {
  std::optional<std::size_t> best;
  int best_rank = 0;
  for (const rule_trace& t : trace) {
    const int rank = t.what == verdict::header_mismatch ? 2 : t.what == verdict::method_mismatch ? 1 : 0;
    if (rank > best_rank) {
      best_rank = rank;
      best = t.index;
    }
  }
  return best;
}

}  // namespace

std::optional<fix_suggestion> suggest_fix(const cors_configuration& config, const cors_request& request,
                                          bool preflight, std::span<const std::string_view> exposed) {
  // §6: without an Origin there is nothing CORS could allow.
  if (request.origin.empty()) return std::nullopt;
  const std::string_view method = judged_method(request);
  // §1: AllowedMethod takes only these five; S3 cannot allow any other method cross-origin.
  if (!is_supported_method(method)) return std::nullopt;
  const std::vector<std::string> requested =
      request.access_control_request_headers ? split_request_headers(*request.access_control_request_headers)
                                             : std::vector<std::string>{};
  const decision d = evaluate(config, request, preflight);
  cors_configuration changed = config;
  std::vector<std::string> parts;

  if (d.matched_rule) {
    // Allowed: only Expose-Headers may be missing (§10 takes them from the matched rule).
    const std::size_t i = *d.matched_rule;
    widen(changed.rules[i], i, request, method, requested, exposed, false, parts);
    return finish(changed, std::move(parts), i);
  }
  if (const auto i = latest_failure(d.trace)) {
    // Every earlier rule still fails and this one now matches: it becomes the matched rule.
    widen(changed.rules[*i], *i, request, method, requested, exposed, false, parts);
    return finish(changed, std::move(parts), *i);
  }
  if (changed.rules.size() < max_rules) {
    // No rule names the origin: a new last rule for exactly it, with only what is needed.
    cors_rule added;
    added.allowed_origins.emplace_back(request.origin);
    added.allowed_methods.emplace_back(method);
    added.allowed_headers = refused_headers(added, requested);  // deduplicated, request order
    added.expose_headers = missing_exposed(added, exposed);
    std::string summary =
        fmt::format("add rule {} allowing {} from origin {}", changed.rules.size(), method, request.origin);
    if (!added.allowed_headers.empty())
      summary += fmt::format(" with AllowedHeaders {}", detail::join(added.allowed_headers, ", "));
    if (!added.expose_headers.empty())
      summary += fmt::format(" and ExposeHeaders {}", detail::join(added.expose_headers, ", "));
    changed.rules.push_back(std::move(added));
    return finish(changed, {std::move(summary)}, std::nullopt);
  }
  // §1: 100 rules is the limit. Widen the first rule that already allows the method (else rule 0)
  // to the origin as well.
  std::size_t i = 0;
  for (std::size_t k = 0; k < changed.rules.size(); ++k) {
    const auto& m = changed.rules[k].allowed_methods;
    if (std::find(m.begin(), m.end(), method) != m.end()) {
      i = k;
      break;
    }
  }
  widen(changed.rules[i], i, request, method, requested, exposed, true, parts);
  return finish(changed, std::move(parts), i);
}

std::optional<fix_suggestion> suggest_credentials_fix(const cors_configuration& config,
                                                      const cors_request& request, bool preflight) {
  const decision d = evaluate(config, request, preflight, false);
  if (!d.matched_rule) return std::nullopt;
  const std::size_t i = *d.matched_rule;
  if (!has_any_origin(config.rules[i])) return std::nullopt;
  cors_configuration changed = config;
  if (changed.rules.size() >= max_rules) return std::nullopt;
  cors_rule copy = config.rules[i];
  copy.id.reset();
  copy.allowed_origins = {std::string(request.origin)};
  changed.rules.insert(changed.rules.begin() + static_cast<std::ptrdiff_t>(i), std::move(copy));
  return finish(changed,
                {fmt::format("insert before rule {} a copy of it for origin {} (a \"*\" rule cannot answer a "
                             "credentialed request)",
                             i, request.origin)},
                std::nullopt);
}

std::optional<cors_configuration> suggested_configuration(const fix_suggestion& fix) {
  auto parsed = parse_json(fix.configuration_json);
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

}  // namespace s3cors::cors
