#include "s3cors/s3/get_object_attributes.hpp"

#include "s3cors/http/date.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

namespace s3cors::s3 {
namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::optional<std::uint64_t> count_of(std::string_view text) {
  text = trimmed(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 2147483647U)
    return std::nullopt;
  return value;
}

response invalid(std::string message, std::string_view name, std::string_view value,
                 const request_context& ctx) {
  return make_error_response(error_detail(error::invalid_argument, std::move(message))
                                 .with("ArgumentName", std::string(name))
                                 .with("ArgumentValue", std::string(value)),
                             ctx, false);
}

}  // namespace

std::string checksum_element(std::string_view header_name) {
  std::string out = "Checksum";
  constexpr std::string_view prefix = "x-amz-checksum-";
  for (const char c : header_name.substr(header_name.size() > prefix.size() ? prefix.size() : 0)) {
    out += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

answer get_object_attributes(const store::object_store& store, const request& req, std::string_view bucket,
                             std::string_view key, const request_context& ctx) {
  bool want_etag = false, want_checksum = false, want_parts = false, want_class = false, want_size = false;
  const auto names = req.headers.find("x-amz-object-attributes");
  if (!names || trimmed(*names).empty()) {
    return invalid(
        "The x-amz-object-attributes header specifying the attributes to be retrieved is either "
        "missing or empty",
        "x-amz-object-attributes", "", ctx);
  }
  for (std::string_view rest = *names; !rest.empty();) {
    const auto comma = rest.find(',');
    const std::string_view name = trimmed(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (name == "ETag") {
      want_etag = true;
    } else if (name == "Checksum") {
      want_checksum = true;
    } else if (name == "ObjectParts") {
      want_parts = true;
    } else if (name == "StorageClass") {
      want_class = true;
    } else if (name == "ObjectSize") {
      want_size = true;
    } else {
      return invalid("Invalid attribute name specified.", "x-amz-object-attributes", name, ctx);
    }
  }
  std::uint64_t max_parts = 1000;
  if (const auto text = req.headers.find("x-amz-max-parts")) {
    const auto value = count_of(*text);
    if (!value)
      return invalid("Provided max-parts not an integer or within integer range", "max-parts", *text, ctx);
    max_parts = *value;
  }
  std::uint64_t marker = 0;
  if (const auto text = req.headers.find("x-amz-part-number-marker")) {
    const auto value = count_of(*text);
    if (!value)
      return invalid("Provided part-number-marker not an integer or within integer range",
                     "part-number-marker", *text, ctx);
    marker = *value;
  }
  auto info = store.stat(bucket, key);
  if (!info) return store_failure(info.error(), "GetObjectAttributes", bucket, key, ctx, {});
  const store::object_attributes* attributes = info->attributes.get();

  xml::xml_writer doc;
  doc.open("GetObjectAttributesOutput", s3_xmlns);
  if (want_etag) doc.element("ETag", info->etag);  // unquoted, unlike the header
  if (want_checksum && attributes && !attributes->checksums.empty()) {
    doc.open("Checksum");
    for (const auto& [name, value] : attributes->checksums) doc.element(checksum_element(name), value);
    doc.element("ChecksumType",
                attributes->checksum_type.empty() ? "FULL_OBJECT" : attributes->checksum_type);
    doc.close();
  }
  if (want_parts && attributes && !attributes->parts.empty()) {
    const auto& parts = attributes->parts;
    const std::string part_checksum =
        attributes->checksum_type == "COMPOSITE" && !attributes->checksums.empty()
            ? checksum_element(attributes->checksums.front().first)
            : std::string{};
    doc.open("ObjectParts").element("PartsCount", std::to_string(parts.size()));
    doc.element("PartNumberMarker", std::to_string(marker));
    std::uint64_t next = marker;
    bool truncated = false;
    std::uint64_t listed = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::uint64_t number = i + 1;
      if (number <= marker) continue;
      if (listed == std::min<std::uint64_t>(max_parts, 1000)) {
        truncated = true;
        break;
      }
      ++listed;
      next = number;
    }
    doc.element("NextPartNumberMarker", std::to_string(next))
        .element("MaxParts", std::to_string(max_parts))
        .element("IsTruncated", truncated ? "true" : "false");
    for (std::uint64_t number = marker + 1; number <= next; ++number) {
      const auto& part = parts[static_cast<std::size_t>(number - 1)];
      doc.open("Part");
      if (!part_checksum.empty() && !part.checksum.empty()) doc.element(part_checksum, part.checksum);
      doc.element("PartNumber", std::to_string(number)).element("Size", std::to_string(part.size)).close();
    }
    doc.close();
  }
  if (want_class) doc.element("StorageClass", "STANDARD");
  if (want_size) doc.element("ObjectSize", std::to_string(info->size));
  doc.close();
  response res = xml_response(std::move(doc).str(), ctx);
  res.headers.add("Last-Modified", format_http_date(info->last_modified));
  return res;
}

}  // namespace s3cors::s3
