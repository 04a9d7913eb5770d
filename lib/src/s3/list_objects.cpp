#include "s3cors/s3/list_objects.hpp"

#include "s3cors/s3/owner.hpp"

#include "s3cors/hash/digest.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>
#include <variant>

namespace s3cors::s3 {
namespace {

// The largest value S3 accepts for max-keys (a signed 32-bit integer).
constexpr std::uint64_t max_keys_limit = 2147483647;

error_detail invalid_argument(std::string message, std::string_view name, std::string_view value) {
  error_detail detail{error::invalid_argument, std::move(message)};
  detail.with("ArgumentName", std::string{name}).with("ArgumentValue", std::string{value});
  return detail;
}

struct common_prefix {
  std::string prefix;
};
using entry = std::variant<store::listed_object, common_prefix>;

const std::string& name_of(const entry& e) {
  if (const auto* object = std::get_if<store::listed_object>(&e)) return object->key;
  return std::get<common_prefix>(e).prefix;
}

struct listing {
  std::vector<entry> entries;  ///< objects and common prefixes, in key order
  bool is_truncated = false;
};

// The common prefix key rolls up into, or "" when it has none (no delimiter after prefix).
std::string_view rollup_of(std::string_view key, std::string_view prefix, std::string_view delimiter) {
  if (delimiter.empty()) return {};
  const std::size_t at = key.find(delimiter, prefix.size());
  if (at == std::string_view::npos) return {};
  return key.substr(0, at + delimiter.size());
}

// Keys are UTF-8, where the byte 0xFF never occurs, so every key starting with cp is < cp +
// "\xff". Keys that are not UTF-8 and carry 0xFF there are still skipped, one fetch later.
std::string past(std::string_view common) {
  std::string out{common};
  out += '\xff';
  return out;
}

// Collects up to `limit` entries after `start` in key order; one more emittable entry
// decides IsTruncated. A common prefix equal to start was returned on the previous page
// (as NextMarker or in the token), so it and its keys are skipped.
result<listing, error_detail> collect(const list_objects_params& p, const std::string& start,
                                      std::size_t limit, const fetch_page& fetch) {
  listing out;
  store::list_page_request req;
  req.prefix = p.prefix;
  req.start_after = start;
  std::string skip;  // keys under this common prefix are already accounted for
  if (const std::string_view rolled = rollup_of(start, p.prefix, p.delimiter);
      !rolled.empty() && rolled.size() == start.size() && start.starts_with(p.prefix)) {
    skip = start;
    req.start_after = past(start);
  }
  if (limit == 0) {
    // Still ask the store once: a missing bucket must fail even for max-keys=0.
    req.max_keys = 0;
    auto page = fetch(req);
    if (!page) return page.error();
    return out;
  }
  while (true) {
    req.max_keys = std::max<std::size_t>(limit - std::min(limit, out.entries.size()), 1);
    auto page = fetch(req);
    if (!page) return page.error();
    const bool is_exhausted = page->size() <= req.max_keys;
    for (auto& object : *page) {
      req.start_after = object.key;
      if (!skip.empty() && object.key.starts_with(skip)) continue;
      const std::string_view rolled = rollup_of(object.key, p.prefix, p.delimiter);
      if (out.entries.size() == limit) {
        out.is_truncated = true;
        return out;
      }
      if (rolled.empty()) {
        out.entries.emplace_back(std::move(object));
        continue;
      }
      skip = std::string{rolled};
      out.entries.emplace_back(common_prefix{skip});
    }
    if (is_exhausted) return out;
    // Continue after the last key seen, jumping past the common prefix it rolled into.
    if (!skip.empty() && req.start_after.starts_with(skip)) req.start_after = past(skip);
  }
}

std::string to_text(std::size_t n) {
  return std::to_string(n);
}

result<std::size_t, error_detail> parse_max_keys(const std::string& value) {
  std::uint64_t n = 0;
  const char* const end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc{} || ptr != end || n > max_keys_limit) {
    const bool is_negative = !value.empty() && value.front() == '-';
    return invalid_argument(is_negative ? "Argument maxKeys must be an integer between 0 and 2147483647"
                                        : "Provided max-keys not an integer or within integer range",
                            "max-keys", value);
  }
  return static_cast<std::size_t>(n);
}

}  // namespace

