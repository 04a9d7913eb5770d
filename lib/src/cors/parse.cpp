#include "s3cors/cors/parse.hpp"

#include "detail/parse_text.hpp"

#include "cors/detail/text.hpp"
#include "cors/detail/validate_impl.hpp"
#include "s3cors/cors/render.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

namespace s3cors::cors {
namespace {

using detail::field;
using detail::location_style;
using detail::malformed;

// ---------------------------------------------------------------------------------------------
// XML

std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool is_xml_blank(std::string_view s) noexcept {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Text of a leaf element (PCDATA and CDATA concatenated); nullopt if it has child elements.
std::optional<std::string> leaf_text(const pugi::xml_node& element) {
  std::string text;
  for (const pugi::xml_node& child : element.children()) {
    switch (child.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text += child.value();
        break;
      case pugi::node_element:
        return std::nullopt;
      default:
        break;  // comments, processing instructions
    }
  }
  return text;
}

/// xsd:int lexical space: optional sign, digits; surrounding whitespace collapsed.
std::optional<long long> parse_xsd_int(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::nullopt;
  s = s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  long long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  if (value < min_max_age_seconds || value > max_max_age_seconds) return std::nullopt;
  return value;
}

std::string rule_element_hint(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> hints{{
      {"AllowedOrigins", "AllowedOrigin"},
      {"AllowedMethods", "AllowedMethod"},
      {"AllowedHeaders", "AllowedHeader"},
      {"ExposeHeaders", "ExposeHeader"},
      {"ExposedHeader", "ExposeHeader"},
      {"ExposedHeaders", "ExposeHeader"},
      {"MaxAge", "MaxAgeSeconds"},
      {"Id", "ID"},
      {"AllowOrigin", "AllowedOrigin"},
      {"AllowMethod", "AllowedMethod"},
      {"AllowHeader", "AllowedHeader"},
      {"MaxAgeSecond", "MaxAgeSeconds"},
  }};
  for (const auto& [wrong, right] : hints) {
    if (name == wrong) {
      return fmt::format(
          "unknown element <{}> in <CORSRule>; S3 calls it <{}> (XML element names are singular "
          "and repeated once per value)",
          name, right);
    }
  }
  return fmt::format(
      "unknown element <{}> in <CORSRule>; expected ID, AllowedOrigin, AllowedMethod, "
      "AllowedHeader, ExposeHeader or MaxAgeSeconds",
      name);
}

result<cors_rule, validation_error> parse_xml_rule(const pugi::xml_node& node, std::size_t r) {
  cors_rule rule;
  std::array<std::size_t, 6> counts{};
  auto where = [&](std::optional<field> f = std::nullopt, std::optional<std::size_t> i = std::nullopt) {
    return detail::location(location_style::xml, r, f, i);
  };
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!is_xml_blank(child.value())) return malformed(where(), "unexpected text inside <CORSRule>");
      continue;
    }
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child);
    field f{};
    if (name == "ID") {
      f = field::id;
    } else if (name == "AllowedOrigin") {
      f = field::allowed_origin;
    } else if (name == "AllowedMethod") {
      f = field::allowed_method;
    } else if (name == "AllowedHeader") {
      f = field::allowed_header;
    } else if (name == "ExposeHeader") {
      f = field::expose_header;
    } else if (name == "MaxAgeSeconds") {
      f = field::max_age;
    } else {
      return malformed(where() + "/" + std::string(name), rule_element_hint(name));
    }
    const std::size_t index = counts[static_cast<std::size_t>(f)]++;
    // Singletons are located without an index unless repeated.
    const bool singleton = f == field::id || f == field::max_age;
    const std::optional<std::size_t> at = singleton && index == 0 ? std::nullopt : std::optional(index);
    auto text = leaf_text(child);
    if (!text) return malformed(where(f, at), fmt::format("<{}> must contain text only", name));
    switch (f) {
      case field::id:
        if (index > 0) return malformed(where(f, at), "a rule may have only one <ID>");
        rule.id = std::move(*text);
        break;
      case field::allowed_origin:
        rule.allowed_origins.push_back(std::move(*text));
        break;
      case field::allowed_method:
        rule.allowed_methods.push_back(std::move(*text));
        break;
      case field::allowed_header:
        rule.allowed_headers.push_back(std::move(*text));
        break;
      case field::expose_header:
        rule.expose_headers.push_back(std::move(*text));
        break;
      case field::max_age: {
        if (index > 0) return malformed(where(f, at), "a rule may have only one <MaxAgeSeconds>");
        const auto value = parse_xsd_int(*text);
        if (!value) {
          return malformed(where(f, at),
                           fmt::format("MaxAgeSeconds {} is not a 32-bit integer", detail::quoted(*text)));
        }
        rule.max_age_seconds = *value;
        break;
      }
    }
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------
// JSON

using json = nlohmann::json;

std::string_view json_type(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number with a fraction";
    default:
      return "an unsupported value";
  }
}

