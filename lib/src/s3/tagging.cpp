#include "s3cors/s3/tagging.hpp"

#include "s3cors/http/request.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/route.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <cstdint>

namespace s3cors::s3 {
namespace {

constexpr std::size_t max_object_tags = 10;
constexpr std::size_t max_bucket_tags = 50;
constexpr std::size_t max_key_length = 128;
constexpr std::size_t max_value_length = 256;

// Element names without a namespace prefix, as S3 accepts both.
std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Whether a code point outside ASCII is one of \p{L}, \p{Z} or \p{N}, the classes S3's
// pattern admits. Without Unicode's tables this refuses the blocks made of symbols and
// punctuation (Latin-1's, General Punctuation's, the arrows to the dingbats, emoji) and the
// controls, and accepts the scripts.
bool is_letter_number_or_space(std::uint32_t cp) {
  if (cp < 0xA0) return false;  // C1 controls
  if (cp <= 0xBF) {
    // Latin-1: no-break space, ª, ², ³, µ, ¹, º, ¼, ½, ¾ are letters, numbers or spaces.
    constexpr std::uint32_t admitted[] = {0xA0, 0xAA, 0xB2, 0xB3, 0xB5, 0xB9, 0xBA, 0xBC, 0xBD, 0xBE};
    return std::find(std::begin(admitted), std::end(admitted), cp) != std::end(admitted);
  }
  if (cp == 0xD7 || cp == 0xF7) return false;  // × ÷
  if (cp >= 0x2000 && cp <= 0x206F) {
    return cp <= 0x200A || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F;
  }
  if (cp >= 0x2190 && cp <= 0x2BFF) return false;  // arrows, operators, technical, boxes, dingbats
  if (cp >= 0x3001 && cp <= 0x3003) return false;  // CJK punctuation
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if (cp >= 0xE000 && cp <= 0xF8FF) return false;    // private use
  if (cp >= 0xFE10 && cp <= 0xFE6F) return false;    // vertical forms, small forms
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;  // emoji and pictographs
  return cp <= 0x10FFFF;
}

bool is_allowed_ascii(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_' ||
         c == '.' || c == ':' || c == '/' || c == '=' || c == '+' || c == '-' || c == '@';
}

// The length in UTF-16 code units when text is UTF-8 made only of admitted characters;
// nullopt otherwise.
std::optional<std::size_t> checked_length(std::string_view text) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (!is_allowed_ascii(text[i])) return std::nullopt;
      ++units;
      ++i;
      continue;
    }
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if ((lead & 0xE0U) == 0xC0U) {
      extra = 1;
      cp = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0U) {
      extra = 2;
      cp = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0U) {
      extra = 3;
      cp = lead & 0x07U;
    } else {
      return std::nullopt;
    }
    if (i + extra >= text.size()) return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0U) != 0x80U) return std::nullopt;
      cp = (cp << 6U) | (next & 0x3FU);
    }
    // Overlong forms name no character.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000))
      return std::nullopt;
    if (!is_letter_number_or_space(cp)) return std::nullopt;
    units += cp >= 0x10000 ? 2 : 1;
    i += extra + 1;
  }
  return units;
}

bool has_aws_prefix(std::string_view key) {
  return key.size() >= 4 && iequals(key.substr(0, 4), "aws:");
}

error_detail invalid_header(std::string_view header) {
  return error_detail(
             error::invalid_argument,
             "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
             "without tag name duplicates.")
      .with("ArgumentName", "x-amz-tagging")
      .with("ArgumentValue", std::string(header));
}

}  // namespace

std::optional<error_detail> validate_tags(const tag_set& tags, tag_owner owner) {
  if (owner == tag_owner::object && tags.size() > max_object_tags)
    return error_detail(error::bad_request, "Object tags cannot be greater than 10");
  if (owner == tag_owner::bucket && tags.size() > max_bucket_tags)
    return error_detail(error::bad_request, "Bucket tag count cannot be greater than 50");
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const auto& [key, value] = tags[i];
    const auto key_length = checked_length(key);
    if (!key_length || *key_length == 0 || *key_length > max_key_length) {
      return error_detail(error::invalid_tag, "The TagKey you have provided is invalid").with("TagKey", key);
    }
    if (has_aws_prefix(key))
      return error_detail(error::invalid_tag, "Your TagKey cannot be prefixed with aws:");
    const auto value_length = checked_length(value);
    if (!value_length || *value_length > max_value_length) {
      return error_detail(error::invalid_tag, "The TagValue you have provided is invalid")
          .with("TagKey", key)
          .with("TagValue", value);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (tags[j].first == key) {
        return error_detail(error::invalid_tag, "Cannot provide multiple Tags with the same key")
            .with("TagKey", key);
      }
    }
  }
  return std::nullopt;
}

result<tag_set, error_detail> parse_tagging(std::string_view xml, tag_owner owner) {
  pugi::xml_document doc;
  // White space is content: a key or value of spaces is kept as sent.
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single))
    return error_detail(error::malformed_xml);
  const pugi::xml_node root = doc.document_element();
  if (local_name(root) != "Tagging") return error_detail(error::malformed_xml);
  std::optional<pugi::xml_node> set;
  for (const pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    if (local_name(child) != "TagSet" || set) return error_detail(error::malformed_xml);
    set = child;
  }
  if (!set) return error_detail(error::malformed_xml);
  tag_set tags;
  for (const pugi::xml_node tag : set->children()) {
    if (tag.type() != pugi::node_element) continue;
    if (local_name(tag) != "Tag") return error_detail(error::malformed_xml);
    std::optional<std::string> key;
    std::optional<std::string> value;
    for (const pugi::xml_node field : tag.children()) {
      if (field.type() != pugi::node_element) continue;
      const std::string_view name = local_name(field);
      if (name != "Key" && name != "Value") return error_detail(error::malformed_xml);
      auto& slot = name == "Key" ? key : value;
      if (slot) return error_detail(error::malformed_xml);
      slot = field.text().get();
    }
    if (!key || !value) return error_detail(error::malformed_xml);
    tags.emplace_back(std::move(*key), std::move(*value));
  }
  if (auto invalid = validate_tags(tags, owner)) return *invalid;
  return tags;
}

result<tag_set, error_detail> parse_tagging_header(std::string_view header) {
  tag_set tags;
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.find('=', eq + 1) != std::string_view::npos)
      return invalid_header(header);
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return invalid_header(header);
    const bool repeated =
        std::any_of(tags.begin(), tags.end(), [&](const auto& tag) { return tag.first == *key; });
    if (repeated) return invalid_header(header);
    tags.emplace_back(std::move(*key), std::move(*value));
  }
  if (auto invalid = validate_tags(tags, tag_owner::object)) return *invalid;
  return tags;
}

result<tag_set, error_detail> tags_from_headers(const header_list& headers) {
  const auto header = headers.find("x-amz-tagging");
  if (!header) return tag_set{};
  return parse_tagging_header(*header);
}

result<tag_set, error_detail> tags_from_form_fields(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  for (const auto& [name, value] : fields) {
    if (name == "tagging") return parse_tagging(value, tag_owner::object);
  }
  return tag_set{};
}

std::string render_tagging(const tag_set& tags) {
  xml::xml_writer doc;
  doc.open("Tagging", s3_xmlns).open("TagSet");
  for (const auto& [key, value] : tags) doc.open("Tag").element("Key", key).element("Value", value).close();
  doc.close().close();
  return std::move(doc).str();
}

}  // namespace s3cors::s3
