#include "s3cors/cors/explain.hpp"

#include "cors/detail/text.hpp"
#include "s3cors/cors/preflight.hpp"

#include <fmt/format.h>

namespace s3cors::cors {
namespace {

std::string rule_name(const cors_configuration& config, std::size_t index) {
  if (index < config.rules.size() && config.rules[index].id) {
    return fmt::format("rule {} (ID {})", index, detail::quoted(*config.rules[index].id));
  }
  return fmt::format("rule {}", index);
}

std::string_view verdict_text(rule_trace::verdict v) {
  switch (v) {
    case rule_trace::verdict::matched:
      return "matched";
    case rule_trace::verdict::origin_mismatch:
      return "origin mismatch";
    case rule_trace::verdict::method_mismatch:
      return "method mismatch";
    case rule_trace::verdict::header_mismatch:
      return "header mismatch";
    case rule_trace::verdict::not_evaluated:
      return "not evaluated";
  }
  return "?";
}

void append_request(std::string& out, const cors_request& request, bool preflight) {
  out += preflight ? "CORS preflight (OPTIONS)" : fmt::format("Actual request {}", request.method);
  out += request.origin.empty() ? " without Origin\n"
                                : fmt::format(" from Origin {}\n", detail::quoted(request.origin));
  const std::string_view method = judged_method(request);
  if (request.access_control_request_method) {
    out += fmt::format("  judged method: {} (from Access-Control-Request-Method)\n", method);
  } else if (!preflight) {
    out += fmt::format("  judged method: {}\n", method);
  } else {
    out += "  judged method: none (no Access-Control-Request-Method)\n";
  }
  if (request.access_control_request_headers) {
    const auto headers = split_request_headers(*request.access_control_request_headers);
    out += headers.empty() ? std::string("  requested headers: none\n")
                           : fmt::format("  requested headers: {}\n", detail::join(headers, ", "));
  }
}

void append_headers(std::string& out, const decision& d) {
  if (d.headers.empty()) {
    out += "S3 would send: no Access-Control-* headers and no Vary\n";
    return;
  }
  out += "S3 would send:\n";
  for (const auto& [name, value] : d.headers) out += fmt::format("  {}: {}\n", name, value);
}

void append_rules(std::string& out, const cors_configuration& config, const decision& d) {
  if (config.rules.empty()) {
    out += "Rules: none\n";
    return;
  }
  out += "Rules:\n";
  if (d.trace.empty()) {
    // A preflight refused before rule matching (docs/cors.md §8 steps 1-4).
    for (std::size_t i = 0; i < config.rules.size(); ++i) {
      out += fmt::format("  {}: not evaluated - the preflight was refused before rule matching\n",
                         rule_name(config, i));
    }
    return;
  }
  for (const rule_trace& t : d.trace) {
    out += fmt::format("  {}: {}", rule_name(config, t.index), verdict_text(t.what));
    if (t.what != rule_trace::verdict::matched && !t.detail.empty()) out += fmt::format(" - {}", t.detail);
    out += '\n';
  }
}

void append_sanitized(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      out += fmt::format("\\x{:02X}", static_cast<unsigned>(u));
    }
  }
}

}  // namespace

std::string explain(const cors_configuration& config, const cors_request& request, bool preflight) {
  std::string out;
  append_request(out, request, preflight);
  decision d;
  if (preflight) {
    const preflight_outcome o =
        evaluate_preflight(&config, true, true, request.origin, request.access_control_request_method,
                           request.access_control_request_headers);
    if (o.refusal == preflight_refusal::none) {
      out += fmt::format("Decision: 200 OK, allowed by {}\n", rule_name(config, *o.cors.matched_rule));
    } else {
      out += fmt::format("Decision: {} {}: {}\n", o.status, o.code, o.message);
      if (o.refusal == preflight_refusal::no_rule_matched) {
        out += "  (ResourceType OBJECT for an object URL, BUCKET for the bucket URL)\n";
      }
    }
    d = o.cors;
  } else {
    d = evaluate(config, request, false);
    if (request.origin.empty()) {
      out += "Decision: not a CORS request (no Origin); served without CORS headers\n";
    } else if (d.matched_rule) {
      out += fmt::format("Decision: allowed by {}; the response gets CORS headers whatever its status\n",
                         rule_name(config, *d.matched_rule));
    } else {
      out += "Decision: no rule matched; the request is served normally, without CORS headers\n";
    }
  }
  append_headers(out, d);
  append_rules(out, config, d);
  return out;
}

std::string one_line_explanation(const decision& d) {
  std::string text;
  if (d.matched_rule) {
    text = fmt::format("matched rule {}", *d.matched_rule);
    std::string skipped;
    for (const rule_trace& t : d.trace) {
      if (t.index >= *d.matched_rule) break;
      skipped +=
          fmt::format("{}rule {} {} ({})", skipped.empty() ? "" : "; ", t.index, to_string(t.what), t.detail);
    }
    if (!skipped.empty()) text += "; skipped: " + skipped;
  } else if (d.trace.empty()) {
    text = "no match: no rules";
  } else if (d.trace.front().what == rule_trace::verdict::not_evaluated) {
    text = fmt::format("not evaluated: {}", d.trace.front().detail);
  } else {
    text = "no match: ";
    for (std::size_t i = 0; i < d.trace.size(); ++i) {
      const rule_trace& t = d.trace[i];
      text += fmt::format("{}rule {} {} ({})", i == 0 ? "" : "; ", t.index, to_string(t.what), t.detail);
    }
  }
  std::string out;
  append_sanitized(out, text);
  constexpr std::size_t limit = 1024;
  if (out.size() > limit) {
    out.resize(limit - 3);
    out += "...";
  }
  return out;
}

}  // namespace s3cors::cors
