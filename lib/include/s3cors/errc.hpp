#pragma once
// Environmental failures (disk, configuration) as std::error_code in our own category.
#include <system_error>

namespace s3cors {

enum class errc {
  no_such_bucket = 1,   ///< the bucket directory does not exist
  no_such_key,          ///< no regular file for the key
  invalid_key,          ///< the key cannot be mapped safely to a file (.., NUL, backslash, ...)
  outside_root,         ///< the key resolves (through a symlink) outside the data root
  invalid_bucket_name,  ///< not a valid S3 bucket name
  io_error,             ///< the file system failed; details were logged by the caller
  invalid_config,       ///< a configuration document is not valid
  bucket_exists,        ///< CreateBucket of a bucket that is already there
  bucket_not_empty,     ///< DeleteBucket of a bucket that still holds objects
  no_such_upload,       ///< no multipart upload with that id in the bucket
  access_denied,        ///< the file system refused: permissions, or a read-only file system
  precondition_failed,  ///< a conditional write's If-None-Match / If-Match did not hold
  write_conflict,       ///< a write or delete of the key interfered with a conditional write
};

[[nodiscard]] const std::error_category& s3cors_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), s3cors_category()};
}

}  // namespace s3cors

template <>
struct std::is_error_code_enum<s3cors::errc> : std::true_type {};