constexpr std::array<std::string_view, 6> rule_keys = {
    "ID", "AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ExposeHeaders", "MaxAgeSeconds"};

bool looks_like_rule(const json& j) {
  if (!j.is_object()) return false;
  for (const auto& [key, value] : j.items()) {
    for (const auto known : rule_keys) {
      if (detail::iequal(key, known)) return true;
    }
    if (key == "AllowedOrigin" || key == "AllowedMethod" || key == "ExposedHeaders" || key == "MaxAge")
      return true;
  }
  return false;
}

std::string unknown_rule_key_hint(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> hints{{
      {"ExposedHeaders",
       "CloudFormation spells it ExposedHeaders; S3, the CLI and the console use ExposeHeaders"},
      {"MaxAge", "CloudFormation spells it MaxAge; S3, the CLI and the console use MaxAgeSeconds"},
      {"Id", "CloudFormation spells it Id; S3, the CLI and the console use ID"},
      {"AllowedOrigin", "JSON keys are plural lists: use \"AllowedOrigins\": [...]"},
      {"AllowedMethod", "JSON keys are plural lists: use \"AllowedMethods\": [...]"},
      {"AllowedHeader", "JSON keys are plural lists: use \"AllowedHeaders\": [...]"},
      {"ExposeHeader", "JSON keys are plural lists: use \"ExposeHeaders\": [...]"},
      {"ExposedHeader", "use \"ExposeHeaders\": [...]"},
      {"MaxAgeSecond", "use \"MaxAgeSeconds\""},
      {"CORSRules",
       "a rule cannot contain CORSRules: the CLI object {\"CORSRules\": [...]} goes at the top level"},
      {"CorsRules", "a rule cannot contain CorsRules; rules go at the top level"},
  }};
  for (const auto& [wrong, why] : hints) {
    if (key == wrong) return fmt::format("unknown key \"{}\": {}", key, why);
  }
  for (const auto known : rule_keys) {
    if (detail::iequal(key, known)) {
      return fmt::format("unknown key \"{}\": keys are case-sensitive; write \"{}\"", key, known);
    }
  }
  return fmt::format(
      "unknown key \"{}\"; a rule has ID, AllowedHeaders, AllowedMethods, AllowedOrigins, "
      "ExposeHeaders and MaxAgeSeconds",
      key);
}

result<std::vector<std::string>, validation_error> json_string_list(const json& j, const std::string& where,
                                                                    std::string_view key) {
  if (j.is_string()) {
    return malformed(where, fmt::format("{} must be a list of strings, e.g. [\"{}\"], not a single string",
                                        key, j.get_ref<const std::string&>()));
  }
  if (!j.is_array()) {
    return malformed(where, fmt::format("{} must be a list of strings, not {}{}", key, json_type(j),
                                        j.is_null() ? " (omit the key or write [])" : ""));
  }
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& item = j[i];
    if (!item.is_string()) {
      return malformed(fmt::format("{}/{}", where, i),
                       fmt::format("{} items must be strings, not {}", key, json_type(item)));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

result<cors_rule, validation_error> parse_json_rule(const json& j, const std::string& where) {
  if (!j.is_object()) {
    if (j.is_array()) {
      return malformed(where,
                       "a rule must be an object {\"AllowedOrigins\": [...], ...}, not a nested array");
    }
    return malformed(where, fmt::format("a rule must be an object, not {}", json_type(j)));
  }
  cors_rule rule;
  for (const auto& [key, value] : j.items()) {
    const std::string at = fmt::format("{}/{}", where, s3cors::detail::json_pointer_token(key));
    if (key == "ID") {
      if (!value.is_string())
        return malformed(at, fmt::format("ID must be a string, not {}", json_type(value)));
      rule.id = value.get<std::string>();
    } else if (key == "AllowedOrigins" || key == "AllowedMethods" || key == "AllowedHeaders" ||
               key == "ExposeHeaders") {
      auto list = json_string_list(value, at, key);
      if (!list) return list.error();
      auto& target = key == "AllowedOrigins"   ? rule.allowed_origins
                     : key == "AllowedMethods" ? rule.allowed_methods
                     : key == "AllowedHeaders" ? rule.allowed_headers
                                               : rule.expose_headers;
      target = std::move(*list);
    } else if (key == "MaxAgeSeconds") {
      if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(max_max_age_seconds)) {
          return malformed(at, fmt::format("MaxAgeSeconds {} does not fit S3's 32-bit integer", v));
        }
        rule.max_age_seconds = static_cast<long long>(v);
      } else if (value.is_number_integer()) {
        const auto v = value.get<std::int64_t>();
        if (v < min_max_age_seconds || v > max_max_age_seconds) {
          return malformed(at, fmt::format("MaxAgeSeconds {} does not fit S3's 32-bit integer", v));
        }
        rule.max_age_seconds = v;
      } else if (value.is_string()) {
        return malformed(at,
                         fmt::format("MaxAgeSeconds must be a number, not a string: write {} without quotes",
                                     value.get_ref<const std::string&>()));
      } else {
        return malformed(at, fmt::format("MaxAgeSeconds must be a whole number, not {}", json_type(value)));
      }
    } else {
      return malformed(at, unknown_rule_key_hint(key));
    }
  }
  return rule;
}

