#pragma once
// The storage seam: the core sees buckets and objects only through this interface.
#include "s3cors/errc.hpp"
#include "s3cors/result.hpp"
#include "s3cors/store/object_attributes.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace s3cors::store {

using seconds_time = std::chrono::sys_seconds;

struct bucket_info {
  std::string name;
  seconds_time creation_date{};
};

struct object_info {
  std::uint64_t size = 0;
  seconds_time last_modified{};  ///< whole seconds, as HTTP dates carry
  std::string etag;              ///< lowercase hex MD5 (or multipart ETag), without quotes
  /// Metadata set at upload, checksums, ACL; null for objects that have none (files dropped in).
  std::shared_ptr<const object_attributes> attributes;
};

/// An opened object: reads see one version even if the file is replaced meanwhile.
class readable_object {
 public:
  virtual ~readable_object() = default;
  [[nodiscard]] virtual std::uint64_t size() const noexcept = 0;
  /// A file descriptor the transport may sendfile() from, or -1.
  [[nodiscard]] virtual int native_handle() const noexcept = 0;
  /// Reads up to out.size() bytes at offset; returns the count (0 at end) or an error.
  [[nodiscard]] virtual result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) const = 0;
  /// True when reading [offset, offset + length) cannot wait for a disk (the bytes are in
  /// memory): a network thread may then send them itself. False when unknown.
  [[nodiscard]] virtual bool is_resident(std::uint64_t offset, std::uint64_t length) const noexcept = 0;
  /// Fills all of out from offset only if that cannot wait for a disk: true when done. False
  /// when the bytes are not all in memory, on any error, or when the object cannot tell (the
  /// default); out's content is then unspecified and the caller falls back to is_resident
  /// and read_at. For small bodies: one read instead of a residency probe and a read.
  [[nodiscard]] virtual bool read_if_resident(std::uint64_t offset, std::span<char> out) const noexcept {
    (void)offset;
    (void)out;
    return false;
  }
  /// Brings [offset, offset + length) into memory, waiting for the disk (worker threads only),
  /// so that a later send does not wait.
  virtual void prefetch(std::uint64_t offset, std::uint64_t length) const noexcept = 0;
  /// All the object's bytes, when it holds them in memory for as long as it lives (an edge
  /// cache entry): the transport then writes straight from them, without a copy. Empty
  /// (the default) for objects on disk.
  [[nodiscard]] virtual std::optional<std::string_view> bytes_in_memory() const noexcept {
    return std::nullopt;
  }
};

/// The bytes of a new object or part, written in pieces to a place no reader sees until the
/// store commits it. Destroying an uncommitted writer discards what it wrote.
class object_writer {
 public:
  virtual ~object_writer() = default;
  /// Appends piece. errc::io_error (disk full, ...).
  [[nodiscard]] virtual result<void> write(std::string_view piece) = 0;
  /// Appends length bytes of source from offset, without passing them through memory where
  /// the file system allows (copy_file_range, reflinks). errc::io_error, or no_such_key when
  /// the source is shorter than promised.
  [[nodiscard]] virtual result<void> copy_from(const readable_object& source, std::uint64_t offset,
                                               std::uint64_t length) = 0;
  /// Bytes written so far.
  [[nodiscard]] virtual std::uint64_t size() const noexcept = 0;
};

/// One entry of an object listing.
struct listed_object {
  std::string key;
  std::uint64_t size = 0;
  seconds_time last_modified{};
  std::string etag;  ///< lowercase hex MD5, without quotes
};

/// Which slice of a bucket's key space list_objects() returns.
struct list_page_request {
  std::string prefix;       ///< only keys starting with this
  std::string start_after;  ///< exclusive: only keys > this (byte order)
  std::size_t max_keys = 1000;
};

/// A multipart upload in progress.
struct upload_info {
  std::string upload_id;
  std::string key;
  seconds_time initiated{};
  /// From CreateMultipartUpload (filled by get_upload only): x-amz-checksum-algorithm
  /// (uppercase, empty: none) and x-amz-checksum-type.
  std::string checksum_algorithm;
  std::string checksum_type;
};

/// One uploaded part of a multipart upload.
struct part_info {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag;  ///< lowercase hex MD5 of the part, without quotes
  seconds_time last_modified{};
  /// The part's x-amz-checksum-<algorithm> (lowercase) and base64 value, when one was recorded.
  std::vector<std::pair<std::string, std::string>> checksums;
};

