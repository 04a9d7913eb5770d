#pragma once
// What S3 keeps beside an object's bytes: the metadata set at upload (returned by GET and
// HEAD), its additional checksums, and an ETag that is not the content's MD5 (multipart).
// Files dropped into a bucket by hand have none of it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors {
class header_list;
}

namespace s3cors::store {

/// One part of an object completed from a multipart upload.
struct object_part {
  std::uint64_t size = 0;
  std::string checksum;  ///< base64 of the part's checksum in the object's algorithm, if any
};

struct object_attributes {
  /// Non-empty: the ETag to report instead of the content's MD5 (e.g. "<md5>-3").
  std::string etag;
  /// Headers returned by GET/HEAD as set at upload: Content-Type, Content-Encoding,
  /// Content-Disposition, Content-Language, Cache-Control, Expires and x-amz-meta-* (lowercase).
  std::vector<std::pair<std::string, std::string>> headers;
  /// x-amz-checksum-<algorithm> (lowercase) and its value, returned when asked for.
  std::vector<std::pair<std::string, std::string>> checksums;
  /// The object's canned ACL; empty: none set (the bucket's applies).
  std::string acl;
  /// The object's tags (key, value) in the order they were set; empty: none.
  std::vector<std::pair<std::string, std::string>> tags;
  /// The object's owner (the uploader: s3::party's fields); empty: none recorded (records
  /// written before owners were, files dropped in, anonymous uploads): the bucket's owner.
  std::string owner_id;
  std::string owner_name;
  std::string owner_account;
  /// The parts of an object completed from a multipart upload, in order (empty otherwise).
  std::vector<object_part> parts;
  /// "COMPOSITE" or "FULL_OBJECT" (x-amz-checksum-type); empty: FULL_OBJECT where checksums exist.
  std::string checksum_type;
  /// An upload's x-amz-checksum-algorithm (CreateMultipartUpload), uppercase; empty: none.
  std::string checksum_algorithm;

  [[nodiscard]] bool empty() const noexcept {
    return etag.empty() && headers.empty() && checksums.empty() && acl.empty() && tags.empty() &&
           owner_id.empty() && parts.empty() && checksum_type.empty() && checksum_algorithm.empty();
  }
  /// The stored value of a header (case-insensitive name), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;
};

/// The metadata headers of a PutObject/CreateMultipartUpload/CopyObject (REPLACE) request.
/// aws-chunked is dropped from Content-Encoding, as S3 does: it describes the transfer only;
/// any other Content-Encoding is stored verbatim. x-amz-meta-* values that are RFC 2047
/// encoded words are stored decoded.
[[nodiscard]] object_attributes attributes_from_request(const header_list& headers);

/// A stored x-amz-meta-* value as GET/HEAD send it: as stored when it is all ASCII, else
/// RFC 2047's "=?UTF-8?B?<base64>?=", as S3 does (attributes_from_request decodes such
/// encoded words before storing).
[[nodiscard]] std::string metadata_value_for_response(std::string_view stored);

/// JSON text for the on-disk record, and back (nullopt when the text is not such a record).
[[nodiscard]] std::string serialize(const object_attributes& attributes);
[[nodiscard]] std::optional<object_attributes> parse_object_attributes(std::string_view json);

}  // namespace s3cors::store
