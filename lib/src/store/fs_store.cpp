#include "s3cors/store/fs_store.hpp"

#include "s3cors/errc.hpp"
#include "store/fs_util.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace s3cors::store {
namespace {

using detail::file_version;
using detail::version_of;

// ---------------------------------------------------------------------------------------
// Small RAII and conversion helpers

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct free_deleter {
  void operator()(char* p) const noexcept { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};

seconds_time to_seconds(const ::timespec& ts) noexcept {
  // tv_sec is already the floor of the time, so this truncates the way HTTP dates need.
  return seconds_time{std::chrono::seconds{static_cast<std::chrono::seconds::rep>(ts.tv_sec)}};
}

bool is_not_found(int error) noexcept {
  return error == ENOENT || error == ENOTDIR;
}

std::string proc_fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

using detail::nonblocking_thread;
using detail::require_blocking_allowed;

// cachestat(2) (Linux 6.5): how many pages of a range are in the page cache. Declared here
// because Debian 12's C library predates it.
struct cachestat_range {
  std::uint64_t off;
  std::uint64_t len;
};
struct cachestat_result {
  std::uint64_t nr_cache;
  std::uint64_t nr_dirty;
  std::uint64_t nr_writeback;
  std::uint64_t nr_evicted;
  std::uint64_t nr_recently_evicted;
};
constexpr long cachestat_syscall = 451;
std::atomic<bool> cachestat_missing{false};
// Set once a file system refuses RWF_NOWAIT reads: read_if_resident stops trying them.
std::atomic<bool> nowait_read_missing{false};

// True when one byte at offset can be read without waiting (RWF_NOWAIT): the fallback probe
// where cachestat is missing.
bool byte_is_resident(int fd, std::uint64_t offset) noexcept {
  char byte = 0;
  ::iovec vec{&byte, 1};
  return ::preadv2(fd, &vec, 1, static_cast<::off_t>(offset), RWF_NOWAIT) >= 0;
}

// ---------------------------------------------------------------------------------------
// MD5

class md5_hasher {
 public:
  md5_hasher() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr) == 1;
  }

  void update(const char* data, std::size_t size) noexcept {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data, size) == 1;
  }

  /// The lowercase hex digest, or nullopt when the crypto library failed.
  [[nodiscard]] std::optional<std::string> finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1) return std::nullopt;
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(hex[digest[i] >> 4U]);
      out.push_back(hex[digest[i] & 0x0FU]);
    }
    return out;
  }

 private:
  struct ctx_deleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, ctx_deleter> ctx_;
  bool ok_ = false;
};

struct hash_outcome {
  std::string etag;
  bool stable = false;  ///< the file did not change while it was read
  std::shared_ptr<const object_attributes> attributes;
  bool hashed = true;  ///< false when the ETag came from the object's record
};

