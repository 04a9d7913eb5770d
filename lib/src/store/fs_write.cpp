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
#include <chrono>
#include <cstdio>
#include <mutex>
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
                                            const object_attributes& attributes,
                                            const write_condition& condition) {
  detail::require_blocking_allowed();
  auto* temp = dynamic_cast<detail::fs_writer*>(&writer);
  if (temp == nullptr || temp->fd() < 0 || temp->bucket() != bucket) {
    throw std::logic_error("commit_object: not an open writer of this store for this bucket");
  }
  if (!is_valid_key(key)) return make_error_code(errc::invalid_key);
  if (auto exists = stat_bucket(bucket); !exists) return exists.error();

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
  auto published = publish(temp->fd(), temp->temp_path(), bucket, key, recorded.get(),
                           condition.active() ? &condition : nullptr);
  if (!published) return published.error();
  temp->close();  // the writer removes the temp file when the object is a copy of it
  info.last_modified = seconds_time{std::chrono::seconds{published->st_mtim.tv_sec}};
  info.attributes = std::move(recorded);
  return info;
}

result<fs::path> fs_store::write_target(std::string_view bucket, std::string_view key) const {
  fs::path target = options_.root / std::string(bucket) / key_path(key);
  if (key.ends_with('/')) return target;
  struct ::stat st {};
  if (::lstat(target.c_str(), &st) != 0) return target;  // a new key (or a race the rename finds)
  // A folder: other keys are below this one, which is its nested object.
  if (S_ISDIR(st.st_mode)) return options_.root / std::string(bucket) / nested_key_path(key);
  // A link to a folder (a folder linked in by hand) is not replaced by an object.
  if (S_ISLNK(st.st_mode) && ::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return make_error_code(errc::invalid_key);
  }
  return target;
}

result<struct ::stat> fs_store::publish(int fd, const fs::path& temp, std::string_view bucket,
                                        std::string_view key, const object_attributes* attributes,
                                        const write_condition* condition) {
  struct ::stat st {};
  if ((options_.durable_writes && ::fsync(fd) != 0) || ::fstat(fd, &st) != 0) {
    return make_error_code(errc::io_error);
  }
  // A write races with writes of keys below this one (which turn its path into a folder,
  // or make its folders) and with deletes of such keys (which remove the folders they
  // empty): a rename that finds its folder gone or its target turned into a folder looks
  // again. Each round is one interleaving lost, so a few are plenty.
  constexpr int attempts = 8;
  for (int attempt = 1;; ++attempt) {
    if (auto made = make_folders(bucket, key); !made) return made.error();
    std::unique_lock lock{key_lock(bucket, key)};
    // Where the key is now: decided under its lock, which nesting it takes too.
    auto target = write_target(bucket, key);
    if (!target) return target.error();
    // 0. A conditional write sees the key's object as it is now: no other write or delete of
    //    the key can come between this check and the rename.
    if (condition != nullptr) {
      auto current = stat(bucket, key);
      if (!current && current.error() != errc::no_such_key) return current.error();
      if (const auto failed = check_write_condition(*condition, current ? &*current : nullptr)) return failed;
    }
    // 1. Pending record: the rename keeps the inode, size and mtime it stamps, so readers of
    //    the published object find it even if the process stops before step 4. Under the
    //    key's lock, so that no other write of the key is ever between its steps 1 and 4.
    if (attributes != nullptr) {
      if (auto written = write_record(bucket, key, st, record_state::pending, *attributes); !written) {
        return written.error();
      }
      detail::crash_point("object-record-pending");
    }
    struct ::stat replaced {};
    const bool replaces = ::stat(target->c_str(), &replaced) == 0;
    // 2. Publish. Whatever the interleaving of writers of this key, the object is the file
    //    renamed last and its record the one stamped with that file's inode.
    if (std::rename(temp.c_str(), target->c_str()) != 0) {
      const int error = errno;
      if (attributes != nullptr) remove_record(bucket, key, st.st_ino);
      if (error == EXDEV) {
        lock.unlock();  // the copy's own publish takes it
        return publish_across_devices(fd, bucket, key, *target, attributes, condition);
      }
      if ((error == ENOENT || error == ENOTDIR || error == EISDIR) && attempt < attempts) continue;
      return make_error_code(is_refusal(error) ? errc::access_denied : errc::io_error);
    }
    detail::crash_point("object-renamed");
    // 3. The new name is durable.
    if (options_.durable_writes && !detail::sync_directory(target->parent_path())) {
      return make_error_code(errc::io_error);
    }
    // 4. Final record, stamped with the ctime the rename gave the file, so a later rewrite
    //    in place (even one restoring size and mtime) no longer matches it.
    if (::fstat(fd, &st) != 0) return make_error_code(errc::io_error);
    if (attributes != nullptr) {
      if (auto written = write_record(bucket, key, st, record_state::final, *attributes); !written) {
        return written.error();
      }
      detail::crash_point("object-record-final");
    }
    retire_records(bucket, key, st.st_ino, replaces ? replaced.st_ino : 0);
    return st;
  }
}

