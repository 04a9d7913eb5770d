#include "s3cors/s3/multipart.hpp"

#include "s3cors/s3/store_error.hpp"

#include "s3cors/s3/conditional_write.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/hash/crc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/s3/get_object_attributes.hpp"
#include "s3cors/s3/list_objects.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/store/object_store.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <system_error>

namespace s3cors::s3 {
namespace {

using query_type = std::vector<std::pair<std::string, std::string>>;

response no_such_upload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                        const request_context& ctx) {
  error_detail detail(error::no_such_upload);
  detail.with("UploadId", std::string(upload_id));
  detail.resource = resource_of(bucket, key);
  return make_error_response(detail, ctx, false);
}

std::string quoted(std::string_view etag) {
  std::string out = "\"";
  out += etag;
  out += '"';
  return out;
}

std::string_view unquoted(std::string_view etag) {
  const auto first = etag.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  etag = etag.substr(first, etag.find_last_not_of(" \t\r\n") - first + 1);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

std::optional<unsigned> hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
  return std::nullopt;
}

// A non-negative decimal integer (digits only, surrounding whitespace allowed).
std::optional<std::uint64_t> parse_count(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string_view> query_value(const query_type& query, std::string_view name) {
  for (const auto& [n, v] : query) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

response invalid_argument(std::string message, std::string_view name, std::string_view value,
                          const request_context& ctx) {
  error_detail detail(error::invalid_argument, std::move(message));
  detail.with("ArgumentName", std::string(name)).with("ArgumentValue", std::string(value));
  return make_error_response(detail, ctx, false);
}

std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

struct requested_part {
  int number = 0;
  std::string etag;  ///< as sent, quotes removed
  /// Checksum* elements as (x-amz-checksum-<alg>, value): they must be the part's.
  std::vector<std::pair<std::string, std::string>> checksums;
};

// The parts listed by a CompleteMultipartUpload document; nullopt when it is malformed.
std::optional<std::vector<requested_part>> parse_complete(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_auto))
    return std::nullopt;
  const pugi::xml_node root = doc.document_element();
  if (local_name(root) != "CompleteMultipartUpload") return std::nullopt;
  std::vector<requested_part> parts;
  for (const pugi::xml_node& element : root.children()) {
    if (element.type() != pugi::node_element) continue;
    if (local_name(element) != "Part") return std::nullopt;
    std::optional<std::uint64_t> number;
    std::optional<std::string> etag;
    std::vector<std::pair<std::string, std::string>> checksums;
    for (const pugi::xml_node& field : element.children()) {
      if (field.type() != pugi::node_element) continue;
      const std::string_view name = local_name(field);
      if (name == "PartNumber") {
        number = parse_count(field.child_value());
        if (!number || *number > 2147483647U) return std::nullopt;  // an unknown part is InvalidPart
      } else if (name == "ETag") {
        etag = std::string(unquoted(field.child_value()));
      } else if (name.starts_with("Checksum") && name.size() > 8) {
        checksums.emplace_back("x-amz-checksum-" + to_lower(name.substr(8)), field.child_value());
      }
    }
    if (!number || !etag) return std::nullopt;
    parts.push_back({static_cast<int>(*number), std::move(*etag), std::move(checksums)});
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

// The completed object's checksum, from its parts' (S3): COMPOSITE is the checksum of the parts'
// raw checksums concatenated, with "-<part count>"; FULL_OBJECT (CRCs) the CRC of the whole
// object, combined from the parts' CRCs. An upload without an algorithm gets CRC64NVME, full
// object, as every new object in S3. None when a part has no checksum (an UploadPartCopy part,
// or one uploaded before s3cors recorded them). Refuses a x-amz-checksum-type other than the
// upload's (InvalidRequest) and a whole-object x-amz-checksum-* that differs (BadDigest).
std::optional<error_detail> object_checksum(const store::upload_info& upload,
                                            const std::vector<const store::part_info*>& parts,
                                            const header_list& headers, store::upload_completion& out) {
  const auto which = upload.checksum_algorithm.empty() ? hash::algorithm::crc64nvme
                                                       : hash::algorithm_named(upload.checksum_algorithm);
  if (!which) return std::nullopt;
  const std::string type = upload.checksum_algorithm.empty() ? "FULL_OBJECT" : upload.checksum_type;
  if (const auto sent_type = headers.find("x-amz-checksum-type"); sent_type && to_upper(*sent_type) != type) {
    return error_detail(
        error::invalid_request,
        fmt::format("The upload was created using the {} checksum mode. The complete request must "
                    "use the same checksum mode.",
                    type.empty() ? "null" : type));
  }
  const std::string header(hash::checksum_header(*which));
  std::vector<std::pair<std::string, std::uint64_t>> pieces;
  for (const store::part_info* part : parts) {
    std::string value;
    for (const auto& [name, checksum] : part->checksums) {
      if (name == header) value = checksum;
    }
    out.parts.push_back({part->size, value});
    if (!value.empty()) pieces.emplace_back(std::move(value), part->size);
  }
  if (pieces.size() != parts.size()) {
    for (auto& part : out.parts) part.checksum.clear();
    return std::nullopt;
  }
  std::string value;
  if (type == "COMPOSITE") {
    hash::hasher composite(*which);
    for (const auto& piece : pieces) {
      const auto raw = hash::base64_decode(piece.first);
      if (!raw) return std::nullopt;
      composite.update(*raw);
    }
    value = hash::base64_encode(composite.finish()) + "-" + std::to_string(parts.size());
  } else {
    auto combined = hash::combine_crc_base64(*which, pieces);
    if (!combined) return std::nullopt;
    value = std::move(*combined);
  }
  if (const auto sent = headers.find(header)) {
    if (*sent != value && std::string(*sent) + "-" + std::to_string(parts.size()) != value) {
      return error_detail(error::bad_digest,
                          fmt::format("The {} you specified did not match the calculated checksum.",
                                      hash::algorithm_name(*which)));
    }
  }
  out.checksums.emplace_back(header, std::move(value));
  out.checksum_type = type;
  return std::nullopt;
}

response complete_result(std::string_view bucket, std::string_view key, std::string_view etag,
                         const std::vector<std::pair<std::string, std::string>>& checksums,
                         std::string_view checksum_type, const request_context& ctx);

// A retried CompleteMultipartUpload of an upload completed with the same parts gets the same
// answer, as in S3 (the first answer may have been lost); nullopt otherwise (NoSuchUpload).
std::optional<answer> completed_again(const store::object_store& store, std::string_view bucket,
                                      std::string_view key, std::string_view upload_id,
                                      std::string_view body_xml, const request_context& ctx) {
  auto done = store.find_completed_upload(bucket, upload_id);
  if (!done || done->key != key) return std::nullopt;
  const auto requested = parse_complete(body_xml);
  if (!requested || requested->size() != done->part_numbers.size()) return std::nullopt;
  std::vector<std::string> etags;
  for (std::size_t i = 0; i < requested->size(); ++i) {
    if ((*requested)[i].number != done->part_numbers[i]) return std::nullopt;
    etags.push_back(to_lower((*requested)[i].etag));
  }
  if (multipart_etag(etags) != done->etag) return std::nullopt;
  return answer(complete_result(bucket, key, done->etag, done->checksums, done->checksum_type, ctx));
}

response complete_result(std::string_view bucket, std::string_view key, std::string_view etag,
                         const std::vector<std::pair<std::string, std::string>>& checksums,
                         std::string_view checksum_type, const request_context& ctx) {
  xml::xml_writer doc;
  doc.open("CompleteMultipartUploadResult", s3_xmlns)
      .element("Location", "/" + std::string(bucket) + "/" + url_encode_key(key))
      .element("Bucket", bucket)
      .element("Key", key)
      .element("ETag", quoted(etag));
  for (const auto& [name, value] : checksums) doc.element(checksum_element(name), value);
  if (!checksums.empty()) doc.element("ChecksumType", checksum_type);
  doc.close();
  return xml_response(std::move(doc).str(), ctx);
}

}  // namespace

std::string multipart_etag(const std::vector<std::string>& part_etags) {
  std::string digests;
  digests.reserve(part_etags.size() * 16);
  for (const std::string& etag : part_etags) {
    const std::string_view hex = unquoted(etag);
    if (hex.size() != 32) return {};
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const auto high = hex_value(hex[i]);
      const auto low = hex_value(hex[i + 1]);
      if (!high || !low) return {};
      digests += static_cast<char>((*high << 4U) | *low);
    }
  }
  return hash::to_hex(hash::md5(digests)) + "-" + std::to_string(part_etags.size());
}

std::optional<error_detail> apply_checksum_settings(const header_list& headers,
                                                    store::object_attributes& attributes) {
  const auto algorithm_text = headers.find("x-amz-checksum-algorithm");
  const auto type_text = headers.find("x-amz-checksum-type");
  if (!algorithm_text) {
    if (type_text) {
      return error_detail(
          error::invalid_request,
          "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    }
    return std::nullopt;
  }
  const auto algorithm = hash::algorithm_named(*algorithm_text);
  if (!algorithm) {
    return error_detail(
        error::invalid_request,
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
        "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
  }
  const bool is_crc = *algorithm != hash::algorithm::sha1 && *algorithm != hash::algorithm::sha256;
  std::string type = type_text                                  ? to_upper(*type_text)
                     : *algorithm == hash::algorithm::crc64nvme ? "FULL_OBJECT"
                                                                : "COMPOSITE";
  if (type != "COMPOSITE" && type != "FULL_OBJECT") {
    return error_detail(error::invalid_request, "Value for x-amz-checksum-type header is invalid.");
  }
  if ((type == "FULL_OBJECT" && !is_crc) ||
      (type == "COMPOSITE" && *algorithm == hash::algorithm::crc64nvme)) {
    return error_detail(error::invalid_request,
                        fmt::format("The {} checksum type cannot be used with the {} checksum algorithm.",
                                    type, to_lower(hash::algorithm_name(*algorithm))));
  }
  attributes.checksum_algorithm = std::string(hash::algorithm_name(*algorithm));
  attributes.checksum_type = std::move(type);
  return std::nullopt;
}

answer create_multipart_upload(store::object_store& store, std::string_view bucket, std::string_view key,
                               const store::object_attributes& attributes, const request_context& ctx) {
  auto created = store.create_upload(bucket, key, attributes);
  if (!created) return store_failure(created.error(), "CreateMultipartUpload", bucket, key, ctx, {});
  xml::xml_writer doc;
  doc.open("InitiateMultipartUploadResult", s3_xmlns)
      .element("Bucket", bucket)
      .element("Key", key)
      .element("UploadId", *created)
      .close();
  response res = xml_response(std::move(doc).str(), ctx);
  if (!attributes.checksum_algorithm.empty()) {
    res.headers.add("x-amz-checksum-algorithm", attributes.checksum_algorithm);
    res.headers.add("x-amz-checksum-type", attributes.checksum_type);
  }
  return res;
}

part_start begin_part(store::object_store& store, std::string_view bucket, std::string_view key,
                      std::string_view upload_id, std::string_view part_number_text,
                      const request_context& ctx) {
  part_start out;
  const auto number = parse_count(part_number_text);
  if (!number || *number < 1 || *number > static_cast<std::uint64_t>(max_part_number)) {
    out.refusal = invalid_argument("Part number must be an integer between 1 and 10000, inclusive",
                                   "partNumber", part_number_text, ctx);
    return out;
  }
  // An upload id names one key: using it under another is NoSuchUpload, as in S3.
  auto upload = store.get_upload(bucket, upload_id);
  if (!upload) {
    out.refusal = store_failure(upload.error(), "UploadPart", bucket, key, ctx, upload_id);
    return out;
  }
  if (upload->key != key) {
    out.refusal = no_such_upload(bucket, key, upload_id, ctx);
    return out;
  }
  out.checksum_algorithm = upload->checksum_algorithm;
  auto writer = store.create_part_writer(bucket, upload_id, static_cast<int>(*number));
  if (!writer) {
    out.refusal = store_failure(writer.error(), "UploadPart", bucket, key, ctx, upload_id);
    return out;
  }
  out.writer = std::move(*writer);
  return out;
}

answer commit_part(store::object_store& store, store::object_writer& writer, std::string_view etag,
                   std::string_view bucket, std::string_view key, std::string_view upload_id,
                   const request_context& ctx,
                   const std::vector<std::pair<std::string, std::string>>& checksums) {
  auto part = store.commit_part(writer, etag, checksums);
  if (!part) return store_failure(part.error(), "UploadPart", bucket, key, ctx, upload_id);
  response res;
  add_common_headers(res, ctx);
  res.headers.add("ETag", quoted(part->etag));
  return res;
}

answer upload_part(store::object_store& store, std::string_view bucket, std::string_view key,
                   std::string_view upload_id, std::string_view part_number_text, std::string_view content,
                   const request_context& ctx) {
  auto started = begin_part(store, bucket, key, upload_id, part_number_text, ctx);
  if (!started.writer) return std::move(started.refusal);
  if (auto written = started.writer->write(content); !written) {
    return store_failure(written.error(), "UploadPart", bucket, key, ctx, upload_id);
  }
  // The upload's checksum algorithm, else CRC64NVME (the whole object's default), as a streamed part.
  const auto which = started.checksum_algorithm.empty() ? std::optional(hash::algorithm::crc64nvme)
                                                        : hash::algorithm_named(started.checksum_algorithm);
  std::vector<std::pair<std::string, std::string>> checksums;
  if (which) {
    hash::hasher h(*which);
    h.update(content);
    checksums.emplace_back(std::string(hash::checksum_header(*which)), hash::base64_encode(h.finish()));
  }
  return commit_part(store, *started.writer, hash::to_hex(hash::md5(content)), bucket, key, upload_id, ctx,
                     checksums);
}

answer complete_multipart_upload(store::object_store& store, std::string_view bucket, std::string_view key,
                                 std::string_view upload_id, std::string_view body_xml,
                                 const request_context& ctx, const header_list& headers) {
  auto condition = parse_write_condition(headers);
  if (!condition) return make_error_response(condition.error(), ctx, false);
  auto upload = store.get_upload(bucket, upload_id);
  if (!upload && upload.error() == errc::no_such_upload) {
    if (auto retried = completed_again(store, bucket, key, upload_id, body_xml, ctx))
      return std::move(*retried);
  }
  if (!upload) return store_failure(upload.error(), "CompleteMultipartUpload", bucket, key, ctx, upload_id);
  if (upload->key != key) return no_such_upload(bucket, key, upload_id, ctx);

  const auto requested = parse_complete(body_xml);
  if (!requested) {
    return {make_error_response(error_detail(error::malformed_xml), ctx, false),
            "CompleteMultipartUpload: body is not a CompleteMultipartUpload document with parts"};
  }
  for (std::size_t i = 1; i < requested->size(); ++i) {
    if ((*requested)[i].number <= (*requested)[i - 1].number) {
      error_detail detail(error::invalid_part_order);
      detail.with("UploadId", std::string(upload_id));
      detail.resource = resource_of(bucket, key);
      return make_error_response(detail, ctx, false);
    }
  }

  auto stored = store.list_parts(bucket, upload_id);
  if (!stored) return store_failure(stored.error(), "CompleteMultipartUpload", bucket, key, ctx, upload_id);
  std::vector<int> numbers;
  std::vector<std::string> etags;
  std::vector<const store::part_info*> chosen;
  numbers.reserve(requested->size());
  etags.reserve(requested->size());
  for (std::size_t i = 0; i < requested->size(); ++i) {
    const requested_part& want = (*requested)[i];
    const auto found = std::lower_bound(stored->begin(), stored->end(), want.number,
                                        [](const store::part_info& p, int n) { return p.number < n; });
    const auto checksum_differs = [&] {
      for (const auto& [name, value] : want.checksums) {
        if (std::find(found->checksums.begin(), found->checksums.end(), std::pair{name, value}) ==
            found->checksums.end())
          return true;
      }
      return false;
    };
    if (found == stored->end() || found->number != want.number || to_lower(want.etag) != found->etag ||
        checksum_differs()) {
      error_detail detail(error::invalid_part);
      detail.with("UploadId", std::string(upload_id))
          .with("PartNumber", std::to_string(want.number))
          .with("ETag", want.etag);
      detail.resource = resource_of(bucket, key);
      return make_error_response(detail, ctx, false);
    }
    if (i + 1 < requested->size() && found->size < min_part_size) {
      error_detail detail(error::entity_too_small);
      detail.with("ProposedSize", std::to_string(found->size))
          .with("MinSizeAllowed", std::to_string(min_part_size))
          .with("PartNumber", std::to_string(want.number))
          .with("ETag", found->etag);
      detail.resource = resource_of(bucket, key);
      return make_error_response(detail, ctx, false);
    }
    numbers.push_back(want.number);
    etags.push_back(found->etag);
    chosen.push_back(&*found);
  }

  const std::string etag = multipart_etag(etags);
  store::upload_completion completion;
  if (auto refused = object_checksum(*upload, chosen, headers, completion))
    return make_error_response(*refused, ctx, false);
  if (auto failed = observe_write_condition(store, bucket, key, *condition)) {
    failed->resource = resource_of(bucket, key);
    return make_error_response(*failed, ctx, false);
  }
  completion.condition = std::move(*condition);
  auto completed = store.complete_upload(bucket, upload_id, numbers, etag, completion);
  if (!completed) {
    // After a conflict S3 wants the upload started again: it is gone.
    if (completed.error() == errc::write_conflict) (void)store.abort_upload(bucket, upload_id);
    return {make_error_response(
                write_condition_error(completed.error(), completion.condition, bucket, key, upload_id), ctx,
                false),
            "CompleteMultipartUpload: " + completed.error().message()};
  }
  return complete_result(bucket, key, completed->etag, completion.checksums, completion.checksum_type, ctx);
}

answer abort_multipart_upload(store::object_store& store, std::string_view bucket, std::string_view key,
                              std::string_view upload_id, const request_context& ctx) {
  auto upload = store.get_upload(bucket, upload_id);
  if (!upload) return store_failure(upload.error(), "AbortMultipartUpload", bucket, key, ctx, upload_id);
  if (upload->key != key) return no_such_upload(bucket, key, upload_id, ctx);
  if (auto aborted = store.abort_upload(bucket, upload_id); !aborted)
    return store_failure(aborted.error(), "AbortMultipartUpload", bucket, key, ctx, upload_id);
  response res;
  res.status = 204;
  add_common_headers(res, ctx);
  return res;
}

answer list_parts(store::object_store& store, std::string_view bucket, std::string_view key,
                  std::string_view upload_id, const query_type& query, const request_context& ctx) {
  std::uint64_t max_parts = max_list_parts;
  if (const auto text = query_value(query, "max-parts")) {
    const auto value = parse_count(*text);
    if (!value || *value > 2147483647U)
      return invalid_argument("Provided max-parts not an integer or within integer range", "max-parts", *text,
                              ctx);
    max_parts = *value;
  }
  std::uint64_t marker = 0;
  if (const auto text = query_value(query, "part-number-marker")) {
    const auto value = parse_count(*text);
    if (!value || *value > 2147483647U)
      return invalid_argument("Provided part-number-marker not an integer or within integer range",
                              "part-number-marker", *text, ctx);
    marker = *value;
  }
  auto upload = store.get_upload(bucket, upload_id);
  if (!upload) return store_failure(upload.error(), "ListParts", bucket, key, ctx, upload_id);
  if (upload->key != key) return no_such_upload(bucket, key, upload_id, ctx);
  auto parts = store.list_parts(bucket, upload_id);
  if (!parts) return store_failure(parts.error(), "ListParts", bucket, key, ctx, upload_id);

  const std::size_t page_size = static_cast<std::size_t>(std::min<std::uint64_t>(max_parts, max_list_parts));
  std::vector<store::part_info> page;
  bool truncated = false;
  for (const auto& part : *parts) {
    if (static_cast<std::uint64_t>(part.number) <= marker) continue;
    if (page.size() == page_size) {
      truncated = true;
      break;
    }
    page.push_back(part);
  }

  xml::xml_writer doc;
  doc.open("ListPartsResult", s3_xmlns)
      .element("Bucket", bucket)
      .element("Key", key)
      .element("UploadId", upload_id);
  doc.open("Initiator").element("ID", owner_id).element("DisplayName", owner_name).close();
  doc.open("Owner").element("ID", owner_id).element("DisplayName", owner_name).close();
  doc.element("StorageClass", "STANDARD")
      .element("PartNumberMarker", std::to_string(marker))
      .element("NextPartNumberMarker", std::to_string(page.empty() ? 0 : page.back().number))
      .element("MaxParts", std::to_string(max_parts))
      .element("IsTruncated", truncated ? "true" : "false");
  if (!upload->checksum_algorithm.empty()) {
    doc.element("ChecksumAlgorithm", upload->checksum_algorithm)
        .element("ChecksumType", upload->checksum_type);
  }
  for (const auto& part : page) {
    doc.open("Part")
        .element("PartNumber", std::to_string(part.number))
        .element("LastModified", format_iso8601(part.last_modified))
        .element("ETag", quoted(part.etag))
        .element("Size", std::to_string(part.size));
    // Without an algorithm the parts' checksums are the default CRC64NVME, kept for the object only.
    if (!upload->checksum_algorithm.empty()) {
      for (const auto& [name, value] : part.checksums) doc.element(checksum_element(name), value);
    }
    doc.close();
  }
  doc.close();
  return xml_response(std::move(doc).str(), ctx);
}

answer list_multipart_uploads(store::object_store& store, std::string_view bucket, const query_type& query,
                              const request_context& ctx) {
  if (const auto delimiter = query_value(query, "delimiter"); delimiter && !delimiter->empty()) {
    error_detail detail(error::not_implemented,
                        "ListMultipartUploads does not support the delimiter parameter");
    return make_error_response(detail, ctx, false);
  }
  const std::string prefix(query_value(query, "prefix").value_or(""));
  const std::string key_marker(query_value(query, "key-marker").value_or(""));
  const std::string upload_id_marker(query_value(query, "upload-id-marker").value_or(""));
  bool is_url = false;
  if (const auto encoding = query_value(query, "encoding-type")) {
    if (*encoding != "url")
      return invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", *encoding,
                              ctx);
    is_url = true;
  }
  std::uint64_t max_uploads = max_list_parts;
  if (const auto text = query_value(query, "max-uploads")) {
    const auto value = parse_count(*text);
    if (!value || *value > 2147483647U)
      return invalid_argument("Provided max-uploads not an integer or within integer range", "max-uploads",
                              *text, ctx);
    max_uploads = *value;
  }
  auto uploads = store.list_uploads(bucket);
  if (!uploads) return store_failure(uploads.error(), "ListMultipartUploads", bucket, {}, ctx, {});

  // Resume after (key-marker, upload-id-marker) when that upload is still listed, else
  // after every upload of key-marker.
  auto first = uploads->begin();
  if (!key_marker.empty()) {
    first = std::find_if(uploads->begin(), uploads->end(),
                         [&](const store::upload_info& u) { return u.key > key_marker; });
    if (!upload_id_marker.empty()) {
      const auto exact = std::find_if(uploads->begin(), uploads->end(), [&](const store::upload_info& u) {
        return u.key == key_marker && u.upload_id == upload_id_marker;
      });
      if (exact != uploads->end()) first = exact + 1;
    }
  }
  const std::size_t page_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_uploads, max_list_parts));
  std::vector<store::upload_info> page;
  bool truncated = false;
  for (auto it = first; it != uploads->end(); ++it) {
    if (!it->key.starts_with(prefix)) continue;
    if (page.size() == page_size) {
      truncated = true;
      break;
    }
    page.push_back(*it);
  }

  const auto encode = [&](std::string_view text) {
    return is_url ? url_encode_key(text) : std::string(text);
  };
  xml::xml_writer doc;
  doc.open("ListMultipartUploadsResult", s3_xmlns)
      .element("Bucket", bucket)
      .element("KeyMarker", encode(key_marker))
      .element("UploadIdMarker", upload_id_marker)
      .element("NextKeyMarker", page.empty() ? std::string() : encode(page.back().key))
      .element("Prefix", encode(prefix))
      .element("NextUploadIdMarker", page.empty() ? std::string() : page.back().upload_id)
      .element("MaxUploads", std::to_string(max_uploads))
      .element("IsTruncated", truncated ? "true" : "false");
  for (const auto& upload : page) {
    doc.open("Upload").element("Key", encode(upload.key)).element("UploadId", upload.upload_id);
    doc.open("Initiator").element("ID", owner_id).element("DisplayName", owner_name).close();
    doc.open("Owner").element("ID", owner_id).element("DisplayName", owner_name).close();
    doc.element("StorageClass", "STANDARD").element("Initiated", format_iso8601(upload.initiated)).close();
  }
  if (is_url) doc.element("EncodingType", "url");
  doc.close();
  return xml_response(std::move(doc).str(), ctx);
}

}  // namespace s3cors::s3
