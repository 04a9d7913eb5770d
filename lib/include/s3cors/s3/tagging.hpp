#pragma once
// Object and bucket tags: the <Tagging> document, the x-amz-tagging header and S3's rules for
// tag sets. Pure: the handlers live in service_tagging.cpp.
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors {
class header_list;
}

namespace s3cors::s3 {

/// Tags in the order they were given (keys are unique once validated).
using tag_set = std::vector<std::pair<std::string, std::string>>;

/// What a tag set belongs to: objects take at most 10 tags, buckets 50.
enum class tag_owner { object, bucket };

/// The bucket document (object_store::put_bucket_document) holding PutBucketTagging's set.
inline constexpr std::string_view bucket_tagging_document = "tagging.xml";

/// S3's rules, in its order: the count (400 BadRequest "Object tags cannot be greater than
/// 10" / "Bucket tag count cannot be greater than 50"), then per tag the key (1 to 128
/// characters of letters, numbers, white space and _ . : / = + - @; not starting with
/// "aws:"), the value (0 to 256 of the same) and duplicate keys (InvalidTag). Lengths count
/// UTF-16 code units, as S3 does.
[[nodiscard]] std::optional<error_detail> validate_tags(const tag_set& tags, tag_owner owner);

/// PutObjectTagging/PutBucketTagging's body: <Tagging><TagSet><Tag><Key/><Value/></Tag>...
/// with or without S3's namespace, validated (also POST Object's tagging field). MalformedXML when it is not
/// such a document.
[[nodiscard]] result<tag_set, error_detail> parse_tagging(std::string_view xml, tag_owner owner);

/// x-amz-tagging (PutObject, CopyObject, CreateMultipartUpload): URL query form, "k1=v1&k2=v2", a key without
/// '=' holding the empty value, validated as an object's. InvalidArgument for a pair with a second '=', a bad
/// %-escape or a repeated key.
[[nodiscard]] result<tag_set, error_detail> parse_tagging_header(std::string_view header);

/// x-amz-tagging of a request's headers, parsed as parse_tagging_header; empty when absent.
[[nodiscard]] result<tag_set, error_detail> tags_from_headers(const header_list& headers);

/// POST Object's tagging field (a <Tagging> document), among the form's fields (names
/// lowercased); empty when there is none.
[[nodiscard]] result<tag_set, error_detail> tags_from_form_fields(
    const std::vector<std::pair<std::string, std::string>>& fields);

/// The <Tagging> document GetObjectTagging/GetBucketTagging answer.
[[nodiscard]] std::string render_tagging(const tag_set& tags);

}  // namespace s3cors::s3
