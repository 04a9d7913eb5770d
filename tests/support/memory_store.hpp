#pragma once
// An in-memory object_store for unit tests of the core. It applies the same name rules as
// fs_store (bucket names, key mapping) so handlers see the same error codes.
#include "s3cors/store/object_store.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::test {

class memory_store final : public store::object_store {
 public:
  /// Adds (or replaces the creation date of) a bucket. Throws std::logic_error for a name
  /// fs_store would not accept as a bucket.
  void add_bucket(std::string name, store::seconds_time creation);
  /// Stores an object; the ETag is the MD5 of content. Throws std::logic_error when the
  /// bucket was not added or the key is not one fs_store could map.
  void put(std::string_view bucket, std::string key, std::string content, store::seconds_time last_modified,
           std::string content_type = "", store::object_attributes attributes = {});
  /// Removes an object if present.
  void remove(std::string_view bucket, std::string_view key);
  /// The clock for uploads' initiation, parts' and completed objects' times (default: epoch).
  void set_now(store::seconds_time now);

  [[nodiscard]] result<std::vector<store::bucket_info>> list_buckets() const override;
  [[nodiscard]] result<store::bucket_info> stat_bucket(std::string_view bucket) const override;
  [[nodiscard]] result<store::object_info> stat(std::string_view bucket, std::string_view key) const override;
  [[nodiscard]] result<store::opened_object> open(std::string_view bucket,
                                                  std::string_view key) const override;
  [[nodiscard]] result<std::vector<store::listed_object>> list_objects(
      std::string_view bucket, const store::list_page_request& page) const override;
  [[nodiscard]] result<std::optional<std::string>> get_bucket_document(std::string_view bucket,
                                                                       std::string_view name) const override;
  [[nodiscard]] result<void> put_bucket_document(std::string_view bucket, std::string_view name,
                                                 std::string_view content) override;
  [[nodiscard]] result<void> delete_bucket_document(std::string_view bucket, std::string_view name) override;
  [[nodiscard]] result<void> create_bucket(std::string_view bucket) override;
  [[nodiscard]] result<void> delete_bucket(std::string_view bucket) override;
  [[nodiscard]] result<std::shared_ptr<const store::object_attributes>> attributes_of(
      std::string_view bucket, std::string_view key) const override;
  [[nodiscard]] result<std::unique_ptr<store::object_writer>> create_object_writer(
      std::string_view bucket) override;
  [[nodiscard]] result<store::object_info> commit_object(
      store::object_writer& writer, std::string_view bucket, std::string_view key, std::string_view etag,
      const store::object_attributes& attributes, const store::write_condition& condition = {}) override;
  [[nodiscard]] result<void> set_attributes(std::string_view bucket, std::string_view key,
                                            const store::object_attributes& attributes) override;
  [[nodiscard]] result<void> delete_object(std::string_view bucket, std::string_view key) override;
  [[nodiscard]] result<std::string> create_upload(std::string_view bucket, std::string_view key,
                                                  const store::object_attributes& attributes) override;
  [[nodiscard]] result<std::unique_ptr<store::object_writer>> create_part_writer(std::string_view bucket,
                                                                                 std::string_view upload_id,
                                                                                 int part_number) override;
  [[nodiscard]] result<store::part_info> commit_part(
      store::object_writer& writer, std::string_view etag,
      const std::vector<std::pair<std::string, std::string>>& checksums = {}) override;
  [[nodiscard]] result<std::vector<store::part_info>> list_parts(std::string_view bucket,
                                                                 std::string_view upload_id) const override;
  [[nodiscard]] result<store::upload_info> get_upload(std::string_view bucket,
                                                      std::string_view upload_id) const override;
  [[nodiscard]] result<std::vector<store::upload_info>> list_uploads(std::string_view bucket) const override;
  [[nodiscard]] result<store::object_info> complete_upload(
      std::string_view bucket, std::string_view upload_id, const std::vector<int>& part_numbers,
      std::string_view multipart_etag, const store::upload_completion& completion = {}) override;
  [[nodiscard]] result<void> abort_upload(std::string_view bucket, std::string_view upload_id) override;
  [[nodiscard]] result<std::size_t> remove_uploads_older_than(store::seconds_time cutoff) override;

 private:
  struct object {
    store::object_info info;
    std::shared_ptr<const std::string> content;  ///< shared with opened bodies: a snapshot
  };
  struct part {
    store::part_info info;
    std::string content;
  };
  struct upload {
    std::string key;
    store::seconds_time initiated{};
    std::map<int, part> parts;
    store::object_attributes attributes;
  };
  struct bucket {
    store::seconds_time creation{};
    std::map<std::string, upload, std::less<>> uploads;
    std::map<std::string, object, std::less<>> objects;
    std::map<std::string, std::string, std::less<>> documents;
  };

  [[nodiscard]] result<const object*> find(std::string_view bucket, std::string_view key) const;

  mutable std::shared_mutex mutex_;
  std::mutex commit_mutex_;  ///< serialises conditional writes' check and publish
  std::map<std::string, bucket, std::less<>> buckets_;
  store::seconds_time now_{};
  std::uint64_t next_upload_ = 1;
};

}  // namespace s3cors::test
