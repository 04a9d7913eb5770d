#pragma once
// S3 multipart upload: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts and ListMultipartUploads. Pure handlers over object_store:
// each returns the complete response, S3 errors included (rendered through error.hpp).
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/store/object_attributes.hpp"
#include "s3cors/store/object_store.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::s3 {

/// S3's limits: parts are numbered 1..10000, and every part but the last holds at least 5 MiB.
inline constexpr int max_part_number = 10000;
inline constexpr std::uint64_t min_part_size = std::uint64_t{5} * 1024 * 1024;
/// The largest page ListParts and ListMultipartUploads return.
inline constexpr std::size_t max_list_parts = 1000;

/// The multipart ETag (without quotes): hex MD5 of the concatenated binary MD5s of the
/// parts, then "-" and the part count. part_etags are hex MD5s (quotes allowed); returns an
/// empty string when one is not 32 hex digits.
[[nodiscard]] std::string multipart_etag(const std::vector<std::string>& part_etags);

/// x-amz-checksum-algorithm and x-amz-checksum-type of a CreateMultipartUpload into attributes
/// (checksum_algorithm, checksum_type: COMPOSITE by default, FULL_OBJECT for CRC64NVME), or
/// InvalidRequest for an unknown algorithm or a type the algorithm cannot have (FULL_OBJECT
/// with SHA, COMPOSITE with CRC64NVME), as S3.
[[nodiscard]] std::optional<error_detail> apply_checksum_settings(const header_list& headers,
                                                                  store::object_attributes& attributes);

/// POST /bucket/key?uploads: 200 with InitiateMultipartUploadResult (Bucket, Key, UploadId).
/// NoSuchBucket, InvalidBucketName, InvalidArgument (key), InternalError.
/// The attributes (metadata of the CreateMultipartUpload request) are the completed object's.
[[nodiscard]] answer create_multipart_upload(store::object_store& store, std::string_view bucket,
                                             std::string_view key, const store::object_attributes& attributes,
                                             const request_context& ctx);

/// What UploadPart and UploadPartCopy decide before any byte of the part: a writer for the
/// part, or the refusal (InvalidArgument for a part number outside 1..10000, NoSuchUpload when
/// the id is unknown or belongs to another key, NoSuchBucket, InternalError).
struct part_start {
  std::unique_ptr<store::object_writer> writer;
  answer refusal;
  std::string checksum_algorithm;  ///< the upload's (CreateMultipartUpload), uppercase; empty: none
};
[[nodiscard]] part_start begin_part(store::object_store& store, std::string_view bucket, std::string_view key,
                                    std::string_view upload_id, std::string_view part_number_text,
                                    const request_context& ctx);
/// Stores the part writer holds (from begin_part) with etag: 200 with the quoted ETag header;
/// NoSuchUpload when the upload ended meanwhile, InternalError.
/// checksums: the part's verified x-amz-checksum-* values, recorded with it (ListParts, the
/// object's checksum at completion).
[[nodiscard]] answer commit_part(store::object_store& store, store::object_writer& writer,
                                 std::string_view etag, std::string_view bucket, std::string_view key,
                                 std::string_view upload_id, const request_context& ctx,
                                 const std::vector<std::pair<std::string, std::string>>& checksums = {});

/// PUT /bucket/key?partNumber=N&uploadId=ID with the part in memory: begin_part, then
/// commit_part with the content's MD5.
/// InvalidArgument when part_number_text is not an integer in 1..10000; NoSuchUpload when
/// the id is unknown or belongs to another key; NoSuchBucket, InternalError.
[[nodiscard]] answer upload_part(store::object_store& store, std::string_view bucket, std::string_view key,
                                 std::string_view upload_id, std::string_view part_number_text,
                                 std::string_view content, const request_context& ctx);

/// POST /bucket/key?uploadId=ID with a CompleteMultipartUpload body: 200 with
/// CompleteMultipartUploadResult (Location, Bucket, Key, ETag). MalformedXML (not the
/// document, no part, a part without PartNumber/ETag), InvalidPartOrder (numbers not strictly
/// ascending), InvalidPart (a part missing or its ETag different), EntityTooSmall (a part
/// but the last below 5 MiB), NoSuchUpload, NoSuchBucket, InternalError. headers: If-None-Match
/// and If-Match (conditional_write.hpp: 412, 409, NotImplemented).
[[nodiscard]] answer complete_multipart_upload(store::object_store& store, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id,
                                               std::string_view body_xml, const request_context& ctx,
                                               const header_list& headers = {});

/// DELETE /bucket/key?uploadId=ID: 204. NoSuchUpload, NoSuchBucket, InternalError.
[[nodiscard]] answer abort_multipart_upload(store::object_store& store, std::string_view bucket,
                                            std::string_view key, std::string_view upload_id,
                                            const request_context& ctx);

/// GET /bucket/key?uploadId=ID: 200 with ListPartsResult. Reads max-parts (default and
/// maximum 1000) and part-number-marker from query (decoded, in request order).
/// InvalidArgument for a value that is not a non-negative integer; NoSuchUpload, NoSuchBucket.
[[nodiscard]] answer list_parts(store::object_store& store, std::string_view bucket, std::string_view key,
                                std::string_view upload_id,
                                const std::vector<std::pair<std::string, std::string>>& query,
                                const request_context& ctx);

/// GET /bucket?uploads: 200 with ListMultipartUploadsResult. Reads prefix, key-marker,
/// upload-id-marker, max-uploads (default and maximum 1000) and encoding-type=url.
/// InvalidArgument for a bad max-uploads or encoding-type; NotImplemented for a delimiter;
/// NoSuchBucket.
[[nodiscard]] answer list_multipart_uploads(store::object_store& store, std::string_view bucket,
                                            const std::vector<std::pair<std::string, std::string>>& query,
                                            const request_context& ctx);

}  // namespace s3cors::s3