/// A conditional write (If-None-Match: * or If-Match on PutObject, CopyObject and
/// CompleteMultipartUpload). The store evaluates it against the key's object under the key's
/// lock, atomically with publishing: of concurrent writers that all require an absent key,
/// exactly one succeeds.
struct write_condition {
  bool if_none_match = false;  ///< only when no object has the key
  /// Only when the key's object has this ETag (unquoted; "*": any object).
  std::optional<std::string> if_match;
  /// The key's object when the request was accepted: seen_etag (nullopt: none). A condition
  /// that still holds at publishing while the object is no longer that one means a write or
  /// delete of the key interfered: errc::write_conflict, as S3's 409.
  bool seen = false;
  std::optional<std::string> seen_etag;

  [[nodiscard]] bool active() const noexcept { return if_none_match || if_match.has_value(); }
};

/// Evaluates condition against the key's current object (null: none): success,
/// errc::precondition_failed (the object exists for If-None-Match, another ETag for If-Match),
/// errc::no_such_key (If-Match and no object, none seen either) or errc::write_conflict.
[[nodiscard]] std::error_code check_write_condition(const write_condition& condition,
                                                    const object_info* current) noexcept;

/// What CompleteMultipartUpload adds to the upload's attributes, and its condition.
struct upload_completion {
  write_condition condition;
  /// Sizes (and checksums) of the parts in order, recorded for partNumber reads.
  std::vector<object_part> parts;
  /// The object's checksums (x-amz-checksum-<alg>, base64 value), replacing the upload's.
  std::vector<std::pair<std::string, std::string>> checksums;
  std::string checksum_type;  ///< "COMPOSITE" or "FULL_OBJECT" with checksums
};

/// A completed multipart upload's result (find_completed_upload).
struct completed_upload {
  std::string key;
  std::string etag;  ///< the multipart ETag, without quotes
  std::vector<int> part_numbers;
  std::vector<std::pair<std::string, std::string>> checksums;
  std::string checksum_type;
};

struct opened_object {
  object_info info;
  std::shared_ptr<const readable_object> body;
};

class object_store {
 public:
  virtual ~object_store() = default;

  /// All buckets, sorted by name. Fails only on I/O errors.
  [[nodiscard]] virtual result<std::vector<bucket_info>> list_buckets() const = 0;
  /// errc::no_such_bucket when absent.
  [[nodiscard]] virtual result<bucket_info> stat_bucket(std::string_view bucket) const = 0;
  /// errc::no_such_bucket, no_such_key, invalid_key, outside_root or io_error.
  [[nodiscard]] virtual result<object_info> stat(std::string_view bucket, std::string_view key) const = 0;
  /// The attributes of the object as it is now (null when it has none), without computing
  /// its ETag: what an access check needs. Errors as stat().
  [[nodiscard]] virtual result<std::shared_ptr<const object_attributes>> attributes_of(
      std::string_view bucket, std::string_view key) const = 0;
  /// As stat(), and opens the object for reading.
  [[nodiscard]] virtual result<opened_object> open(std::string_view bucket, std::string_view key) const = 0;
  /// Objects of a bucket with key > page.start_after and starting with page.prefix, in
  /// UTF-8 byte order (S3's order), at most page.max_keys + 1 entries (the extra one tells
  /// the caller the listing is truncated). errc::no_such_bucket when missing, io_error.
  [[nodiscard]] virtual result<std::vector<listed_object>> list_objects(
      std::string_view bucket, const list_page_request& page) const = 0;

  // Small per-bucket documents (the CORS configuration set through the API, ...), kept
  // outside the bucket's key namespace: never listed or served as objects.

  /// The document, nullopt when absent; errc::no_such_bucket when the bucket is missing.
  [[nodiscard]] virtual result<std::optional<std::string>> get_bucket_document(
      std::string_view bucket, std::string_view name) const = 0;
  /// Replaces the document atomically: readers see the old or the new one, never a mix.
  [[nodiscard]] virtual result<void> put_bucket_document(std::string_view bucket, std::string_view name,
                                                         std::string_view content) = 0;
  // Writes. Objects are replaced atomically: a reader sees the old object or the new one.

