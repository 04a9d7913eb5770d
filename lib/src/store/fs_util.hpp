#pragma once
// Private helpers shared by the fs_store source files.
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace s3cors::store::detail {

/// Writes all of content to fd, retrying on EINTR; false on any failure.
inline bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// True when dir (which exists) resolves inside prefix (ending in '/'), compared by whole
/// path components: "/data/root2" is not inside "/data/root/".
inline bool resolves_inside(const std::filesystem::path& dir, std::string_view prefix) {
  std::error_code ec;
  std::string real = std::filesystem::canonical(dir, ec).string();
  if (ec) return false;
  real += '/';
  return real.starts_with(prefix);
}

}  // namespace s3cors::store::detail