result<cors_configuration, validation_error> parse_json_rules(const json& rules, location_style style) {
  const std::string base = style == location_style::json_cli ? "/CORSRules" : "";
  cors_configuration config;
  config.rules.reserve(rules.size());
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const json& item = rules[r];
    if (style == location_style::json_console && item.is_object() && item.contains("CORSRules")) {
      return malformed(
          fmt::format("{}/{}", base, r),
          "this is the AWS CLI object {\"CORSRules\": [...]} wrapped in an array; paste either the "
          "object alone or the array of rules inside it (S3 console form)");
    }
    auto rule = parse_json_rule(item, fmt::format("{}/{}", base, r));
    if (!rule) return rule.error();
    config.rules.push_back(std::move(*rule));
  }
  return config;
}

result<cors_configuration, validation_error> parse_json_document(const json& doc) {
  if (doc.is_array()) return parse_json_rules(doc, location_style::json_console);
  if (!doc.is_object()) {
    return malformed("",
                     fmt::format("expected an array of rules (S3 console) or {{\"CORSRules\": [...]}} (AWS "
                                 "CLI), not {}",
                                 json_type(doc)));
  }
  if (doc.contains("CORSRules")) {
    for (const auto& [key, value] : doc.items()) {
      if (key != "CORSRules") {
        return malformed("/" + s3cors::detail::json_pointer_token(key),
                         fmt::format("unknown key \"{}\" next to CORSRules; the CLI form is {{\"CORSRules\": "
                                     "[...]}} only",
                                     key));
      }
    }
    const json& rules = doc.at("CORSRules");
    if (!rules.is_array()) {
      return malformed("/CORSRules",
                       fmt::format("CORSRules must be an array of rule objects, not {}{}", json_type(rules),
                                   rules.is_object() ? " (wrap the rule in [ ])" : ""));
    }
    return parse_json_rules(rules, location_style::json_cli);
  }
  if (doc.contains("CorsConfiguration")) {
    return malformed("/CorsConfiguration",
                     "this is CloudFormation's CorsConfiguration property; S3 and the CLI expect "
                     "{\"CORSRules\": [...]} with keys ID, AllowedOrigins, AllowedMethods, AllowedHeaders, "
                     "ExposeHeaders, MaxAgeSeconds (CloudFormation's CorsRules, Id, ExposedHeaders, MaxAge)");
  }
  if (doc.contains("CorsRules")) {
    return malformed("/CorsRules",
                     "CloudFormation spells it CorsRules; S3 and the CLI expect \"CORSRules\" (and ID, "
                     "ExposeHeaders, MaxAgeSeconds instead of Id, ExposedHeaders, MaxAge)");
  }
  if (doc.contains("CORSConfiguration")) {
    return malformed(
        "/CORSConfiguration",
        "this is the SDK call's CORSConfiguration parameter; paste its value {\"CORSRules\": [...]}");
  }
  for (const auto& [key, value] : doc.items()) {
    if (detail::iequal(key, "CORSRules")) {
      return malformed("/" + s3cors::detail::json_pointer_token(key),
                       fmt::format("unknown key \"{}\": keys are case-sensitive; write \"CORSRules\"", key));
    }
  }
  if (looks_like_rule(doc)) {
    return malformed("",
                     "this is a single rule; wrap it as [ {...} ] (S3 console) or {\"CORSRules\": [ {...} ]} "
                     "(AWS CLI)");
  }
  if (doc.empty()) return malformed("", "empty object; expected {\"CORSRules\": [...]} (AWS CLI)");
  return malformed("/" + s3cors::detail::json_pointer_token(doc.items().begin().key()),
                   "expected {\"CORSRules\": [...]} (AWS CLI) or a bare array of rules (S3 console)");
}

