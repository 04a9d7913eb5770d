#include "s3cors/cors/render.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace s3cors::cors {
namespace {

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      // A literal CR would be normalised to LF by the reader; the reference keeps it verbatim.
      case '\r':
        out += "&#13;";
        break;
      default:
        out += c;
        break;
    }
  }
}

void append_element(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  append_escaped(out, text);
  out += "</";
  out += name;
  out += '>';
}

void append_elements(std::string& out, std::string_view name, const std::vector<std::string>& values) {
  for (const auto& v : values) append_element(out, name, v);
}

}  // namespace

std::string to_xml(const cors_configuration& config) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const cors_rule& rule : config.rules) {
    out += "<CORSRule>";
    if (rule.id) append_element(out, "ID", *rule.id);
    append_elements(out, "AllowedHeader", rule.allowed_headers);
    append_elements(out, "AllowedMethod", rule.allowed_methods);
    append_elements(out, "AllowedOrigin", rule.allowed_origins);
    append_elements(out, "ExposeHeader", rule.expose_headers);
    if (rule.max_age_seconds) append_element(out, "MaxAgeSeconds", std::to_string(*rule.max_age_seconds));
    out += "</CORSRule>";
  }
  out += "</CORSConfiguration>";
  return out;
}

std::string to_json(const cors_configuration& config) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (const cors_rule& rule : config.rules) {
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    if (rule.id) r["ID"] = *rule.id;
    if (!rule.allowed_headers.empty()) r["AllowedHeaders"] = rule.allowed_headers;
    if (!rule.allowed_methods.empty()) r["AllowedMethods"] = rule.allowed_methods;
    if (!rule.allowed_origins.empty()) r["AllowedOrigins"] = rule.allowed_origins;
    if (!rule.expose_headers.empty()) r["ExposeHeaders"] = rule.expose_headers;
    if (rule.max_age_seconds) r["MaxAgeSeconds"] = *rule.max_age_seconds;
    rules.push_back(std::move(r));
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["CORSRules"] = std::move(rules);
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace s3cors::cors