  /// errc::invalid_bucket_name, bucket_exists.
  [[nodiscard]] virtual result<void> create_bucket(std::string_view bucket) = 0;
  /// errc::no_such_bucket, bucket_not_empty.
  [[nodiscard]] virtual result<void> delete_bucket(std::string_view bucket) = 0;
  /// A writer for a new object of bucket: errc::invalid_bucket_name, no_such_bucket, io_error.
  [[nodiscard]] virtual result<std::unique_ptr<object_writer>> create_object_writer(
      std::string_view bucket) = 0;
  /// Makes what writer (from create_object_writer of the same bucket) holds the object key,
  /// replacing any previous one atomically (creating intermediate folders), with etag and
  /// attributes (whose etag field is ignored). The writer is spent either way.
  /// errc::invalid_key, outside_root, no_such_bucket or io_error; with a condition also
  /// precondition_failed, no_such_key or conditional_conflict (check_write_condition).
  [[nodiscard]] virtual result<object_info> commit_object(object_writer& writer, std::string_view bucket,
                                                          std::string_view key, std::string_view etag,
                                                          const object_attributes& attributes,
                                                          const write_condition& condition = {}) = 0;
  /// Stores content under key in one piece: create_object_writer, write, commit_object with
  /// the content's MD5 as ETag.
  [[nodiscard]] result<object_info> put_object(std::string_view bucket, std::string_view key,
                                               std::string_view content, const object_attributes& attributes);
  /// Replaces the attributes of the object as it is now, leaving its bytes, ETag and
  /// Last-Modified alone (PutObjectAcl). errc::no_such_bucket, no_such_key, invalid_key, io_error.
  [[nodiscard]] virtual result<void> set_attributes(std::string_view bucket, std::string_view key,
                                                    const object_attributes& attributes) = 0;
  /// Removes the object; succeeds when it was absent (S3 answers 204 either way).
  [[nodiscard]] virtual result<void> delete_object(std::string_view bucket, std::string_view key) = 0;

  /// Removes the document; succeeds when it was absent.
  [[nodiscard]] virtual result<void> delete_bucket_document(std::string_view bucket,
                                                            std::string_view name) = 0;

  // Multipart uploads. Parts live outside the key namespace until the upload completes.

  /// Starts an upload and returns its new random, URL-safe id. errc::invalid_bucket_name,
  /// no_such_bucket, invalid_key or io_error.
  [[nodiscard]] virtual result<std::string> create_upload(std::string_view bucket, std::string_view key,
                                                          const object_attributes& attributes) = 0;
  /// A writer for one part; part_number is 1..10000 (checked by the caller).
  /// errc::no_such_bucket, no_such_upload or io_error.
  [[nodiscard]] virtual result<std::unique_ptr<object_writer>> create_part_writer(std::string_view bucket,
                                                                                  std::string_view upload_id,
                                                                                  int part_number) = 0;
  /// Stores (or replaces) the part that writer (from create_part_writer) holds, with etag.
  /// errc::no_such_upload (aborted or completed meanwhile) or io_error.
  [[nodiscard]] virtual result<part_info> commit_part(
      object_writer& writer, std::string_view etag,
      const std::vector<std::pair<std::string, std::string>>& checksums = {}) = 0;
  /// One part in one piece, with the content's MD5 as ETag.
  [[nodiscard]] result<part_info> put_part(std::string_view bucket, std::string_view upload_id,
                                           int part_number, std::string_view content);
  /// The upload's parts sorted by number. errc::no_such_bucket, no_such_upload or io_error.
  [[nodiscard]] virtual result<std::vector<part_info>> list_parts(std::string_view bucket,
                                                                  std::string_view upload_id) const = 0;
  /// errc::no_such_bucket, no_such_upload or io_error.
  [[nodiscard]] virtual result<upload_info> get_upload(std::string_view bucket,
                                                       std::string_view upload_id) const = 0;
  /// The bucket's uploads in progress sorted by key, then initiation time.
  /// errc::no_such_bucket or io_error.
  [[nodiscard]] virtual result<std::vector<upload_info>> list_uploads(std::string_view bucket) const = 0;
  /// Concatenates the given parts (already validated by the caller) into the object
  /// atomically and removes the upload; returns the object's info with etag =
  /// multipart_etag and the upload's attributes with completion's additions, which later
  /// stat()/open() report too. errc::no_such_bucket, no_such_upload (also when a listed part is
  /// missing), invalid_key, outside_root, io_error, or the errors of completion.condition.
  [[nodiscard]] virtual result<object_info> complete_upload(std::string_view bucket,
                                                            std::string_view upload_id,
                                                            const std::vector<int>& part_numbers,
                                                            std::string_view multipart_etag,
                                                            const upload_completion& completion = {}) = 0;
  /// What a completed upload became, kept so that a retried CompleteMultipartUpload gets the
  /// same answer (S3 does): errc::no_such_upload when the upload was not completed or its
  /// result is no longer kept. The default keeps nothing.
  [[nodiscard]] virtual result<completed_upload> find_completed_upload(std::string_view bucket,
                                                                       std::string_view upload_id) const {
    (void)bucket;
    (void)upload_id;
    return make_error_code(errc::no_such_upload);
  }
  /// Removes the upload and its parts. errc::no_such_bucket, no_such_upload or io_error.
  [[nodiscard]] virtual result<void> abort_upload(std::string_view bucket, std::string_view upload_id) = 0;
  /// Removes uploads initiated before cutoff (abandoned uploads); returns how many.
  [[nodiscard]] virtual result<std::size_t> remove_uploads_older_than(seconds_time cutoff) = 0;
};

}  // namespace s3cors::store
