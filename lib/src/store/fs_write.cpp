// Writes of fs_store: buckets and objects. An object is written to a temp file under
// ROOT/.s3cors/tmp (never a bucket, so never listed) and renamed into place: a reader, or a
// server killed mid-upload, sees the old object or the new one, never a partial one.
#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>

namespace s3cors::store {
namespace {

using detail::resolves_inside;
using detail::write_all;

namespace fs = std::filesystem;

std::atomic<std::uint64_t> upload_counter{0};

}  // namespace

result<void> fs_store::create_bucket(std::string_view bucket) {
  if (!is_valid_bucket_name(bucket)) return make_error_code(errc::invalid_bucket_name);
  const fs::path dir = options_.root / std::string(bucket);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return make_error_code(errno == EEXIST ? errc::bucket_exists : errc::io_error);
  }
  return {};
}

result<void> fs_store::delete_bucket(std::string_view bucket) {
  if (auto exists = stat_bucket(bucket); !exists) return exists.error();
  const fs::path dir = options_.root / std::string(bucket);
  std::error_code ec;
  // S3 refuses while any object remains; empty folders are not objects.
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_directory(ec)) return make_error_code(errc::bucket_not_empty);
  }
  if (ec) return make_error_code(errc::io_error);
  if (fs::is_symlink(dir, ec)) {
    fs::remove(dir, ec);
  } else {
    fs::remove_all(dir, ec);
  }
  if (ec) return make_error_code(errc::io_error);
  fs::remove_all(options_.root / ".s3cors" / "buckets" / std::string(bucket), ec);
  return {};
}

result<object_info> fs_store::put_object(std::string_view bucket, std::string_view key,
                                         std::string_view content, const object_attributes& attributes) {
  if (!is_valid_key(key)) return make_error_code(errc::invalid_key);
  if (auto exists = stat_bucket(bucket); !exists) return exists.error();
  const fs::path target = options_.root / std::string(bucket) / std::string(key);
  const std::string bucket_prefix = root_prefix_ + std::string(bucket) + "/";
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  // A key "a/b" cannot be stored while an object "a" exists: the folder would be a file.
  if (ec)
    return make_error_code(ec == std::errc::not_a_directory || ec == std::errc::file_exists
                               ? errc::invalid_key
                               : errc::io_error);
  if (!options_.follow_symlinks_outside_root && !resolves_inside(target.parent_path(), bucket_prefix)) {
    return make_error_code(errc::outside_root);
  }
  if (fs::is_directory(target, ec)) return make_error_code(errc::invalid_key);

  object_info info;
  info.size = content.size();
  info.etag = hash::to_hex(hash::md5(content));
  std::shared_ptr<object_attributes> recorded;
  if (!attributes.empty()) {
    recorded = std::make_shared<object_attributes>(attributes);
    recorded->etag = info.etag;  // saves hashing the file again after a restart
  }

  // Writes the content to temp, records the attributes for that version (the rename keeps
  // it), and renames temp over the target. Returns 0 or the rename's errno.
  struct ::stat st {};
  auto write_and_rename = [&](const fs::path& temp) -> result<int> {
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return make_error_code(errc::io_error);
    std::optional<std::string> stamp;
    bool written = write_all(fd, content) && ::fstat(fd, &st) == 0 && (stamp = version_stamp(fd));
    ::close(fd);
    if (written && recorded) written = static_cast<bool>(write_record(bucket, key, *stamp, *recorded));
    if (!written) {
      fs::remove(temp, ec);
      return make_error_code(errc::io_error);
    }
    if (std::rename(temp.c_str(), target.c_str()) != 0) {
      const int error = errno;
      fs::remove(temp, ec);
      return error;
    }
    // A record of the previous version no longer matches; removing it just saves space.
    if (!recorded) remove_record(bucket, key);
    return 0;
  };
  const fs::path temp_dir = options_.root / ".s3cors" / "tmp";
  fs::create_directories(temp_dir, ec);
  auto renamed = write_and_rename(
      temp_dir / ("upload-" + std::to_string(::getpid()) + "-" + std::to_string(upload_counter++)));
  if (renamed && *renamed == EXDEV) {
    // A bucket on another file system (a linked folder) cannot take a rename from the root.
    renamed = write_and_rename(target.parent_path() / (".s3cors-upload-" + std::to_string(upload_counter++)));
  }
  if (!renamed) return renamed.error();
  if (*renamed != 0) return make_error_code(errc::io_error);
  info.last_modified = seconds_time{std::chrono::seconds{st.st_mtim.tv_sec}};
  info.attributes = std::move(recorded);
  return info;
}

result<void> fs_store::delete_object(std::string_view bucket, std::string_view key) {
  if (!is_valid_key(key)) return make_error_code(errc::invalid_key);
  if (auto exists = stat_bucket(bucket); !exists) return exists.error();
  const fs::path bucket_dir = options_.root / std::string(bucket);
  const fs::path target = bucket_dir / std::string(key);
  std::error_code ec;
  if (!fs::exists(target.parent_path(), ec)) return {};
  if (!options_.follow_symlinks_outside_root &&
      !resolves_inside(target.parent_path(), root_prefix_ + std::string(bucket) + "/")) {
    return make_error_code(errc::outside_root);
  }
  const auto status = fs::symlink_status(target, ec);
  if (ec || status.type() == fs::file_type::not_found) return {};
  if (status.type() == fs::file_type::directory) return {};  // a folder is not an object
  if (::unlink(target.c_str()) != 0 && errno != ENOENT) return make_error_code(errc::io_error);
  remove_record(bucket, key);
  // Folders exist only to hold keys: remove the ones this delete emptied.
  for (fs::path dir = target.parent_path();
       dir != bucket_dir && dir.string().size() > bucket_dir.string().size(); dir = dir.parent_path()) {
    if (::rmdir(dir.c_str()) != 0) break;
  }
  return {};
}

}  // namespace s3cors::store
