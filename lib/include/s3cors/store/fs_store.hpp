#pragma once
// The file-system object store: buckets are directories directly under a data root, objects
// are the regular files below them. This is the only code that maps S3 names to disk paths.
#include "s3cors/store/names.hpp"
#include "s3cors/store/object_store.hpp"

#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::store {
namespace detail {
struct file_version;
}

/// Lowercase hex MD5 of data (32 characters), as S3 ETags carry it.
/// Throws std::runtime_error only if the crypto library cannot provide MD5 (e.g. a FIPS-only build).
[[nodiscard]] std::string md5_hex(std::string_view data);

/// Thrown by a store method called inside a nonblocking_scope instead of doing anything that
/// might wait for a disk (a directory walk, an uncached path lookup, a read of uncached data).
/// The caller then runs the same call again where waiting is allowed. Deliberately not a
/// std::exception: handlers that turn exceptions into errors must let it pass.
struct would_block {};

/// While one exists on a thread, fs_store throws would_block rather than wait for a
/// disk. For network threads.
class nonblocking_scope {
 public:
  nonblocking_scope() noexcept;
  ~nonblocking_scope();
  nonblocking_scope(const nonblocking_scope&) = delete;
  nonblocking_scope& operator=(const nonblocking_scope&) = delete;
  /// True on a thread inside a nonblocking_scope.
  [[nodiscard]] static bool active() noexcept;

 private:
  bool previous_;
};

struct fs_store_options {
  std::filesystem::path root;
  /// When false (the default), a bucket or key whose real location (after symlinks)
  /// leaves the data root fails with errc::outside_root.
  bool follow_symlinks_outside_root = false;
  /// Files dropped into a bucket up to this size get their content MD5 as ETag (computed
  /// once per file version, off the network threads); larger ones an ETag derived from the
  /// file's identity (docs/etags.md).
  std::uint64_t md5_etag_limit = 1024 * 1024;
  /// When true (the default), a write is acknowledged only once durable: an object's bytes,
  /// its record and the folder entries naming them are flushed (fsync) before PutObject,
  /// CompleteMultipartUpload, CopyObject or a part upload returns. False trades that for
  /// speed, for throw-away fixtures: a power loss may then lose acknowledged writes (a
  /// killed process does not).
  bool durable_writes = true;
};

class fs_store final : public object_store {
 public:
  /// Canonicalises options.root once. Throws std::filesystem::filesystem_error when the
  /// root does not exist and std::invalid_argument when it is not a directory.
  explicit fs_store(fs_store_options options);
  ~fs_store() override;
  fs_store(const fs_store&) = delete;
  fs_store& operator=(const fs_store&) = delete;

  /// Buckets sorted by name. Entries that are not valid bucket names, not directories,
  /// or (by default) symlinks resolving outside the root are skipped. io_error otherwise.
  [[nodiscard]] result<std::vector<bucket_info>> list_buckets() const override;
  /// invalid_bucket_name, no_such_bucket, outside_root (a bucket symlink leaving the
  /// root) or io_error.
  [[nodiscard]] result<bucket_info> stat_bucket(std::string_view bucket) const override;
  /// invalid_bucket_name, invalid_key, no_such_bucket, no_such_key (missing, or not a
  /// regular file), outside_root or io_error.
  [[nodiscard]] result<object_info> stat(std::string_view bucket, std::string_view key) const override;
  /// As stat(); the info is built from the opened descriptor, so it describes the bytes
  /// the returned body serves even if the file is replaced meanwhile.
  [[nodiscard]] result<opened_object> open(std::string_view bucket, std::string_view key) const override;
  [[nodiscard]] result<std::shared_ptr<const object_attributes>> attributes_of(
      std::string_view bucket, std::string_view key) const override;
  /// Walks the bucket directory in key order, descending only into directories whose keys
  /// can match the page. Skips what stat() would refuse (symlinks leaving the root, names
  /// that are not valid keys, non-regular files). ETags come from the cache (hashing only
  /// new or changed files). invalid_bucket_name, no_such_bucket, outside_root or io_error.
  [[nodiscard]] result<std::vector<listed_object>> list_objects(std::string_view bucket,
                                                                const list_page_request& page) const override;
  [[nodiscard]] result<std::optional<std::string>> get_bucket_document(std::string_view bucket,
                                                                       std::string_view name) const override;
  [[nodiscard]] result<void> put_bucket_document(std::string_view bucket, std::string_view name,
                                                 std::string_view content) override;
  [[nodiscard]] result<void> delete_bucket_document(std::string_view bucket, std::string_view name) override;
  [[nodiscard]] result<void> create_bucket(std::string_view bucket) override;
  [[nodiscard]] result<void> delete_bucket(std::string_view bucket) override;
  [[nodiscard]] result<std::unique_ptr<object_writer>> create_object_writer(std::string_view bucket) override;
  [[nodiscard]] result<object_info> commit_object(object_writer& writer, std::string_view bucket,
                                                  std::string_view key, std::string_view etag,
                                                  const object_attributes& attributes,
                                                  const write_condition& condition = {}) override;
  [[nodiscard]] result<void> set_attributes(std::string_view bucket, std::string_view key,
                                            const object_attributes& attributes) override;
  [[nodiscard]] result<void> delete_object(std::string_view bucket, std::string_view key) override;