std::string url_encode_key(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool is_unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                               (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                               c == '/';
    if (is_unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4U];
      out += hex[byte & 0x0FU];
    }
  }
  return out;
}

std::string make_continuation_token(std::string_view last) {
  return hash::base64_encode(last);
}

std::optional<std::string> decode_continuation_token(std::string_view token) {
  auto decoded = hash::base64_decode(token);
  if (!decoded || decoded->empty()) return std::nullopt;
  return decoded;
}

result<bool, error_detail> read_common_list_param(std::string_view name, const std::string& value,
                                                  list_common_params& p) {
  if (name == "prefix") {
    p.prefix = value;
  } else if (name == "delimiter") {
    p.delimiter = value;
  } else if (name == "encoding-type") {
    if (value != "url") return invalid_argument("Invalid Encoding Method specified in Request", name, value);
    p.encoding_type = value;
  } else if (name == "max-keys") {
    auto n = parse_max_keys(value);
    if (!n) return n.error();
    p.max_keys = *n;
  } else {
    return false;
  }
  return true;
}

result<list_objects_params, error_detail> parse_list_params(const query_parameters& query) {
  list_objects_params p;
  p.v2 = false;
  for (const auto& [name, value] : query) {
    if (name == "list-type") {
      if (value != "2") return invalid_argument("Invalid List Type specified in Request", name, value);
      p.v2 = true;
    }
  }
  for (const auto& [name, value] : query) {
    auto common = read_common_list_param(name, value, p);
    if (!common) return common.error();
    if (*common) continue;
    if (name == "fetch-owner") {
      p.fetch_owner = value == "true";
    } else if (p.v2 && name == "continuation-token") {
      if (!value.empty() && !decode_continuation_token(value)) {
        return invalid_argument("The continuation token provided is incorrect", name, value);
      }
      p.continuation_token = value;
      p.has_continuation_token = true;
    } else if (p.v2 && name == "start-after") {
      p.start_after = value;
      p.has_start_after = true;
    } else if (!p.v2 && name == "marker") {
      p.marker = value;
    }
  }
  return p;
}

result<std::string, error_detail> list_objects_xml(std::string_view bucket, const list_objects_params& p,
                                                   const fetch_page& fetch) {
  std::string start = p.v2 ? p.start_after : p.marker;
  if (p.v2 && !p.continuation_token.empty()) {
    auto resume = decode_continuation_token(p.continuation_token);
    if (!resume) {
      return invalid_argument("The continuation token provided is incorrect", "continuation-token",
                              p.continuation_token);
    }
    start = std::max(start, *resume);
  }
  const std::size_t limit = std::min(p.max_keys, max_list_keys);
  auto found = collect(p, start, limit, fetch);
  if (!found) return found.error();

  const bool is_url = p.encoding_type == "url";
  const auto encoded = [is_url](std::string_view text) {
    return is_url ? url_encode_key(text) : std::string{text};
  };

  xml::xml_writer doc;
  doc.open("ListBucketResult", s3_xmlns);
  doc.element("Name", bucket);
  doc.element("Prefix", encoded(p.prefix));
  if (p.v2) {
    if (p.has_start_after) doc.element("StartAfter", encoded(p.start_after));
    if (p.has_continuation_token) doc.element("ContinuationToken", p.continuation_token);
    doc.element("KeyCount", to_text(found->entries.size()));
  } else {
    doc.element("Marker", encoded(p.marker));
    // S3 sends NextMarker only with a delimiter; without one, the last Key is the marker.
    if (found->is_truncated && !p.delimiter.empty() && !found->entries.empty()) {
      doc.element("NextMarker", encoded(name_of(found->entries.back())));
    }
  }
  doc.element("MaxKeys", to_text(p.max_keys));
  if (!p.delimiter.empty()) doc.element("Delimiter", encoded(p.delimiter));
  if (is_url) doc.element("EncodingType", "url");
  doc.element("IsTruncated", found->is_truncated ? "true" : "false");
  const bool with_owner = !p.v2 || p.fetch_owner;
  for (const entry& e : found->entries) {
    const auto* object = std::get_if<store::listed_object>(&e);
    if (object == nullptr) continue;
    doc.open("Contents");
    doc.element("Key", encoded(object->key));
    doc.element("LastModified", format_iso8601(object->last_modified));
    doc.element("ETag", "\"" + object->etag + "\"");
    doc.element("Size", std::to_string(object->size));
    if (with_owner) {
      doc.open("Owner")
          .element("ID", p.owner_id.empty() ? owner_id : std::string_view(p.owner_id))
          .element("DisplayName", p.owner_id.empty() ? owner_name : std::string_view(p.owner_name))
          .close();
    }
    doc.element("StorageClass", "STANDARD");
    doc.close();
  }
  for (const entry& e : found->entries) {
    if (const auto* common = std::get_if<common_prefix>(&e)) {
      doc.open("CommonPrefixes").element("Prefix", encoded(common->prefix)).close();
    }
  }
  if (p.v2 && found->is_truncated && !found->entries.empty()) {
    doc.element("NextContinuationToken", make_continuation_token(name_of(found->entries.back())));
  }
  doc.close();
  return std::move(doc).str();
}

