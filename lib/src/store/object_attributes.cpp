#include "s3cors/store/object_attributes.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/http/request.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>

namespace s3cors::store {
namespace {

// The system metadata S3 stores from upload headers, with the spelling it returns them in.
constexpr std::array<std::string_view, 6> stored_headers = {"Content-Type",        "Content-Encoding",
                                                            "Content-Disposition", "Content-Language",
                                                            "Cache-Control",       "Expires"};

constexpr std::string_view user_metadata_prefix = "x-amz-meta-";

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Content-Encoding without the aws-chunked token (S3 stores "gzip" for "aws-chunked,gzip").
std::string without_aws_chunked(std::string_view value) {
  std::string out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const std::string_view token = s3cors::detail::trim_ows(value.substr(0, comma));
    if (!token.empty() && !iequals(token, "aws-chunked")) {
      if (!out.empty()) out += ',';
      out.append(token);
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

using pair_list = std::vector<std::pair<std::string, std::string>>;

nlohmann::json to_json(const pair_list& pairs) {
  auto out = nlohmann::json::array();
  for (const auto& [name, value] : pairs) out.push_back(nlohmann::json::array({name, value}));
  return out;
}

bool from_json(const nlohmann::json& in, pair_list& out) {
  if (!in.is_array()) return false;
  for (const auto& pair : in) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) return false;
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return true;
}

}  // namespace

std::optional<std::string_view> object_attributes::header(std::string_view name) const noexcept {
  for (const auto& [field, value] : headers) {
    if (iequals(field, name)) return std::string_view(value);
  }
  return std::nullopt;
}

object_attributes attributes_from_request(const header_list& headers) {
  object_attributes out;
  for (const std::string_view name : stored_headers) {
    const auto value = headers.find(name);
    if (!value) continue;
    std::string stored = name == "Content-Encoding" ? without_aws_chunked(*value) : std::string(*value);
    if (!stored.empty()) out.headers.emplace_back(std::string(name), std::move(stored));
  }
  for (const auto& [name, value] : headers.fields()) {
    if (name.size() > user_metadata_prefix.size() &&
        iequals(std::string_view(name).substr(0, user_metadata_prefix.size()), user_metadata_prefix)) {
      out.headers.emplace_back(lowercase(name), value);
    }
  }
  return out;
}

std::string serialize(const object_attributes& attributes) {
  nlohmann::json doc = nlohmann::json::object();
  if (!attributes.etag.empty()) doc["etag"] = attributes.etag;
  if (!attributes.headers.empty()) doc["headers"] = to_json(attributes.headers);
  if (!attributes.checksums.empty()) doc["checksums"] = to_json(attributes.checksums);
  if (!attributes.acl.empty()) doc["acl"] = attributes.acl;
  if (!attributes.parts.empty()) {
    auto parts = nlohmann::json::array();
    for (const auto& part : attributes.parts)
      parts.push_back(nlohmann::json::array({part.size, part.checksum}));
    doc["parts"] = std::move(parts);
  }
  if (!attributes.checksum_type.empty()) doc["checksum_type"] = attributes.checksum_type;
  if (!attributes.checksum_algorithm.empty()) doc["checksum_algorithm"] = attributes.checksum_algorithm;
  // Metadata values may hold any bytes a header can; replace what is not UTF-8 rather than fail.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<object_attributes> parse_object_attributes(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  object_attributes out;
  if (const auto it = doc.find("etag"); it != doc.end()) {
    if (!it->is_string()) return std::nullopt;
    out.etag = it->get<std::string>();
  }
  if (const auto it = doc.find("headers"); it != doc.end() && !from_json(*it, out.headers))
    return std::nullopt;
  if (const auto it = doc.find("checksums"); it != doc.end() && !from_json(*it, out.checksums))
    return std::nullopt;
  if (const auto it = doc.find("acl"); it != doc.end()) {
    if (!it->is_string()) return std::nullopt;
    out.acl = it->get<std::string>();
  }
  // Added later: records written before have none of these.
  if (const auto it = doc.find("parts"); it != doc.end()) {
    if (!it->is_array()) return std::nullopt;
    for (const auto& part : *it) {
      if (!part.is_array() || part.size() != 2 || !part[0].is_number_unsigned() || !part[1].is_string())
        return std::nullopt;
      out.parts.push_back({part[0].get<std::uint64_t>(), part[1].get<std::string>()});
    }
  }
  for (const auto& [name, field] : {std::pair{"checksum_type", &out.checksum_type},
                                    std::pair{"checksum_algorithm", &out.checksum_algorithm}}) {
    if (const auto it = doc.find(name); it != doc.end()) {
      if (!it->is_string()) return std::nullopt;
      *field = it->get<std::string>();
    }
  }
  return out;
}

}  // namespace s3cors::store