  // Multipart uploads (fs_multipart.cpp): ROOT/.s3cors/uploads/BUCKET/UPLOAD-ID/ holds a
  // "meta" file (initiation time, key), the upload's metadata and one file per part. A
  // completed object's multipart ETag goes into its record (see below).
  [[nodiscard]] result<std::string> create_upload(std::string_view bucket, std::string_view key,
                                                  const object_attributes& attributes) override;
  [[nodiscard]] result<std::unique_ptr<object_writer>> create_part_writer(std::string_view bucket,
                                                                          std::string_view upload_id,
                                                                          int part_number) override;
  [[nodiscard]] result<part_info> commit_part(
      object_writer& writer, std::string_view etag,
      const std::vector<std::pair<std::string, std::string>>& checksums = {}) override;
  [[nodiscard]] result<std::vector<part_info>> list_parts(std::string_view bucket,
                                                          std::string_view upload_id) const override;
  [[nodiscard]] result<upload_info> get_upload(std::string_view bucket,
                                               std::string_view upload_id) const override;
  [[nodiscard]] result<std::vector<upload_info>> list_uploads(std::string_view bucket) const override;
  [[nodiscard]] result<object_info> complete_upload(std::string_view bucket, std::string_view upload_id,
                                                    const std::vector<int>& part_numbers,
                                                    std::string_view multipart_etag,
                                                    const upload_completion& completion = {}) override;
  /// Kept in the upload's folder ("completed", without "meta") until the abandoned-upload sweep
  /// (remove_uploads_older_than) removes the folder.
  [[nodiscard]] result<completed_upload> find_completed_upload(std::string_view bucket,
                                                               std::string_view upload_id) const override;
  [[nodiscard]] result<void> abort_upload(std::string_view bucket, std::string_view upload_id) override;
  [[nodiscard]] result<std::size_t> remove_uploads_older_than(seconds_time cutoff) override;