result<hash_outcome> hash_fd(int fd, const file_version& before) {
  md5_hasher hasher;
  std::vector<char> buffer(std::size_t{256} * 1024);
  std::uint64_t offset = 0;
  while (true) {
    const ::ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<::off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error_code(errc::io_error);
    }
    if (n == 0) break;
    hasher.update(buffer.data(), static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  auto digest = hasher.finish();
  if (!digest) return make_error_code(errc::io_error);
  struct ::stat after {};
  if (::fstat(fd, &after) != 0) return make_error_code(errc::io_error);
  const bool stable =
      version_of(after) == before && offset == static_cast<std::uint64_t>(std::max<::off_t>(before.size, 0));
  return hash_outcome{std::move(*digest), stable, nullptr};
}

// The ETag of a file version too large to hash on demand: MD5 of its identity (inode, size,
// mtime and ctime to the nanosecond; not the device number, which may change between mounts)
// in the multipart form "<32 hex>-<parts>", with the part count the aws CLI would use for the
// size (8 MiB parts, doubled until at most 10,000). S3 clients never check a multipart ETag
// against the content, exactly as for objects the aws CLI uploads in parts. Any rewrite
// changes ctime, so the ETag changes with the content; it is stable across restarts because
// the file is. docs/etags.md explains the choice.
std::string identity_etag(const file_version& v) {
  const std::string identity = std::to_string(v.ino) + ' ' + std::to_string(v.size) + ' ' +
                               std::to_string(v.mtime_sec) + '.' + std::to_string(v.mtime_nsec) + ' ' +
                               std::to_string(v.ctime_sec) + '.' + std::to_string(v.ctime_nsec);
  std::uint64_t part = std::uint64_t{8} << 20;
  const auto size = static_cast<std::uint64_t>(std::max<::off_t>(v.size, 0));
  while ((size + part - 1) / part > 10'000) part *= 2;
  const std::uint64_t parts = std::max<std::uint64_t>(1, (size + part - 1) / part);
  md5_hasher hasher;
  hasher.update(identity.data(), identity.size());
  auto digest = hasher.finish();
  if (!digest) throw std::runtime_error("MD5 is not available from OpenSSL");
  return *digest + '-' + std::to_string(parts);
}

// An object version's ETag and attributes: from its record when that carries the ETag, else
// the content MD5 (files up to md5_limit, hashing the file that open_fd() returns), else the
// identity ETag.
template <class OpenFd>
result<hash_outcome> describe_version(std::optional<object_attributes> record, const file_version& version,
                                      std::uint64_t md5_limit, OpenFd&& open_fd) {
  std::shared_ptr<const object_attributes> attributes;
  if (record) {
    if (!record->etag.empty()) {
      std::string etag = record->etag;
      return hash_outcome{std::move(etag), true,
                          std::make_shared<const object_attributes>(std::move(*record)), false};
    }
    attributes = std::make_shared<const object_attributes>(std::move(*record));
  }
  if (static_cast<std::uint64_t>(std::max<::off_t>(version.size, 0)) > md5_limit) {
    return hash_outcome{identity_etag(version), true, std::move(attributes), false};
  }
  auto fd = std::forward<OpenFd>(open_fd)();
  if (!fd && fd.error() == errc::access_denied) {
    // A file the server may not read is still listed, as S3 lists what it holds; its
    // content cannot be hashed, so it gets the identity ETag (not kept: once it becomes
    // readable, its MD5 is computed).
    return hash_outcome{identity_etag(version), false, std::move(attributes), false};
  }
  if (!fd) return fd.error();
  auto hashed = hash_fd(*fd, version);
  if (hashed) hashed->attributes = std::move(attributes);
  return hashed;
}

// ---------------------------------------------------------------------------------------
// The opened object

class fd_object final : public readable_object {
 public:
  fd_object(unique_fd fd, std::uint64_t size) noexcept : fd_(std::move(fd)), size_(size) {}

  [[nodiscard]] std::uint64_t size() const noexcept override { return size_; }
  [[nodiscard]] int native_handle() const noexcept override { return fd_.get(); }

  [[nodiscard]] bool is_resident(std::uint64_t offset, std::uint64_t length) const noexcept override {
    if (length == 0) return true;
    if (!cachestat_missing.load(std::memory_order_relaxed)) {
      const long page = ::sysconf(_SC_PAGESIZE);
      const auto page_size = static_cast<std::uint64_t>(page > 0 ? page : 4096);
      const std::uint64_t first = offset / page_size * page_size;
      cachestat_range range{first, offset + length - first};
      cachestat_result cached{};
      if (::syscall(cachestat_syscall, fd_.get(), &range, &cached, 0) == 0) {
        return cached.nr_cache >= (range.len + page_size - 1) / page_size;
      }
      if (errno != ENOSYS) return false;
      cachestat_missing.store(true, std::memory_order_relaxed);
    }
    // Older kernels: the first and last byte stand for the range (page-cache readahead
    // brings files in as runs).
    return byte_is_resident(fd_.get(), offset) && byte_is_resident(fd_.get(), offset + length - 1);
  }

  void prefetch(std::uint64_t offset, std::uint64_t length) const noexcept override {
    if (length == 0) return;
    // MADV_POPULATE_READ (Linux 5.14) reads the pages in and waits for them, without copying
    // them anywhere; older kernels read them into a scratch buffer instead.
    constexpr int populate_read = 22;  // MADV_POPULATE_READ, newer than Debian 12's headers
    const long page = ::sysconf(_SC_PAGESIZE);
    const auto page_size = static_cast<std::uint64_t>(page > 0 ? page : 4096);
    const std::uint64_t first = offset / page_size * page_size;
    const std::uint64_t span = offset + length - first;
    void* mapped = ::mmap(nullptr, span, PROT_READ, MAP_SHARED, fd_.get(), static_cast<::off_t>(first));
    if (mapped != MAP_FAILED) {
      const int populated = ::madvise(mapped, span, populate_read);
      ::munmap(mapped, span);
      if (populated == 0) return;
    }
    thread_local std::vector<char> scratch(std::size_t{1} << 20);
    while (length > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, scratch.size()));
      const ::ssize_t n = ::pread(fd_.get(), scratch.data(), want, static_cast<::off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      offset += static_cast<std::uint64_t>(n);
      length -= static_cast<std::uint64_t>(n);
    }
  }

  [[nodiscard]] bool read_if_resident(std::uint64_t offset, std::span<char> out) const noexcept override {
    if (nowait_read_missing.load(std::memory_order_relaxed) ||
        offset > static_cast<std::uint64_t>(std::numeric_limits<::off_t>::max()) ||
        out.size() > static_cast<std::size_t>(SSIZE_MAX))
      return false;
    std::size_t done = 0;
    while (done < out.size()) {
      // RWF_NOWAIT: EAGAIN, or a short count, rather than waiting for the disk.
      ::iovec vec{out.data() + done, out.size() - done};
      const ::ssize_t n = ::preadv2(fd_.get(), &vec, 1, static_cast<::off_t>(offset + done), RWF_NOWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EOPNOTSUPP) nowait_read_missing.store(true, std::memory_order_relaxed);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  [[nodiscard]] result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) const override {
    if (out.empty()) return std::size_t{0};
    // No file is larger than off_t can address, so such an offset is past the end.
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<::off_t>::max())) return std::size_t{0};
    const std::size_t want = std::min(out.size(), static_cast<std::size_t>(SSIZE_MAX));
    while (true) {
      const ::ssize_t n = ::pread(fd_.get(), out.data(), want, static_cast<::off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return make_error_code(errc::io_error);
    }
  }

 private:
  unique_fd fd_;
  std::uint64_t size_;
};

// ---------------------------------------------------------------------------------------
// Path resolution

enum class location {
  outside,     ///< not below the data root
  reserved,    ///< the root itself, or below a top-level entry that is not a bucket (".s3cors")
  bucket_dir,  ///< a top-level entry with a bucket name: where a bucket symlink may lead
  in_bucket,   ///< below such an entry: where an object may live
};

// root_prefix is the canonical root ending in '/', so a string prefix test is a test on
// whole path components: "/data/root2/x" does not start with "/data/root/".
location classify(std::string_view root_prefix, std::string_view real) noexcept {
  if (!real.starts_with(root_prefix)) {
    const bool is_root = real.size() + 1 == root_prefix.size() && root_prefix.starts_with(real);
    return is_root ? location::reserved : location::outside;
  }
  const std::string_view rest = real.substr(root_prefix.size());
  const std::size_t slash = rest.find('/');
  if (!is_valid_bucket_name(rest.substr(0, slash))) return location::reserved;  // also rest == "" (root "/")
  return slash == std::string_view::npos ? location::bucket_dir : location::in_bucket;
}

// Objects are only ever served from below a bucket directory, and bucket symlinks must
// lead to a bucket-named top-level directory: links into the metadata directory or onto a
// stray top-level file are refused even though they stay in the root.
result<void> check_location(std::string_view root_prefix, bool follow_outside, std::string_view real,
                            location wanted) {
  const location where = classify(root_prefix, real);
  if (where == wanted || (where == location::outside && follow_outside)) return {};
  return make_error_code(errc::outside_root);
}

// The real location of what fd refers to. /proc/self/fd names exactly the file that was
// opened, so there is no window between checking a path and using it. Without /proc,
// fall back to realpath() and make sure it still names the same inode.
result<std::string> real_path_of(int fd, const struct ::stat& st, const std::string& path) {
  std::string buffer(PATH_MAX, '\0');
  const ::ssize_t n = ::readlink(proc_fd_path(fd).c_str(), buffer.data(), buffer.size());
  if (n > 0 && static_cast<std::size_t>(n) < buffer.size() && buffer.front() == '/') {
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }
  const std::unique_ptr<char, free_deleter> resolved{::realpath(path.c_str(), nullptr)};
  if (!resolved) return make_error_code(errc::io_error);
  struct ::stat again {};
  if (::stat(resolved.get(), &again) != 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino) {
    return make_error_code(errc::io_error);  // replaced while we looked at it
  }
  return std::string{resolved.get()};
}

// Opens the file behind an O_PATH descriptor for reading, through /proc so that it is the
// same inode that was checked; without /proc, reopen the real path and compare inodes.
// `opened` receives the fstat of the new descriptor.
result<unique_fd> reopen_for_read(int path_fd, const struct ::stat& st, const std::string& real,
                                  struct ::stat& opened) {
  unique_fd fd{::open(proc_fd_path(path_fd).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (!fd.is_open()) {
    if (errno == EACCES || errno == EPERM) return make_error_code(errc::access_denied);
    if (errno != ENOENT) return make_error_code(is_not_found(errno) ? errc::no_such_key : errc::io_error);
    // O_NONBLOCK: the path might have been swapped for a FIFO, which would block the open.
    fd = unique_fd{::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
    if (!fd.is_open()) return make_error_code(is_not_found(errno) ? errc::no_such_key : errc::io_error);
  }
  if (::fstat(fd.get(), &opened) != 0) return make_error_code(errc::io_error);
  if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) return make_error_code(errc::io_error);
  return fd;
}

struct located {
  unique_fd path_fd;  ///< O_PATH: no side effects of opening, never blocks on a FIFO
  struct ::stat st {};
  std::string real;
};

result<bucket_info> stat_bucket_at(std::string_view root_prefix, bool follow_outside,
                                   std::string_view bucket) {
  if (!is_valid_bucket_name(bucket)) return make_error_code(errc::invalid_bucket_name);
  std::string path{root_prefix};
  path += bucket;
  struct ::stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return make_error_code(is_not_found(errno) ? errc::no_such_bucket : errc::io_error);
  }
  if (S_ISLNK(st.st_mode)) {
    if (::stat(path.c_str(), &st) != 0) {
      const int error = errno;
      return make_error_code(is_not_found(error) || error == ELOOP ? errc::no_such_bucket : errc::io_error);
    }
    if (!S_ISDIR(st.st_mode)) return make_error_code(errc::no_such_bucket);
    const std::unique_ptr<char, free_deleter> resolved{::realpath(path.c_str(), nullptr)};
    if (!resolved) return make_error_code(is_not_found(errno) ? errc::no_such_bucket : errc::io_error);
    if (auto checked = check_location(root_prefix, follow_outside, resolved.get(), location::bucket_dir);
        !checked) {
      return checked.error();
    }
  }
  if (!S_ISDIR(st.st_mode)) return make_error_code(errc::no_such_bucket);
  return bucket_info{std::string{bucket}, to_seconds(st.st_mtim)};
}

// Maps bucket and key to a checked, opened (O_PATH) regular file. The kernel resolves the
// path in one open(); the result is then judged by its real location, which covers
// symlinks in the bucket directory and in every key segment at once.
result<located> locate(std::string_view root_prefix, bool follow_outside, std::string_view bucket,
                       std::string_view key) {
  if (!is_valid_bucket_name(bucket)) return make_error_code(errc::invalid_bucket_name);
  if (!is_valid_key(key)) return make_error_code(errc::invalid_key);

  std::string path;
  path.reserve(root_prefix.size() + bucket.size() + 1 + key.size() + folder_marker_name.size());
  path.append(root_prefix).append(bucket).append(1, '/').append(key);
  if (key.ends_with('/')) path.append(folder_marker_name);

  located out;
  out.path_fd = unique_fd{::open(path.c_str(), O_PATH | O_CLOEXEC)};
  bool described = out.path_fd.is_open() && ::fstat(out.path_fd.get(), &out.st) == 0;
  if (described && S_ISDIR(out.st.st_mode) && !key.ends_with('/')) {
    // A folder (other keys are below the key): the object, if any, is its nested file.
    path.append(1, '/').append(nested_object_name);
    out.path_fd = unique_fd{::open(path.c_str(), O_PATH | O_CLOEXEC)};
    described = out.path_fd.is_open() && ::fstat(out.path_fd.get(), &out.st) == 0;
  }
  if (!out.path_fd.is_open()) {
    const int error = errno;
    if (is_not_found(error) || error == ELOOP) {
      // Only on this slow path: tell a missing bucket from a missing key.
      if (auto b = stat_bucket_at(root_prefix, follow_outside, bucket); !b) return b.error();
      return make_error_code(errc::no_such_key);
    }
    if (error == ENAMETOOLONG) return make_error_code(errc::invalid_key);
    return make_error_code(errc::io_error);
  }
  if (!described) return make_error_code(errc::io_error);
  auto real = real_path_of(out.path_fd.get(), out.st, path);
  if (!real) return real.error();
  out.real = std::move(*real);
  if (auto checked = check_location(root_prefix, follow_outside, out.real, location::in_bucket); !checked)
    return checked.error();
  if (!S_ISREG(out.st.st_mode)) return make_error_code(errc::no_such_key);
  return out;
}

// A version read without a record that has been replaced since (no name left: st_nlink 0)
// lost the record: a burst of rewrites of the key, more than retire_records keeps, retired it
// between the read's open and its reading of the record. S3 answers a read racing writes with
// one of the versions written, never bytes without their metadata, so the key is read again.
bool lost_record(const std::shared_ptr<const object_attributes>& attributes, int fd) noexcept {
  if (attributes != nullptr) return false;
  struct ::stat now {};
  return ::fstat(fd, &now) == 0 && now.st_nlink == 0;
}

// Reads the key with `read_once` (a result of {what was read, whether it lost its record})
// until a read keeps its record, `attempts` times at most.
template <class ReadOnce>
auto read_keeping_record(int attempts, ReadOnce&& read_once)
    -> result<typename std::invoke_result_t<ReadOnce&>::value_type::first_type> {
  for (int attempt = 1;; ++attempt) {
    auto read = read_once();
    if (!read) return read.error();
    if (!read->second || attempt == attempts) return std::move(read->first);
  }
}

struct cached_description {
  std::string etag;
  std::shared_ptr<const object_attributes> attributes;
};

object_info info_from(const struct ::stat& st, cached_description description) {
  object_info info;
  info.size = static_cast<std::uint64_t>(std::max<::off_t>(st.st_size, 0));
  info.last_modified = to_seconds(st.st_mtim);
  info.etag = std::move(description.etag);
  info.attributes = std::move(description.attributes);
  return info;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::string md5_hex(std::string_view data) {
  md5_hasher hasher;
  hasher.update(data.data(), data.size());
  auto digest = hasher.finish();
  if (!digest) throw std::runtime_error("md5_hex: MD5 is not available from OpenSSL");
  return std::move(*digest);
}

// ETags keyed by real path. Each slot belongs to one file version; its ETag is computed by
// the first caller while later callers for the same version wait on the slot, so a version
// is hashed once. A hit takes only the shared lock plus an atomic load.
// The fast path. A key has no '.', '..' or empty segment (a key ending in '/' names the
// marker file inside its folder), so a path without any symlink cannot leave its bucket: one openat2() with
// RESOLVE_NO_SYMLINKS settles both safety and access. O_NONBLOCK keeps a FIFO from blocking the open (it is
// then refused as no regular file) and has no effect on reading regular files. Any failure, ELOOP (a symlink
// on the way) or ENOENT included, returns nullopt: the careful path decides and names the error. Without
// symlinks the real path is the looked-up one: the same ETag cache key as locate(). relative is the key's
// path in its bucket (key_path, nested_key_path).
std::string fast_path_name(std::string_view root_prefix, std::string_view bucket, std::string_view relative) {
  std::string path;
  path.reserve(root_prefix.size() + bucket.size() + 1 + relative.size());
  path.append(root_prefix).append(bucket).append(1, '/').append(relative);
  return path;
}

// What the fast path found: an opened regular file (and its path, the ETag cache's key), a
// definite "missing", or nothing (the careful path decides).
struct fast_lookup {
  std::optional<unique_fd> fd;
  std::optional<errc> missing;
  std::string path;
};

// Inside a nonblocking_scope the lookups use RESOLVE_CACHED, which fails with EAGAIN instead
// of reading a directory from disk; a cached "not found" is still an answer (a 404 needs no
// worker thread). A key whose path is a folder (other keys are below it) is looked up once
// more, inside that folder (nested_key_path): only then, so an ordinary key costs what it
// always did.
fast_lookup open_without_symlinks(int root_fd, std::string_view root_prefix, std::string_view bucket,
                                  std::string_view key, struct ::stat& st) {
  if (root_fd < 0 || !is_valid_bucket_name(bucket) || !is_valid_key(key)) return {};
  std::string relative;
  relative.reserve(bucket.size() + 1 + key.size() + folder_marker_name.size());
  relative.append(bucket).append(1, '/').append(key);
  if (key.ends_with('/')) relative.append(folder_marker_name);
  const std::uint64_t cached_only = nonblocking_thread ? RESOLVE_CACHED : 0;
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | cached_only;
  long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
  if (fd < 0) {
    if (!nonblocking_thread || !is_not_found(errno)) return {};
    // Tell a missing key from a missing bucket. The lookup above, cache-only, got as far as
    // the bucket's entry in the root, so this one finds it in the cache too: one stat of a
    // single name (no symlink followed, nothing to close) instead of opening the folder.
    relative.resize(bucket.size());
    struct ::stat bucket_st {};
    if (::fstatat(root_fd, relative.c_str(), &bucket_st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(bucket_st.st_mode)) return {std::nullopt, errc::no_such_key, {}};
      if (S_ISLNK(bucket_st.st_mode)) return {};        // the careful path decides
      return {std::nullopt, errc::no_such_bucket, {}};  // not a folder
    }
    if (is_not_found(errno)) return {std::nullopt, errc::no_such_bucket, {}};
    return {};
  }
  unique_fd opened{static_cast<int>(fd)};
  if (::fstat(opened.get(), &st) != 0) return {};
  if (S_ISDIR(st.st_mode) && !key.ends_with('/')) {
    // A folder: the key, if it is an object, is the folder's nested object.
    opened.reset();
    relative.append(1, '/').append(nested_object_name);
    fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
    if (fd < 0) {
      if (is_not_found(errno)) return {std::nullopt, errc::no_such_key, {}};  // a folder, no object
      return {};
    }
    opened = unique_fd{static_cast<int>(fd)};
    if (::fstat(opened.get(), &st) != 0) return {};
  }
  if (!S_ISREG(st.st_mode)) return {};
  std::string path;
  path.reserve(root_prefix.size() + relative.size());
  path.append(root_prefix).append(relative);
  return {std::move(opened), std::nullopt, std::move(path)};
}

class fs_store::etag_cache {
 public:
  template <class Compute>
  result<cached_description> get(const std::string& real, const file_version& version, Compute&& compute) {
    std::shared_ptr<slot> entry;
    {
      const std::shared_lock lock{mutex_};
      if (const auto it = slots_.find(real); it != slots_.end() && it->second->version == version) {
        entry = it->second;
      }
    }
    if (!entry) {
      const std::unique_lock lock{mutex_};
      auto it = slots_.find(real);
      if (it == slots_.end()) {
        // A crude bound on memory: forget everything once the cache is large. Slots in use
        // stay alive through their shared_ptr.
        if (slots_.size() >= max_entries) slots_.clear();
        it = slots_.emplace(real, nullptr).first;
      }
      if (!it->second || it->second->version != version) it->second = std::make_shared<slot>(version);
      entry = it->second;
    }
    if (entry->ready.load(std::memory_order_acquire)) return entry->description;
    // Reading a record or hashing waits for the disk, and so may waiting for another thread
    // that does.
    require_blocking_allowed();

    const std::lock_guard lock{entry->mutex};
    if (entry->ready.load(std::memory_order_acquire)) return entry->description;
    auto outcome = std::forward<Compute>(compute)();
    if (!outcome) return outcome.error();
    if (outcome->hashed) computations_.fetch_add(1, std::memory_order_relaxed);
    cached_description description{std::move(outcome->etag), std::move(outcome->attributes)};
    if (!outcome->stable) return description;  // changed while hashed: do not keep
    entry->description = std::move(description);
    entry->ready.store(true, std::memory_order_release);
    return entry->description;
  }

  /// Drops what is known of path: its attributes changed while the file did not.
  void forget(const std::string& path) {
    const std::unique_lock lock{mutex_};
    slots_.erase(path);
  }

  [[nodiscard]] std::uint64_t computations() const noexcept {
    return computations_.load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t max_entries = 100'000;

  struct slot {
    explicit slot(const file_version& v) : version(v) {}
    const file_version version;
    std::mutex mutex;
    std::atomic<bool> ready{false};
    cached_description description;  ///< written once, before ready becomes true
  };

  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<slot>> slots_;
  std::atomic<std::uint64_t> computations_{0};
};

fs_store::fs_store(fs_store_options options) : options_(std::move(options)) {
  options_.root = std::filesystem::canonical(options_.root);
  if (!std::filesystem::is_directory(options_.root)) {
    throw std::invalid_argument("fs_store: data root is not a directory: " + options_.root.string());
  }
  root_prefix_ = options_.root.string();
  if (root_prefix_.empty() || root_prefix_.back() != '/') root_prefix_.push_back('/');
  cache_ = std::make_unique<etag_cache>();
  root_fd_ = ::open(options_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  // Uploads a killed server left half-written are never objects; clear them away.
  std::error_code ec;
  std::filesystem::remove_all(options_.root / ".s3cors" / "tmp", ec);
  remove_abandoned_near_files();
  finish_interrupted_nests();
  migrate_legacy_records();
}

fs_store::~fs_store() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::uint64_t fs_store::etag_computations() const noexcept {
  return cache_->computations();
}

result<std::vector<bucket_info>> fs_store::list_buckets() const {
  require_blocking_allowed();
  try {
    std::vector<bucket_info> buckets;
    std::error_code ec;
    std::filesystem::directory_iterator it{options_.root, ec};
    if (ec) return make_error_code(errc::io_error);
    for (; it != std::filesystem::directory_iterator{}; it.increment(ec)) {
      if (ec) return make_error_code(errc::io_error);
      const std::string name = it->path().filename().string();
      if (!is_valid_bucket_name(name)) continue;
      auto bucket = stat_bucket_at(root_prefix_, options_.follow_symlinks_outside_root, name);
      if (bucket) {
        buckets.push_back(std::move(*bucket));
      } else if (bucket.error() == errc::io_error) {
        return bucket.error();
      }
      // Otherwise not a bucket: a file, a dangling or escaping symlink, or gone meanwhile.
    }
    if (ec) return make_error_code(errc::io_error);
    std::sort(buckets.begin(), buckets.end(),
              [](const bucket_info& a, const bucket_info& b) { return a.name < b.name; });
    return buckets;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<bucket_info> fs_store::stat_bucket(std::string_view bucket) const {
  try {
    if (nonblocking_thread) {
      if (!is_valid_bucket_name(bucket)) return make_error_code(errc::invalid_bucket_name);
      struct open_how how {};
      how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
      how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_CACHED;
      const std::string name(bucket);
      const long fd = ::syscall(SYS_openat2, root_fd_, name.c_str(), &how, sizeof how);
      if (fd < 0 && is_not_found(errno)) return make_error_code(errc::no_such_bucket);
      if (fd < 0) throw would_block{};  // uncached, or a symlinked bucket: the careful path
      const unique_fd bucket_fd{static_cast<int>(fd)};
      struct ::stat st {};
      if (::fstat(bucket_fd.get(), &st) != 0) return make_error_code(errc::io_error);
      return bucket_info{name, to_seconds(st.st_mtim)};
    }
    return stat_bucket_at(root_prefix_, options_.follow_symlinks_outside_root, bucket);
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<object_info> fs_store::stat(std::string_view bucket, std::string_view key) const {
  return read_keeping_record(fs_store::version_attempts, [&] { return stat_once(bucket, key); });
}

result<std::pair<object_info, bool>> fs_store::stat_once(std::string_view bucket,
                                                         std::string_view key) const {
  try {
    struct ::stat fast_st {};
    auto fast_result = open_without_symlinks(root_fd_, root_prefix_, bucket, key, fast_st);
    if (fast_result.missing) return make_error_code(*fast_result.missing);
    if (auto& fast = fast_result.fd) {
      const file_version version = version_of(fast_st);
      detail::version_opened();
      auto etag = cache_->get(fast_result.path, version, [&]() -> result<hash_outcome> {
        return describe_version(read_record(bucket, key, version), version, options_.md5_etag_limit,
                                [&]() -> result<int> { return fast->get(); });
      });
      if (!etag) return etag.error();
      const bool lost = lost_record(etag->attributes, fast->get());
      return std::pair{info_from(fast_st, std::move(*etag)), lost};
    }
    require_blocking_allowed();
    auto found = locate(root_prefix_, options_.follow_symlinks_outside_root, bucket, key);
    if (!found) return found.error();
    const file_version version = version_of(found->st);
    detail::version_opened();
    auto etag = cache_->get(found->real, version, [&]() -> result<hash_outcome> {
      struct ::stat opened {};
      unique_fd reopened;
      return describe_version(
          read_record(bucket, key, version), version, options_.md5_etag_limit, [&]() -> result<int> {
            auto fd = reopen_for_read(found->path_fd.get(), found->st, found->real, opened);
            if (!fd) return fd.error();
            reopened = std::move(*fd);
            return reopened.get();
          });
    });
    if (!etag) return etag.error();
    const bool lost = lost_record(etag->attributes, found->path_fd.get());
    return std::pair{info_from(found->st, std::move(*etag)), lost};
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<opened_object> fs_store::open(std::string_view bucket, std::string_view key) const {
  return read_keeping_record(fs_store::version_attempts, [&] { return open_once(bucket, key); });
}

result<std::pair<opened_object, bool>> fs_store::open_once(std::string_view bucket,
                                                           std::string_view key) const {
  try {
    struct ::stat fast_st {};
    auto fast_result = open_without_symlinks(root_fd_, root_prefix_, bucket, key, fast_st);
    if (fast_result.missing) return make_error_code(*fast_result.missing);
    if (auto& fast = fast_result.fd) {
      const file_version version = version_of(fast_st);
      detail::version_opened();
      const int raw_fd = fast->get();
      auto etag = cache_->get(fast_result.path, version, [&]() -> result<hash_outcome> {
        return describe_version(read_record(bucket, key, version), version, options_.md5_etag_limit,
                                [&]() -> result<int> { return raw_fd; });
      });
      if (!etag) return etag.error();
      const bool lost = lost_record(etag->attributes, raw_fd);
      object_info info = info_from(fast_st, std::move(*etag));
      auto body = std::make_shared<const fd_object>(std::move(*fast), info.size);
      return std::pair{opened_object{std::move(info), std::move(body)}, lost};
    }
    require_blocking_allowed();
    auto found = locate(root_prefix_, options_.follow_symlinks_outside_root, bucket, key);
    if (!found) return found.error();
    // Describe the descriptor that will be served (its own fstat), not the path looked up.
    struct ::stat st {};
    auto fd = reopen_for_read(found->path_fd.get(), found->st, found->real, st);
    if (!fd) return fd.error();
    found->path_fd.reset();
    if (!S_ISREG(st.st_mode)) return make_error_code(errc::no_such_key);
    const file_version version = version_of(st);
    detail::version_opened();
    const int raw_fd = fd->get();
    auto etag = cache_->get(found->real, version, [&]() -> result<hash_outcome> {
      return describe_version(read_record(bucket, key, version), version, options_.md5_etag_limit,
                              [&]() -> result<int> { return raw_fd; });
    });
    if (!etag) return etag.error();
    const bool lost = lost_record(etag->attributes, raw_fd);
    object_info info = info_from(st, std::move(*etag));
    auto body = std::make_shared<const fd_object>(std::move(*fd), info.size);
    return std::pair{opened_object{std::move(info), std::move(body)}, lost};
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

nonblocking_scope::nonblocking_scope() noexcept : previous_(nonblocking_thread) {
  nonblocking_thread = true;
}

nonblocking_scope::~nonblocking_scope() {
  nonblocking_thread = previous_;
}

bool nonblocking_scope::active() noexcept {
  return nonblocking_thread;
}

result<std::shared_ptr<const object_attributes>> fs_store::attributes_of(std::string_view bucket,
                                                                         std::string_view key) const {
  require_blocking_allowed();
  try {
    auto found = locate(root_prefix_, options_.follow_symlinks_outside_root, bucket, key);
    if (!found) return found.error();
    auto record = read_record(bucket, key, version_of(found->st));
    if (!record) return std::shared_ptr<const object_attributes>{};
    return std::make_shared<const object_attributes>(std::move(*record));
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<void> fs_store::set_attributes(std::string_view bucket, std::string_view key,
                                      const object_attributes& attributes) {
  require_blocking_allowed();
  try {
    // Under the key's lock no write replaces the object between its open and its record.
    const std::lock_guard lock{key_lock(bucket, key)};
    auto opened = open(bucket, key);
    if (!opened) return opened.error();
    struct ::stat st {};
    if (::fstat(opened->body->native_handle(), &st) != 0) return make_error_code(errc::io_error);
    object_attributes recorded = attributes;
    recorded.etag = opened->info.etag;  // a multipart ETag stays what it was
    if (auto written = write_record(bucket, key, st, record_state::final, recorded); !written) {
      return written.error();
    }
    // The file did not change, so the cache would keep serving the old attributes.
    cache_->forget(fast_path_name(root_prefix_, bucket, key_path(key)));
    if (!key.ends_with('/')) cache_->forget(fast_path_name(root_prefix_, bucket, nested_key_path(key)));
    if (auto found = locate(root_prefix_, options_.follow_symlinks_outside_root, bucket, key)) {
      cache_->forget(found->real);
    }
    return {};
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

}  // namespace s3cors::store
