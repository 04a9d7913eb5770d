#pragma once
// Private helpers shared by the fs_store source files.
#include "s3cors/store/fs_store.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

// Identifies one version of a file's content. ctime is included on top of size, mtime and
// inode because tools such as `cp --preserve=timestamps` rewrite a file in place with the
// same size and restore its mtime; ctime cannot be set from user space, so such a rewrite
// still makes a new version.
struct file_version {
  ::dev_t dev = 0;
  ::ino_t ino = 0;
  ::off_t size = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  std::int64_t ctime_sec = 0;
  std::int64_t ctime_nsec = 0;
  /// No name refers to the file any more (a replaced or deleted object still open): the
  /// unlink changed its ctime, nothing else.
  bool unlinked = false;

  friend bool operator==(const file_version&, const file_version&) = default;
};

inline file_version version_of(const struct ::stat& st) noexcept {
  return {st.st_dev,
          st.st_ino,
          st.st_size,
          static_cast<std::int64_t>(st.st_mtim.tv_sec),
          static_cast<std::int64_t>(st.st_mtim.tv_nsec),
          static_cast<std::int64_t>(st.st_ctim.tv_sec),
          static_cast<std::int64_t>(st.st_ctim.tv_nsec),
          st.st_nlink == 0};
}

/// How an object record's stamp (its first line) relates to a version of the file:
/// applies; does not; or applies if the record was written shortly before the version's ctime
/// (a pending stamp: the write stopped before its final one). The final stamp names the
/// content (inode, size, mtime) and the ctime it was confirmed at. Besides an exact match it
/// applies to the same content with an older ctime: a reader that looked at the file before a
/// later link or rename (a key moved into a folder of its name) still finds its metadata; and
/// to a version unlinked since (the unlink alone changed its ctime). A later ctime with the
/// same content is a rewrite in place (`cp --preserve=timestamps`): it does not apply.
enum class stamp_match { applies, no, if_recent };
[[nodiscard]] stamp_match match_record_stamp(std::string_view stamp, const file_version& version);

/// Crash-point injection for the crash tests: when the environment variable
/// S3CORS_TEST_CRASH_AT names this point, the process is killed here, as kill -9 or a power
/// loss would stop it between two steps of a write. Points: "object-record-pending",
/// "object-renamed", "object-record-final", "object-near-linked", and moving a key into a
/// folder of its name (fs_nest.cpp): "nest-record-pending", "nest-linked", "nest-exchanged",
/// "nest-record-final".
inline void crash_point(const char* name) noexcept {
  const char* wanted = std::getenv("S3CORS_TEST_CRASH_AT");
  if (wanted != nullptr && std::string_view(wanted) == name) std::_Exit(137);
}

/// For the race tests only (null otherwise): called by fs_store's stat() and open() between
/// opening a version of an object and reading its record, where a reader descheduled by a
/// loaded machine lets other writes of the key through.
inline void (*version_opened_hook)() = nullptr;

inline void version_opened() {
  if (version_opened_hook != nullptr) version_opened_hook();
}

/// fsync of a directory: makes the names created, renamed or removed in it durable.
inline bool sync_directory(const std::filesystem::path& dir) noexcept {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

/// Copies length bytes of in, from its start, to out's current offset: copy_file_range
/// where the file systems allow (a reflink or an in-kernel copy), else sendfile (between file
/// systems copy_file_range fails with EXDEV before Linux 5.19). False on any failure.
inline bool copy_whole_file(int in, int out, std::uint64_t length) {
  ::off64_t from = 0;
  bool in_kernel = true;
  while (length > 0) {
    const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(length, std::uint64_t{1} << 30));
    ::ssize_t n = -1;
    if (in_kernel) {
      n = ::copy_file_range(in, &from, out, nullptr, count, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        in_kernel = false;
        continue;
      }
    } else {
      ::off_t offset = from;
      n = ::sendfile(out, in, &offset, count);
      if (n > 0) from = offset;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    length -= static_cast<std::uint64_t>(n);
  }
  return true;
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
/// target, so readers see the old file or the new one. With durable, the file is flushed
/// before the rename and the target's folder after it. Returns 0 or the failing errno.
inline int write_file_atomically(const std::filesystem::path& temp_dir, const std::filesystem::path& target,
                                 std::initializer_list<std::string_view> chunks, bool durable = false) {
  static std::atomic<std::uint64_t> counter{0};
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  const std::filesystem::path temp =
      temp_dir / ("doc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno != 0 ? errno : EIO;
  bool written = true;
  for (const std::string_view chunk : chunks) written = written && write_all(fd, chunk);
  if (durable) written = written && ::fsync(fd) == 0;
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
  if (durable && !sync_directory(target.parent_path())) return EIO;
  return 0;
}

}  // namespace s3cors::store::detail