// A target on another file system (a folder linked into a bucket) cannot take a rename from
// the root. The bytes are copied into a file on the target's file system that has no name
// (O_TMPFILE), so nothing partial is ever visible; it gets a reserved name beside the target
// only once complete, and that name is renamed over the target at once. A marker in
// ROOT/.s3cors/near names it meanwhile, so a crash in between leaves nothing a restart does
// not remove. Where O_TMPFILE is not supported the copy is made under the reserved name
// directly, which no listing shows and no request can name (is_valid_key).
result<struct ::stat> fs_store::publish_across_devices(int fd, std::string_view bucket, std::string_view key,
                                                       const fs::path& target,
                                                       const object_attributes* attributes,
                                                       const write_condition* condition) {
  const std::string id = std::to_string(::getpid()) + "-" + std::to_string(upload_counter++);
  const fs::path near = target.parent_path() / (std::string(near_file_prefix) + id);
  const fs::path marker_dir = options_.root / ".s3cors" / "near";
  const fs::path marker = marker_dir / id;
  std::error_code ec;
  fs::create_directories(marker_dir, ec);
  if (detail::write_file_atomically(options_.root / ".s3cors" / "tmp", marker, {near.string()},
                                    options_.durable_writes) != 0) {
    return make_error_code(errc::io_error);
  }
  int out = ::open(target.parent_path().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
  const bool anonymous = out >= 0;
  if (!anonymous) out = ::open(near.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    const int error = errno;
    fs::remove(marker, ec);
    return make_error_code(is_refusal(error) ? errc::access_denied : errc::io_error);
  }
  struct ::stat source {};
  bool copied = ::fstat(fd, &source) == 0 &&
                detail::copy_whole_file(fd, out, static_cast<std::uint64_t>(source.st_size));
  if (copied && anonymous) {
    copied = ::linkat(AT_FDCWD, ("/proc/self/fd/" + std::to_string(out)).c_str(), AT_FDCWD, near.c_str(),
                      AT_SYMLINK_FOLLOW) == 0;
    if (copied) detail::crash_point("object-near-linked");
  }
  result<struct ::stat> published = make_error_code(errc::io_error);
  if (copied) published = publish(out, near, bucket, key, attributes, condition);
  ::close(out);
  if (!published) ::unlink(near.c_str());
  fs::remove(marker, ec);
  return published;
}

void fs_store::remove_abandoned_near_files() const noexcept {
  try {
    std::error_code ec;
    for (fs::directory_iterator it{options_.root / ".s3cors" / "near", ec};
         !ec && it != fs::directory_iterator{}; it.increment(ec)) {
      if (const auto named = detail::read_small_file(it->path())) {
        // Only ever a reserved name inside the root.
        const fs::path near{*named};
        if (near.filename().string().starts_with(near_file_prefix) && named->starts_with(root_prefix_)) {
          ::unlink(near.c_str());
        }
      }
      ::unlink(it->path().c_str());
    }
  } catch (...) {
    // A leftover stays unlisted and unreachable (is_valid_key); only its space is lost.
  }
}

result<void> fs_store::delete_object(std::string_view bucket, std::string_view key) {
  detail::require_blocking_allowed();
  if (!is_valid_key(key)) return make_error_code(errc::invalid_key);
  if (auto exists = stat_bucket(bucket); !exists) return exists.error();
  const fs::path bucket_dir = options_.root / std::string(bucket);
  const fs::path primary = bucket_dir / key_path(key);
  std::error_code ec;
  if (!fs::exists(primary.parent_path(), ec)) return {};
  if (!options_.follow_symlinks_outside_root &&
      !resolves_inside(primary.parent_path(), root_prefix_ + std::string(bucket) + "/")) {
    return make_error_code(errc::outside_root);
  }
  fs::path target = primary;
  {
    const std::lock_guard lock{key_lock(bucket, key)};
    struct ::stat deleted {};
    bool had_file = ::lstat(target.c_str(), &deleted) == 0;
    if (had_file && S_ISDIR(deleted.st_mode)) {
      // A folder is not an object; its nested object is the key's (never the folder
      // marker "key/", a key of its own, nor anything else in the folder).
      if (key.ends_with('/')) return {};
      target = bucket_dir / nested_key_path(key);
      had_file = ::lstat(target.c_str(), &deleted) == 0;
      if (had_file && S_ISDIR(deleted.st_mode)) return {};
    }
    if (!had_file) return {};
    if (::unlink(target.c_str()) != 0 && errno != ENOENT) return make_error_code(errc::io_error);
    // No version is current now: the deleted one's record starts its grace period (a reader
    // may have it open), records of versions replaced earlier go.
    retire_records(bucket, key, 0, deleted.st_ino);
  }
  // Folders exist only to hold keys: remove the ones this delete emptied (for a nested object
  // or a folder marker, starting with the key's own folder).
  for (fs::path dir = target.parent_path();
       dir != bucket_dir && dir.string().size() > bucket_dir.string().size(); dir = dir.parent_path()) {
    if (::rmdir(dir.c_str()) != 0) break;
  }
  return {};
}

}  // namespace s3cors::store
