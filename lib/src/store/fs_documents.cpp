// Per-bucket documents of fs_store, kept under ROOT/.s3cors/buckets/BUCKET/NAME: a dot
// directory is never a bucket, so nothing there can be listed or served as an object.
#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace s3cors::store {
namespace {

using detail::resolves_inside;
using detail::write_all;

std::atomic<std::uint64_t> temp_counter{0};

bool is_document_name(std::string_view name) {
  return !name.empty() && name.find('/') == std::string_view::npos && name.front() != '.';
}

}  // namespace

std::filesystem::path fs_store::document_path(std::string_view bucket, std::string_view name) const {
  return options_.root / ".s3cors" / "buckets" / std::string(bucket) / std::string(name);
}

result<std::optional<std::string>> fs_store::get_bucket_document(std::string_view bucket,
                                                                 std::string_view name) const {
  detail::require_blocking_allowed();
  if (!is_document_name(name)) return make_error_code(errc::invalid_key);
  auto exists = stat_bucket(bucket);
  if (!exists) return exists.error();
  std::ifstream in(document_path(bucket, name), std::ios::binary);
  if (!in) return std::optional<std::string>{};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error_code(errc::io_error);
  return std::optional<std::string>{text.str()};
}

result<void> fs_store::put_bucket_document(std::string_view bucket, std::string_view name,
                                           std::string_view content) {
  detail::require_blocking_allowed();
  if (!is_document_name(name)) return make_error_code(errc::invalid_key);
  auto exists = stat_bucket(bucket);
  if (!exists) return exists.error();
  const std::filesystem::path target = document_path(bucket, name);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return make_error_code(errc::io_error);
  // Write a temp file beside the target, flush it, then rename over the target: a reader
  // or a crash sees the old document or the new one, never a mix.
  const std::filesystem::path temp =
      target.parent_path() /
      ("." + std::string(name) + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(temp_counter++));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return make_error_code(errc::io_error);
  const bool written = write_all(fd, content) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || std::rename(temp.c_str(), target.c_str()) != 0) {
    std::filesystem::remove(temp, ec);
    return make_error_code(errc::io_error);
  }
  return {};
}

result<void> fs_store::delete_bucket_document(std::string_view bucket, std::string_view name) {
  detail::require_blocking_allowed();
  if (!is_document_name(name)) return make_error_code(errc::invalid_key);
  auto exists = stat_bucket(bucket);
  if (!exists) return exists.error();
  std::error_code ec;
  std::filesystem::remove(document_path(bucket, name), ec);
  if (ec) return make_error_code(errc::io_error);
  return {};
}

}  // namespace s3cors::store
