#pragma once
// Private helpers shared by the fs_store source files.
#include "s3cors/store/fs_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace s3cors::store::detail {

/// Set on a thread while a nonblocking_scope exists there.
inline thread_local bool nonblocking_thread = false;

/// Inside a nonblocking_scope, anything that may wait for the disk is refused (would_block).
inline void require_blocking_allowed() {
  if (nonblocking_thread) throw would_block{};
}

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

/// The whole content of a small file, or nullopt when it cannot be read.
inline std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

/// Writes chunks to a fresh temp file under temp_dir (created if needed) and renames it to
/// target, so readers see the old file or the new one. Returns 0 or the failing errno.
inline int write_file_atomically(const std::filesystem::path& temp_dir, const std::filesystem::path& target,
                                 std::initializer_list<std::string_view> chunks) {
  static std::atomic<std::uint64_t> counter{0};
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  const std::filesystem::path temp =
      temp_dir / ("doc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno != 0 ? errno : EIO;
  bool written = true;
  for (const std::string_view chunk : chunks) written = written && write_all(fd, chunk);
  ::close(fd);
  if (!written) {
    std::filesystem::remove(temp, ec);
    return EIO;
  }
  if (std::rename(temp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    std::filesystem::remove(temp, ec);
    return error;
  }
  return 0;
}

}  // namespace s3cors::store::detail