result<cors_configuration, validation_error> finish(cors_configuration config, location_style style,
                                                    bool check_rendered_size) {
  if (auto e = detail::check_structure(config, style)) return e->error;
  if (check_rendered_size) {
    const std::size_t size = to_xml(config).size();
    if (size > max_document_bytes) {
      return malformed(
          detail::location(style),
          fmt::format("as PutBucketCors XML this configuration is {} bytes; S3 accepts at most {}", size,
                      max_document_bytes));
    }
  }
  if (auto e = detail::check_values(config, style)) return e->error;
  return config;
}

}  // namespace

result<cors_configuration, validation_error> parse_xml(std::string_view text) {
  if (text.size() > max_document_bytes) {
    return malformed(
        "", fmt::format("the document is {} bytes; S3 accepts at most {}", text.size(), max_document_bytes));
  }
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(
      text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_auto);
  if (!parsed) {
    return malformed("",
                     fmt::format("not well-formed XML at byte {}: {}", parsed.offset, parsed.description()));
  }
  pugi::xml_node root;
  for (const pugi::xml_node& node : doc.children()) {
    if (node.type() == pugi::node_element) {
      if (root) return malformed("", "more than one root element");
      root = node;
    } else if ((node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) &&
               !is_xml_blank(node.value())) {
      return malformed("", "text outside the root element");
    }
  }
  if (!root) return malformed("", "no root element; expected <CORSConfiguration>");
  if (local_name(root) != "CORSConfiguration") {
    const std::string_view name = local_name(root);
    std::string why = fmt::format("root element is <{}>; expected <CORSConfiguration>", name);
    if (name == "CORSRule") why += " around the <CORSRule> elements";
    return malformed("/" + std::string(name), why);
  }
  cors_configuration config;
  for (const pugi::xml_node& child : root.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!is_xml_blank(child.value())) return malformed("/CORSConfiguration", "unexpected text");
      continue;
    }
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child);
    if (name != "CORSRule") {
      std::string why = fmt::format("unknown element <{}> in <CORSConfiguration>; expected <CORSRule>", name);
      if (name == "CORSRules" || name == "CorsRules" || name == "CorsRule")
        why += " (singular, one per rule)";
      if (name == "AllowedOrigin" || name == "AllowedMethod" || name == "AllowedHeader" ||
          name == "ExposeHeader" || name == "MaxAgeSeconds" || name == "ID") {
        why += fmt::format(" (<{}> belongs inside a <CORSRule>)", name);
      }
      return malformed("/CORSConfiguration/" + std::string(name), why);
    }
    auto rule = parse_xml_rule(child, config.rules.size());
    if (!rule) return rule.error();
    config.rules.push_back(std::move(*rule));
  }
  return finish(std::move(config), location_style::xml, false);
}

result<cors_configuration, validation_error> parse_json(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e400
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." → drop the tag.
    if (const auto close = what.find("] ");
        what.starts_with("[json.exception") && close != std::string::npos) {
      what.erase(0, close + 2);
    }
    return malformed("", fmt::format("not valid JSON: {}", what));
  }
  auto config = parse_json_document(doc);
  if (!config) return config.error();
  const location_style style = doc.is_array() ? location_style::json_console : location_style::json_cli;
  return finish(std::move(*config), style, true);
}

result<cors_configuration, validation_error> parse_any(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);
  const auto first = rest.find_first_not_of(" \t\r\n");
  const char c = first == std::string_view::npos ? '\0' : rest[first];
  if (c == '<') return parse_xml(text);
  if (c == '[' || c == '{') return parse_json(rest);
  return malformed("", first == std::string_view::npos
                           ? "empty document; expected S3 XML <CORSConfiguration>, a JSON array of rules (S3 "
                             "console) or {\"CORSRules\": [...]} (AWS CLI)"
                           : "expected S3 XML <CORSConfiguration>, a JSON array of rules (S3 console) or "
                             "{\"CORSRules\": [...]} (AWS CLI)");
}

}  // namespace s3cors::cors
