// Object records of fs_store: the attributes S3 keeps beside an object's bytes, stored
// outside every bucket in ROOT/.s3cors/meta/BUCKET/<md5 of key>.
#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"

#include <unistd.h>

#include <system_error>

namespace s3cors::store {

std::filesystem::path fs_store::record_path(std::string_view bucket, std::string_view key) const {
  return options_.root / ".s3cors" / "meta" / std::string(bucket) / md5_hex(key);
}

std::optional<object_attributes> fs_store::read_record(std::string_view bucket, std::string_view key,
                                                       std::string_view stamp) const {
  const auto text = detail::read_small_file(record_path(bucket, key));
  if (!text) return std::nullopt;
  std::string_view view = *text;
  const auto first = view.find('\n');
  if (first == std::string_view::npos || view.substr(0, first) != stamp) return std::nullopt;
  view.remove_prefix(first + 1);
  // The key guards against two keys sharing an MD5, however unlikely.
  const auto second = view.find('\n');
  if (second == std::string_view::npos || view.substr(0, second) != key) return std::nullopt;
  return parse_object_attributes(view.substr(second + 1));
}

result<void> fs_store::write_record(std::string_view bucket, std::string_view key, std::string_view stamp,
                                    const object_attributes& attributes) const {
  const std::filesystem::path path = record_path(bucket, key);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return make_error_code(errc::io_error);
  const std::string json = serialize(attributes);
  if (detail::write_file_atomically(options_.root / ".s3cors" / "tmp", path,
                                    {stamp, "\n", key, "\n", json}) != 0) {
    return make_error_code(errc::io_error);
  }
  return {};
}

void fs_store::remove_record(std::string_view bucket, std::string_view key) const noexcept {
  try {
    ::unlink(record_path(bucket, key).c_str());
  } catch (...) {
    // Best effort: a stale record is ignored anyway, its stamp no longer matching.
  }
}

}  // namespace s3cors::store
