// Writes of fs_store: buckets and objects. An object is written to a temp file under
// ROOT/.s3cors/tmp (never a bucket, so never listed) and renamed into place: a reader, or a
// server killed mid-upload, sees the old object or the new one, never a partial one.
#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"
#include "store/fs_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace s3cors::store {
namespace {

using detail::resolves_inside;
using detail::write_all;

namespace fs = std::filesystem;

std::atomic<std::uint64_t> upload_counter{0};

// The file system refuses the write itself: permissions, or a read-only mount.
bool is_refusal(int error) noexcept {
  return error == EACCES || error == EPERM || error == EROFS;
}

}  // namespace

result<void> fs_store::create_bucket(std::string_view bucket) {
  detail::require_blocking_allowed();
  if (!is_valid_bucket_name(bucket)) return make_error_code(errc::invalid_bucket_name);
  const fs::path dir = options_.root / std::string(bucket);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return make_error_code(errno == EEXIST     ? errc::bucket_exists
                           : is_refusal(errno) ? errc::access_denied
                                               : errc::io_error);
  }
  return {};
}

result<void> fs_store::delete_bucket(std::string_view bucket) {
  detail::require_blocking_allowed();
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

detail::fs_writer::fs_writer(const fs::path& temp_dir, std::string bucket, std::size_t header_size)
    : bucket_(std::move(bucket)) {
  std::error_code ec;
  fs::create_directories(temp_dir, ec);
  if (ec) throw std::system_error(ec, "create the temp folder");
  temp_ = temp_dir / ("upload-" + std::to_string(::getpid()) + "-" + std::to_string(upload_counter++));
  fd_ = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "create temp file");
  if (header_size > 0) {
    const std::string blank(header_size, '\n');
    if (!write_all(fd_, blank)) {
      const int error = errno;
      close();
      ::unlink(temp_.c_str());
      throw std::system_error(error, std::generic_category(), "write temp file");
    }
  }
}

detail::fs_writer::~fs_writer() {
  close();
  if (owned_) ::unlink(temp_.c_str());
}

void detail::fs_writer::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

result<void> detail::fs_writer::write(std::string_view piece) {
  if (fd_ < 0 || !write_all(fd_, piece)) return make_error_code(errc::io_error);
  size_ += piece.size();
  return {};
}

result<void> detail::fs_writer::copy_from(const readable_object& source, std::uint64_t offset,
                                          std::uint64_t length) {
  if (fd_ < 0) return make_error_code(errc::io_error);
  // copy_file_range lets the file system share or copy blocks without a trip through user
  // space (a reflink on XFS and Btrfs); where it cannot (another file system, no descriptor),
  // bounded reads and writes do the same.
  if (const int in = source.native_handle(); in >= 0) {
    while (length > 0) {
      auto from = static_cast<::off64_t>(offset);
      const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(length, std::uint64_t{1} << 30));
      const ::ssize_t n = ::copy_file_range(in, &from, fd_, nullptr, count, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) break;
      if (n < 0) return make_error_code(errc::io_error);
      if (n == 0) return make_error_code(errc::no_such_key);  // the source shrank
      offset += static_cast<std::uint64_t>(n);
      length -= static_cast<std::uint64_t>(n);
      size_ += static_cast<std::uint64_t>(n);
    }
  }
  std::vector<char> buffer(std::min<std::uint64_t>(length, std::uint64_t{256} * 1024));
  while (length > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    auto n = source.read_at(offset, std::span<char>(buffer.data(), want));
    if (!n) return n.error();
    if (*n == 0) return make_error_code(errc::no_such_key);
    if (auto written = write(std::string_view(buffer.data(), *n)); !written) return written;
    offset += *n;
    length -= *n;
  }
  return {};
}

