#include "s3cors/store/object_attributes.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
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

// Content-Encoding without the aws-chunked token (S3 stores "gzip" for "aws-chunked,gzip"
// and nothing for "aws-chunked" alone); a value without that token is kept as sent.
std::string without_aws_chunked(std::string_view value) {
  bool has_aws_chunked = false;
  for (std::string_view rest = value; !rest.empty();) {
    const auto comma = rest.find(',');
    has_aws_chunked =
        has_aws_chunked || iequals(s3cors::detail::trim_ows(rest.substr(0, comma)), "aws-chunked");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!has_aws_chunked) return std::string(value);
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

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// One RFC 2047 encoded word in UTF-8 ("=?UTF-8?B?...?=" or "=?UTF-8?Q?...?="), decoded;
// nullopt when word is not one.
std::optional<std::string> decode_encoded_word(std::string_view word) {
  if (!word.starts_with("=?") || !word.ends_with("?=") || word.size() < 4) return std::nullopt;
  const std::string_view inner = word.substr(2, word.size() - 4);
  const auto q1 = inner.find('?');
  if (q1 == std::string_view::npos || !iequals(inner.substr(0, q1), "UTF-8")) return std::nullopt;
  const auto q2 = inner.find('?', q1 + 1);
  if (q2 != q1 + 2) return std::nullopt;
  const char encoding = inner[q1 + 1];
  const std::string_view text = inner.substr(q2 + 1);
  if (encoding == 'B' || encoding == 'b') return hash::base64_decode(text);
  if (encoding != 'Q' && encoding != 'q') return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=') {
      if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
        return std::nullopt;
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// A value made of encoded words separated by white space (which RFC 2047 drops), decoded;
// any other value as it is.
std::string decode_metadata_value(std::string_view value) {
  if (!value.starts_with("=?")) return std::string(value);
  std::string out;
  std::string_view rest = value;
  while (!rest.empty()) {
    const auto end = rest.find_first_of(" \t");
    auto decoded = decode_encoded_word(rest.substr(0, end));
    if (!decoded) return std::string(value);
    out += *decoded;
    if (end == std::string_view::npos) break;
    rest = s3cors::detail::trim_ows(rest.substr(end));
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
      out.headers.emplace_back(lowercase(name), decode_metadata_value(value));
    }
  }
  return out;
}

std::string metadata_value_for_response(std::string_view stored) {
  if (is_ascii(stored)) return std::string(stored);
  return "=?UTF-8?B?" + hash::base64_encode(stored) + "?=";
}

std::string serialize(const object_attributes& attributes) {
  nlohmann::json doc = nlohmann::json::object();
  if (!attributes.etag.empty()) doc["etag"] = attributes.etag;
  if (!attributes.headers.empty()) doc["headers"] = to_json(attributes.headers);
  if (!attributes.checksums.empty()) doc["checksums"] = to_json(attributes.checksums);
  if (!attributes.acl.empty()) doc["acl"] = attributes.acl;
  if (!attributes.tags.empty()) doc["tags"] = to_json(attributes.tags);
  if (!attributes.owner_id.empty()) {
    doc["owner"] = {
        {"id", attributes.owner_id}, {"name", attributes.owner_name}, {"account", attributes.owner_account}};
  }
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
  if (const auto it = doc.find("tags"); it != doc.end() && !from_json(*it, out.tags)) return std::nullopt;
  // Records written before owners were recorded have none.
  if (const auto it = doc.find("owner"); it != doc.end()) {
    if (!it->is_object()) return std::nullopt;
    for (auto [field, name] : {std::pair{&out.owner_id, "id"}, std::pair{&out.owner_name, "name"},
                               std::pair{&out.owner_account, "account"}}) {
      const auto value = it->find(name);
      if (value == it->end()) continue;
      if (!value->is_string()) return std::nullopt;
      *field = value->get<std::string>();
    }
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
