#include "s3cors/cors/validation.hpp"

#include "cors/detail/text.hpp"
#include "cors/detail/validate_impl.hpp"
#include "s3cors/cors/pattern.hpp"

#include <fmt/format.h>

namespace s3cors::cors {
namespace detail {
namespace {

std::string_view xml_name(field f) noexcept {
  switch (f) {
    case field::id:
      return "ID";
    case field::allowed_origin:
      return "AllowedOrigin";
    case field::allowed_method:
      return "AllowedMethod";
    case field::allowed_header:
      return "AllowedHeader";
    case field::expose_header:
      return "ExposeHeader";
    case field::max_age:
      return "MaxAgeSeconds";
  }
  return "";
}

std::string_view json_name(field f) noexcept {
  switch (f) {
    case field::id:
      return "ID";
    case field::allowed_origin:
      return "AllowedOrigins";
    case field::allowed_method:
      return "AllowedMethods";
    case field::allowed_header:
      return "AllowedHeaders";
    case field::expose_header:
      return "ExposeHeaders";
    case field::max_age:
      return "MaxAgeSeconds";
  }
  return "";
}

std::string_view model_name(field f) noexcept {
  switch (f) {
    case field::id:
      return "id";
    case field::allowed_origin:
      return "allowed_origins";
    case field::allowed_method:
      return "allowed_methods";
    case field::allowed_header:
      return "allowed_headers";
    case field::expose_header:
      return "expose_headers";
    case field::max_age:
      return "max_age_seconds";
  }
  return "";
}

std::string method_hint(std::string_view method) {
  if (method.empty()) return "empty AllowedMethod; use one of GET, PUT, HEAD, POST, DELETE";
  if (method == "*") return "there is no wildcard method; list each of GET, PUT, HEAD, POST, DELETE you need";
  if (method == "OPTIONS") {
    return "OPTIONS is not a CORS method: S3 answers preflights itself; list the methods the browser will "
           "actually send";
  }
  const std::string upper = [&] {
    std::string u(method);
    for (char& c : u) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return u;
  }();
  if (is_supported_method(upper)) return fmt::format("methods are case-sensitive; write {}", upper);
  return fmt::format("{} is not one of GET, PUT, HEAD, POST, DELETE", quoted(method));
}

}  // namespace

std::string location(location_style style, std::optional<std::size_t> rule, std::optional<field> f,
                     std::optional<std::size_t> item) {
  std::string out;
  switch (style) {
    case location_style::xml:
      out = "/CORSConfiguration";
      if (rule) out += fmt::format("/CORSRule[{}]", *rule + 1);
      if (f) out += fmt::format("/{}", xml_name(*f));
      if (item) out += fmt::format("[{}]", *item + 1);
      break;
    case location_style::json_cli:
    case location_style::json_console:
      if (style == location_style::json_cli) out = "/CORSRules";
      if (rule) out += fmt::format("/{}", *rule);
      if (f) out += fmt::format("/{}", json_name(*f));
      if (item) out += fmt::format("/{}", *item);
      break;
    case location_style::model:
      out = "rules";
      if (rule) out += fmt::format("[{}]", *rule);
      if (f) out += fmt::format(".{}", model_name(*f));
      if (item) out += fmt::format("[{}]", *item);
      break;
  }
  return out;
}

validation_error make_error(std::string_view code, std::string_view message, const std::string& where,
                            std::string_view why) {
  validation_error e{std::string(code), std::string(message), {}};
  e.detail = where.empty() ? std::string(why) : fmt::format("{}: {}", where, why);
  return e;
}

validation_error malformed(const std::string& where, std::string_view why) {
  return make_error("MalformedXML", malformed_xml_message, where, why);
}

std::optional<located_error> check_structure(const cors_configuration& config, location_style style) {
  if (config.rules.empty()) {
    return located_error{malformed(location(style),
                                   "no CORSRule: a CORS configuration needs 1 to 100 rules (to remove CORS, "
                                   "use DeleteBucketCors)"),
                         std::nullopt};
  }
  if (config.rules.size() > max_rules) {
    return located_error{malformed(location(style), fmt::format("{} rules; S3 accepts at most {} CORS rules",
                                                                config.rules.size(), max_rules)),
                         std::nullopt};
  }
  for (std::size_t r = 0; r < config.rules.size(); ++r) {
    const cors_rule& rule = config.rules[r];
    if (rule.allowed_origins.empty()) {
      return located_error{malformed(location(style, r),
                                     "rule has no AllowedOrigin; every rule needs at least one origin "
                                     "(use \"*\" for any origin)"),
                           r};
    }
    if (rule.allowed_methods.empty()) {
      return located_error{
          malformed(location(style, r), "rule has no AllowedMethod; every rule needs at least one method"),
          r};
    }
    if (rule.max_age_seconds &&
        (*rule.max_age_seconds < min_max_age_seconds || *rule.max_age_seconds > max_max_age_seconds)) {
      return located_error{
          malformed(location(style, r, field::max_age),
                    fmt::format("MaxAgeSeconds {} does not fit S3's 32-bit integer", *rule.max_age_seconds)),
          r};
    }
  }
  return std::nullopt;
}

std::optional<located_error> check_values(const cors_configuration& config, location_style style) {
  for (std::size_t r = 0; r < config.rules.size(); ++r) {
    const cors_rule& rule = config.rules[r];
    if (rule.id && utf8_length(*rule.id) > max_id_characters) {
      return located_error{make_error("InvalidArgument", id_too_long_message, location(style, r, field::id),
                                      fmt::format("ID has {} characters; at most {} are allowed",
                                                  utf8_length(*rule.id), max_id_characters)),
                           r};
    }
    for (std::size_t i = 0; i < rule.allowed_methods.size(); ++i) {
      const std::string& m = rule.allowed_methods[i];
      if (!is_supported_method(m)) {
        return located_error{
            make_error(
                "InvalidRequest",
                fmt::format("Found unsupported HTTP method in CORS config. Unsupported method is {}", m),
                location(style, r, field::allowed_method, i), method_hint(m)),
            r};
      }
    }
    for (std::size_t i = 0; i < rule.allowed_origins.size(); ++i) {
      const std::string& o = rule.allowed_origins[i];
      if (count_wildcards(o) > 1) {
        return located_error{
            make_error("InvalidRequest",
                       fmt::format("AllowedOrigin \"{}\" can not have more than one wildcard.", o),
                       location(style, r, field::allowed_origin, i),
                       "an origin pattern may contain at most one '*' (e.g. https://*.example.com)"),
            r};
      }
    }
    for (std::size_t i = 0; i < rule.allowed_headers.size(); ++i) {
      const std::string& h = rule.allowed_headers[i];
      if (count_wildcards(h) > 1) {
        return located_error{
            make_error("InvalidRequest",
                       fmt::format("AllowedHeader \"{}\" can not have more than one wildcard.", h),
                       location(style, r, field::allowed_header, i),
                       "a header pattern may contain at most one '*' (e.g. x-amz-*)"),
            r};
      }
    }
    for (std::size_t i = 0; i < rule.expose_headers.size(); ++i) {
      const std::string& h = rule.expose_headers[i];
      if (count_wildcards(h) > 0) {
        return located_error{
            make_error(
                "InvalidRequest",
                fmt::format("ExposeHeader \"{}\" contains wildcard. We currently do not support wildcard "
                            "for ExposeHeader.",
                            h),
                location(style, r, field::expose_header, i),
                "S3 does not accept '*' in ExposeHeaders; list each header name (e.g. ETag)"),
            r};
      }
    }
  }
  return std::nullopt;
}

}  // namespace detail

result<void, validation_error> validate(const cors_configuration& config) {
  if (auto e = detail::check_structure(config, detail::location_style::model)) return std::move(e->error);
  if (auto e = detail::check_values(config, detail::location_style::model)) return std::move(e->error);
  return {};
}

}  // namespace s3cors::cors