result<std::unique_ptr<object_writer>> fs_store::create_object_writer(std::string_view bucket) {
  detail::require_blocking_allowed();
  if (auto exists = stat_bucket(bucket); !exists) return exists.error();
  try {
    return std::unique_ptr<object_writer>(
        std::make_unique<detail::fs_writer>(options_.root / ".s3cors" / "tmp", std::string(bucket), 0));
  } catch (const std::system_error& e) {
    return make_error_code(is_refusal(e.code().value()) ? errc::access_denied : errc::io_error);
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<object_info> fs_store::commit_object(object_writer& writer, std::string_view bucket,
                                            std::string_view key, std::string_view etag,
                                            const object_attributes& attributes) {
  detail::require_blocking_allowed();
  auto* temp = dynamic_cast<detail::fs_writer*>(&writer);
  if (temp == nullptr || temp->fd() < 0 || temp->bucket() != bucket) {
    throw std::logic_error("commit_object: not an open writer of this store for this bucket");
  }
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
                           : is_refusal(ec.value()) ? errc::access_denied
                                                    : errc::io_error);
  if (!options_.follow_symlinks_outside_root && !resolves_inside(target.parent_path(), bucket_prefix)) {
    return make_error_code(errc::outside_root);
  }
  if (fs::is_directory(target, ec)) return make_error_code(errc::invalid_key);

  object_info info;
  info.size = temp->size();
  info.etag = std::string(etag);
  std::shared_ptr<object_attributes> recorded;
  // A record keeps the metadata and saves hashing the file after a restart; a file whose
  // ETag is its MD5 and whose attributes are empty needs none below the MD5 limit.
  if (!attributes.empty() || info.size > options_.md5_etag_limit ||
      etag.find('-') != std::string_view::npos) {
    recorded = std::make_shared<object_attributes>(attributes);
    recorded->etag = info.etag;
  }

  // Records the attributes for the temp file's version (the rename keeps it), then renames
  // it over the target. Returns 0 or the rename's errno.
  struct ::stat st {};
  auto record_and_rename = [&](int fd, const fs::path& from) -> result<int> {
    const std::optional<std::string> stamp = ::fstat(fd, &st) == 0 ? version_stamp(fd) : std::nullopt;
    if (!stamp) return make_error_code(errc::io_error);
    if (recorded) {
      if (auto written = write_record(bucket, key, *stamp, *recorded); !written) return written.error();
    }
    if (std::rename(from.c_str(), target.c_str()) != 0) return errno;
    // A record of the previous version no longer matches; removing it just saves space.
    if (!recorded) remove_record(bucket, key);
    return 0;
  };
  auto renamed = record_and_rename(temp->fd(), temp->temp_path());
  // After a plain rename the temp file is the object; after a copy the writer removes it.
  if (renamed && *renamed == 0) temp->release();
  if (renamed && *renamed == EXDEV) {
    // A bucket on another file system (a linked folder) cannot take a rename from the root:
    // copy the bytes beside the target first.
    const fs::path near = target.parent_path() / (".s3cors-upload-" + std::to_string(upload_counter++));
    const int out = ::open(near.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) return make_error_code(errc::io_error);
    bool copied = true;
    ::off64_t from = 0;
    std::uint64_t left = temp->size();
    while (copied && left > 0) {
      const ::ssize_t n = ::copy_file_range(temp->fd(), &from, out, nullptr, left, 0);
      if (n < 0 && errno == EINTR) continue;
      copied = n > 0;
      if (copied) left -= static_cast<std::uint64_t>(n);
    }
    renamed = copied ? record_and_rename(out, near) : result<int>(make_error_code(errc::io_error));
    ::close(out);
    if (!renamed || *renamed != 0) fs::remove(near, ec);
  }
  if (!renamed) return renamed.error();
  if (*renamed != 0) return make_error_code(is_refusal(*renamed) ? errc::access_denied : errc::io_error);
  temp->close();
  info.last_modified = seconds_time{std::chrono::seconds{st.st_mtim.tv_sec}};
  info.attributes = std::move(recorded);
  return info;
}

result<void> fs_store::delete_object(std::string_view bucket, std::string_view key) {
  detail::require_blocking_allowed();
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