  /// The canonical data root.
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return options_.root; }
  /// How many times stat() and open() read a key whose version lost its record (lost_record()),
  /// at most: a key rewritten without pause is then answered as read, without its metadata.
  static constexpr int version_attempts = 4;

  /// How many times a file's content was hashed (diagnostics and tests: a cached stat()
  /// or open() never hashes).
  [[nodiscard]] std::uint64_t etag_computations() const noexcept;

 private:
  class etag_cache;
  [[nodiscard]] std::filesystem::path document_path(std::string_view bucket, std::string_view name) const;
  // Object records (fs_records.cpp): an object's attributes (metadata set at upload, checksums,
  // a multipart ETag) live in ROOT/.s3cors/records/BUCKET/<md5 of key>/<inode> as
  // "<stamp>\n<key>\n<JSON>", one per file version, so that a record never describes a
  // version other than its own. A record counts only while the object is still the version
  // stamped: a file replaced or rewritten by hand has no attributes. A write stamps its
  // record twice (docs/storage.md): "pending" (inode, size, mtime) before the rename that
  // publishes the object, because a crash right after that rename must not leave the object
  // without its record, then "final" (with the ctime the rename gave the file) after it.
  enum class record_state { pending, final };
  /// The attributes recorded for bucket/key at this file version, else nullopt.
  [[nodiscard]] std::optional<object_attributes> read_record(std::string_view bucket, std::string_view key,
                                                             const detail::file_version& version) const;
  /// Records attributes for the file version st describes.
  [[nodiscard]] result<void> write_record(std::string_view bucket, std::string_view key,
                                          const struct ::stat& st, record_state state,
                                          const object_attributes& attributes) const;
  /// After inode `replaced` stopped being bucket/key (0: none) and inode `current` became
  /// it (0: deleted): starts the replaced version's grace period, and removes the records
  /// of versions other than `current` whose grace period is over, or beyond the newest
  /// eight. Under key_lock().
  void retire_records(std::string_view bucket, std::string_view key, ::ino_t current,
                      ::ino_t replaced) const noexcept;
  /// One read of the key, and whether the version read lost its record (lost_record() in
  /// fs_store.cpp): stat() and open() then read the key again.
  [[nodiscard]] result<std::pair<object_info, bool>> stat_once(std::string_view bucket,
                                                               std::string_view key) const;
  [[nodiscard]] result<std::pair<opened_object, bool>> open_once(std::string_view bucket,
                                                                 std::string_view key) const;
  /// Removes one version's record (a write that failed before publishing it).
  void remove_record(std::string_view bucket, std::string_view key, ::ino_t inode) const noexcept;
  [[nodiscard]] std::filesystem::path records_of(std::string_view bucket, std::string_view key) const;
  /// Records of ROOT/.s3cors/meta (one per key, before per-version records) become pending
  /// records of their version. Once, at start.
  void migrate_legacy_records() const noexcept;

  // Publishing a written file as an object (fs_write.cpp).
  /// Makes the file open as fd, named temp, the object bucket/key with attributes recorded
  /// (none when null), in crash-safe steps: data flushed (durable), folders made
  /// (make_folders), then under the key's lock: pending record, rename to write_target(),
  /// folder flushed, final record. A target on another file system gets a copy of the file
  /// made beside it first. Returns the published file's stat. A condition (may be null) is
  /// checked under the key's lock, before anything is recorded.
  [[nodiscard]] result<struct ::stat> publish(int fd, const std::filesystem::path& temp,
                                              std::string_view bucket, std::string_view key,
                                              const object_attributes* attributes,
                                              const write_condition* condition = nullptr);
  /// Where bucket/key is written now: key_path(key), or nested_key_path(key) when that path
  /// is a folder (other keys are below it). invalid_key for a link to a folder. Under the
  /// key's lock.
  [[nodiscard]] result<std::filesystem::path> write_target(std::string_view bucket,
                                                           std::string_view key) const;
  [[nodiscard]] result<struct ::stat> publish_across_devices(int fd, std::string_view bucket,
                                                             std::string_view key,
                                                             const std::filesystem::path& target,
                                                             const object_attributes* attributes,
                                                             const write_condition* condition);
  /// Copies of uploads made beside their target (another file system) that a crash left
  /// behind, found through their markers in ROOT/.s3cors/near. Once, at start.
  void remove_abandoned_near_files() const noexcept;
  // Keys a folder cannot hold as plain files (fs_nest.cpp; docs/storage.md, "Folder keys").
  /// Makes the folders bucket/key's file goes in: its parent folders, and for a key ending
  /// in '/' its own. A file on the way is the object of a shorter key: it is moved into a new
  /// folder of its name first (nest). invalid_key when something else is on the way (a link
  /// to a file, a FIFO), outside_root, access_denied or io_error.
  [[nodiscard]] result<void> make_folders(std::string_view bucket, std::string_view key);
  /// Turns the file at path, the object bucket/key, into a folder of that name holding it as
  /// nested_key_path(key): same inode (so its records stay), never missing for a reader
  /// (the folder is swapped in with RENAME_EXCHANGE), crash-safe through a journal in
  /// ROOT/.s3cors/nests. Under the key's lock; nothing to do when path is no file any more.
  [[nodiscard]] result<void> nest(std::string_view bucket, std::string_view key,
                                  const std::filesystem::path& path);
  /// Completes or undoes the nesting steps a crash interrupted (their journal entries). Once,
  /// at start.
  void finish_interrupted_nests() const noexcept;
  /// A pending record of the file version st describes becomes final (stamped with st's
  /// ctime): its file was moved or linked, by the nesting the process stopped in.
  void finalize_record(std::string_view bucket, std::string_view key, const struct ::stat& st) const noexcept;
  /// Serialises publishing, deleting and re-recording one key (64 stripes).
  [[nodiscard]] std::mutex& key_lock(std::string_view bucket, std::string_view key) const noexcept;

  fs_store_options options_;
  std::string root_prefix_;  ///< canonical root ending in exactly one '/'
  std::unique_ptr<etag_cache> cache_;
  int root_fd_ = -1;  ///< O_PATH descriptor of the root, for the symlink-free fast path
  mutable std::array<std::mutex, 64> key_locks_;
};

}  // namespace s3cors::store
