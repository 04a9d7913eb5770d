#pragma once
// ListObjectsV2 and ListObjects (v1): query parsing and the ListBucketResult document.
// Pure: the objects come from a caller-supplied fetch function (the store, in production).
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/store/object_store.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::s3 {

/// The largest page S3 returns, whatever max-keys asks for.
inline constexpr std::size_t max_list_keys = 1000;

/// The parameters every listing (ListObjects v1 and v2, ListObjectVersions) reads alike.
struct list_common_params {
  std::string prefix;
  std::string delimiter;
  std::string encoding_type;             ///< "" or "url"
  std::size_t max_keys = max_list_keys;  ///< as requested (echoed as MaxKeys); pages hold at most 1000
};

struct list_objects_params : list_common_params {
  bool v2 = true;                  ///< list-type=2
  std::string continuation_token;  ///< as sent (base64); echoed in the response
  std::string start_after;
  std::string marker;
  bool fetch_owner = false;
  bool has_continuation_token = false;  ///< sent, possibly empty: S3 echoes even an empty one
  bool has_start_after = false;         ///< sent, possibly empty
  /// The Owner each entry shows (v1, or v2 with fetch-owner): the bucket's owner (listings do
  /// not read object records); empty: the fixed owner of owner.hpp.
  std::string owner_id;
  std::string owner_name;
};

using query_parameters = std::vector<std::pair<std::string, std::string>>;

/// Reads one query parameter into p if it is one of list_common_params' (prefix, delimiter,
/// encoding-type, max-keys): true if it was, false for any other name. Fails with
/// invalid_argument for a max-keys that is not an integer in [0, 2147483647] or an
/// encoding-type other than "url".
[[nodiscard]] result<bool, error_detail> read_common_list_param(std::string_view name,
                                                                const std::string& value,
                                                                list_common_params& p);

/// Parses the (decoded) query of GET /bucket: list-type=2 selects v2, anything else v1.
/// Fails with invalid_argument for a max-keys or encoding-type as read_common_list_param
/// refuses them, a list-type other than 2 (checked before the rest), or a continuation-token
/// that is not one this server issued; otherwise the first bad parameter in query order decides.
[[nodiscard]] result<list_objects_params, error_detail> parse_list_params(const query_parameters& query);

/// Asks for one page of keys; its errors are returned unchanged by list_objects_xml().
using fetch_page =
    std::function<result<std::vector<store::listed_object>, error_detail>(const store::list_page_request&)>;

/// The ListBucketResult document for the listing, as S3 renders it. Common prefixes count
/// toward max-keys; fetch may be called several times when keys roll up into them. Fails
/// with whatever fetch returns (no_such_bucket, ...) or invalid_argument for a bad token.
[[nodiscard]] result<std::string, error_detail> list_objects_xml(std::string_view bucket,
                                                                 const list_objects_params& params,
                                                                 const fetch_page& fetch);

/// ListObjectVersions' parameters (GET /bucket?versions).
struct list_versions_params : list_common_params {
  std::string key_marker;
  std::string version_id_marker;
};

/// Parses the query of GET /bucket?versions. InvalidArgument as read_common_list_param for
/// max-keys and encoding-type, for a version-id-marker without a key-marker, and for a version id
/// other than "null" (the only version s3cors keeps).
[[nodiscard]] result<list_versions_params, error_detail> parse_list_versions_params(
    const query_parameters& query);

/// The ListVersionsResult document, as S3 renders it for a bucket that never had versioning:
/// every current object is a <Version> with VersionId "null" and IsLatest true. Paging and
/// common prefixes as ListObjects v1 (key-marker is its marker).
[[nodiscard]] result<std::string, error_detail> list_object_versions_xml(std::string_view bucket,
                                                                         const list_versions_params& params,
                                                                         const fetch_page& fetch);

/// The continuation token for a listing that resumes after last (key or common prefix).
[[nodiscard]] std::string make_continuation_token(std::string_view last);
/// The key or common prefix a token resumes after; nullopt when it is not one of ours.
[[nodiscard]] std::optional<std::string> decode_continuation_token(std::string_view token);

/// S3's encoding-type=url form: every byte but unreserved characters and '/' as %XX
/// (' ' as %20, '+' as %2B), which boto3's unquote_plus and plain unquote both reverse.
[[nodiscard]] std::string url_encode_key(std::string_view text);

}  // namespace s3cors::s3
