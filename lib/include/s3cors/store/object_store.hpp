#pragma once
// The storage seam: the core sees buckets and objects only through this interface.
#include "s3cors/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
  std::string etag;              ///< lowercase hex MD5, without quotes
  std::string content_type;      ///< empty: derive from the key's extension
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
  /// As stat(), and opens the object for reading.
  [[nodiscard]] virtual result<opened_object> open(std::string_view bucket, std::string_view key) const = 0;

  // Small per-bucket documents (the CORS configuration set through the API, ...), kept
  // outside the bucket's key namespace: never listed or served as objects.

  /// The document, nullopt when absent; errc::no_such_bucket when the bucket is missing.
  [[nodiscard]] virtual result<std::optional<std::string>> get_bucket_document(
      std::string_view bucket, std::string_view name) const = 0;
  /// Replaces the document atomically: readers see the old or the new one, never a mix.
  [[nodiscard]] virtual result<void> put_bucket_document(std::string_view bucket, std::string_view name,
                                                         std::string_view content) = 0;
  /// Removes the document; succeeds when it was absent.
  [[nodiscard]] virtual result<void> delete_bucket_document(std::string_view bucket,
                                                            std::string_view name) = 0;
};

}  // namespace s3cors::store