result<list_versions_params, error_detail> parse_list_versions_params(const query_parameters& query) {
  list_versions_params p;
  bool has_version_id_marker = false;
  for (const auto& [name, value] : query) {
    auto common = read_common_list_param(name, value, p);
    if (!common) return common.error();
    if (*common) continue;
    if (name == "key-marker") {
      p.key_marker = value;
    } else if (name == "version-id-marker") {
      p.version_id_marker = value;
      has_version_id_marker = true;
    }
  }
  if (has_version_id_marker && p.key_marker.empty()) {
    return invalid_argument("A version-id marker cannot be specified without a key marker.",
                            "version-id-marker", p.version_id_marker);
  }
  if (!p.version_id_marker.empty() && p.version_id_marker != "null") {
    return invalid_argument("Invalid version id specified", "version-id-marker", p.version_id_marker);
  }
  return p;
}

result<std::string, error_detail> list_object_versions_xml(std::string_view bucket,
                                                           const list_versions_params& p,
                                                           const fetch_page& fetch) {
  // One version per key: resuming after (key-marker, null) is resuming after key-marker, as
  // ListObjects v1 resumes after its marker.
  list_objects_params listing;
  listing.v2 = false;
  listing.prefix = p.prefix;
  listing.delimiter = p.delimiter;
  listing.marker = p.key_marker;
  auto found = collect(listing, p.key_marker, std::min(p.max_keys, max_list_keys), fetch);
  if (!found) return found.error();

  const bool is_url = p.encoding_type == "url";
  const auto encoded = [is_url](std::string_view text) {
    return is_url ? url_encode_key(text) : std::string{text};
  };
  xml::xml_writer doc;
  doc.open("ListVersionsResult", s3_xmlns);
  doc.element("Name", bucket);
  doc.element("Prefix", encoded(p.prefix));
  doc.element("KeyMarker", encoded(p.key_marker));
  doc.element("VersionIdMarker", p.version_id_marker);
  if (found->is_truncated && !found->entries.empty()) {
    const entry& last = found->entries.back();
    doc.element("NextKeyMarker", encoded(name_of(last)));
    // A common prefix has no version to resume after.
    if (std::holds_alternative<store::listed_object>(last)) doc.element("NextVersionIdMarker", "null");
  }
  doc.element("MaxKeys", to_text(p.max_keys));
  if (!p.delimiter.empty()) doc.element("Delimiter", encoded(p.delimiter));
  if (is_url) doc.element("EncodingType", "url");
  doc.element("IsTruncated", found->is_truncated ? "true" : "false");
  for (const entry& e : found->entries) {
    const auto* object = std::get_if<store::listed_object>(&e);
    if (object == nullptr) continue;
    doc.open("Version");
    doc.element("Key", encoded(object->key));
    doc.element("VersionId", "null");
    doc.element("IsLatest", "true");
    doc.element("LastModified", format_iso8601(object->last_modified));
    doc.element("ETag", "\"" + object->etag + "\"");
    doc.element("Size", std::to_string(object->size));
    doc.element("StorageClass", "STANDARD");
    doc.open("Owner").element("ID", owner_id).element("DisplayName", owner_name).close();
    doc.close();
  }
  for (const entry& e : found->entries) {
    if (const auto* common = std::get_if<common_prefix>(&e)) {
      doc.open("CommonPrefixes").element("Prefix", encoded(common->prefix)).close();
    }
  }
  doc.close();
  return std::move(doc).str();
}

}  // namespace s3cors::s3
