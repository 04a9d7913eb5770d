// Multipart uploads of fs_store. An upload lives in ROOT/.s3cors/uploads/BUCKET/UPLOAD-ID/,
// outside every bucket, so its parts are never listed or served as objects:
//   meta          "s3cors-upload 1\n<initiated, seconds since the epoch>\n<key>"
//   attributes    the metadata given to CreateMultipartUpload (object_attributes JSON)
//   part-NNNNN    "<hex md5 of the part>\n" followed by the part's bytes
//   part-NNNNN.checksums  the part's verified x-amz-checksum-* values, when it has any
// All are written to ROOT/.s3cors/tmp and renamed into place, so a reader never sees half a
// part and a part's MD5 always describes its bytes. Completion concatenates the parts into a
// temp file and renames it over the object, as put_object does.
//
// The object's multipart ETag ("<md5 of md5s>-N") is not its content MD5, so completion
// records it with the upload's metadata in the object's record (fs_records.cpp) before the
// rename: no reader sees the completed object without them.
#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"
#include "store/fs_writer.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <exception>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace s3cors::store {
namespace {

using detail::read_small_file;
using detail::resolves_inside;
using detail::write_all;

namespace fs = std::filesystem;

constexpr std::string_view meta_magic = "s3cors-upload 1";
constexpr std::size_t part_header_size = 33;  // 32 hex digits and '\n'
constexpr std::size_t upload_id_size = 32;
// "part-NNNNN.checksums": the part's "x-amz-checksum-<alg> <base64>" lines (none: no file).
constexpr std::string_view checksums_suffix = ".checksums";

std::atomic<std::uint64_t> temp_counter{0};

class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Ids are ours: anything else (a path, "..") names no upload and never reaches the disk.
bool is_upload_id(std::string_view id) noexcept {
  return id.size() == upload_id_size && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string new_upload_id() {
  static constexpr char digits[] = "0123456789abcdef";
  std::random_device random;
  std::string id;
  id.reserve(upload_id_size);
  while (id.size() < upload_id_size) {
    std::uint32_t bits = random();
    for (int i = 0; i < 8 && id.size() < upload_id_size; ++i, bits >>= 4U) id += digits[bits & 0xFU];
  }
  return id;
}

std::string part_name(int number) {
  std::array<char, 16> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "part-%05d", number);
  return buffer.data();
}

std::optional<int> part_number_of(std::string_view name) {
  if (name.size() != 10 || !name.starts_with("part-")) return std::nullopt;
  int number = 0;
  const auto [end, ec] = std::from_chars(name.data() + 5, name.data() + name.size(), number);
  if (ec != std::errc{} || end != name.data() + name.size() || number < 1) return std::nullopt;
  return number;
}

seconds_time mtime_of(const struct ::stat& st) noexcept {
  return seconds_time{std::chrono::seconds{static_cast<std::chrono::seconds::rep>(st.st_mtim.tv_sec)}};
}

// Writes chunks to a fresh temp file under temp_dir and renames it to target; an upload
// removed meanwhile (its folder gone) is no_such_upload.
result<void> write_atomically(const fs::path& temp_dir, const fs::path& target,
                              std::initializer_list<std::string_view> chunks) {
  const int error = detail::write_file_atomically(temp_dir, target, chunks);
  if (error == 0) return {};
  return make_error_code(error == ENOENT ? errc::no_such_upload : errc::io_error);
}

struct upload_meta {
  seconds_time initiated{};
  std::string key;
};

std::optional<upload_meta> parse_meta(std::string_view text) {
  if (!text.starts_with(meta_magic) || text.size() <= meta_magic.size() || text[meta_magic.size()] != '\n')
    return std::nullopt;
  text.remove_prefix(meta_magic.size() + 1);
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + newline, seconds);
  if (ec != std::errc{} || end != text.data() + newline) return std::nullopt;
  return upload_meta{seconds_time{std::chrono::seconds{seconds}}, std::string(text.substr(newline + 1))};
}

std::optional<upload_meta> read_meta(const fs::path& upload_dir) {
  const auto text = read_small_file(upload_dir / "meta");
  if (!text) return std::nullopt;
  return parse_meta(*text);
}

// A part's info from its file; nullopt when it is missing or not one of ours.
std::optional<part_info> read_part(const fs::path& path, int number) {
  const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return std::nullopt;
  const fd_guard fd{raw};
  struct ::stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size < static_cast<::off_t>(part_header_size))
    return std::nullopt;
  std::array<char, part_header_size> header{};
  if (::pread(fd.get(), header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()))
    return std::nullopt;
  part_info info;
  info.number = number;
  info.size = static_cast<std::uint64_t>(st.st_size) - part_header_size;
  info.etag.assign(header.data(), part_header_size - 1);
  info.last_modified = mtime_of(st);
  fs::path sums = path;
  sums += checksums_suffix;
  if (const auto text = read_small_file(sums)) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto newline = rest.find('\n');
      const std::string_view line = rest.substr(0, newline);
      rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
      const auto space = line.find(' ');
      if (space != std::string_view::npos)
        info.checksums.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    }
  }
  return info;
}

// Appends the parts' bytes (after their headers) to out_fd: copy_file_range where the file
// system offers it (no trip through user space; shared blocks on XFS and Btrfs), bounded
// reads and writes otherwise.
result<void> copy_parts(int out_fd, const fs::path& upload_dir, const std::vector<int>& numbers) {
  std::vector<char> buffer;
  for (const int number : numbers) {
    const int raw = ::open((upload_dir / part_name(number)).c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0) return make_error_code(errno == ENOENT ? errc::no_such_upload : errc::io_error);
    const fd_guard in{raw};
    auto offset = static_cast<::off64_t>(part_header_size);
    bool kernel_copy = true;
    while (kernel_copy) {
      const ::ssize_t n = ::copy_file_range(in.get(), &offset, out_fd, nullptr, std::size_t{1} << 30, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        kernel_copy = false;
        break;
      }
      if (n < 0) return make_error_code(errc::io_error);
      if (n == 0) break;
    }
    if (kernel_copy) continue;
    buffer.resize(std::size_t{256} * 1024);
    while (true) {
      const ssize_t n = ::pread(in.get(), buffer.data(), buffer.size(), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return make_error_code(errc::io_error);
      if (n == 0) break;
      if (!write_all(out_fd, std::string_view(buffer.data(), static_cast<std::size_t>(n))))
        return make_error_code(errc::io_error);
      offset += n;
    }
  }
  return {};
}

}  // namespace

result<std::string> fs_store::create_upload(std::string_view bucket, std::string_view key,
                                            const object_attributes& attributes) {
  detail::require_blocking_allowed();
  try {
    if (auto exists = stat_bucket(bucket); !exists) return exists.error();
    if (!is_valid_key(key)) return make_error_code(errc::invalid_key);
    const fs::path dir = options_.root / ".s3cors" / "uploads" / std::string(bucket);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error_code(errc::io_error);
    std::string id;
    fs::path upload_dir;
    for (int attempt = 0;; ++attempt) {
      id = new_upload_id();
      upload_dir = dir / id;
      if (::mkdir(upload_dir.c_str(), 0755) == 0) break;
      if (errno != EEXIST || attempt == 3) return make_error_code(errc::io_error);
    }
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const std::string header =
        std::string(meta_magic) + "\n" + std::to_string(now.time_since_epoch().count()) + "\n";
    const std::string attribute_text = serialize(attributes);
    if (!write_atomically(options_.root / ".s3cors" / "tmp", upload_dir / "attributes", {attribute_text}) ||
        !write_atomically(options_.root / ".s3cors" / "tmp", upload_dir / "meta", {header, key})) {
      fs::remove_all(upload_dir, ec);
      return make_error_code(errc::io_error);
    }
    return id;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<upload_info> fs_store::get_upload(std::string_view bucket, std::string_view upload_id) const {
  detail::require_blocking_allowed();
  try {
    if (auto exists = stat_bucket(bucket); !exists) return exists.error();
    if (!is_upload_id(upload_id)) return make_error_code(errc::no_such_upload);
    const fs::path dir = options_.root / ".s3cors" / "uploads" / std::string(bucket) / std::string(upload_id);
    auto meta = read_meta(dir);
    if (!meta) return make_error_code(errc::no_such_upload);
    upload_info out{std::string(upload_id), std::move(meta->key), meta->initiated, {}, {}};
    if (const auto text = read_small_file(dir / "attributes")) {
      if (auto parsed = parse_object_attributes(*text)) {
        out.checksum_algorithm = std::move(parsed->checksum_algorithm);
        out.checksum_type = std::move(parsed->checksum_type);
      }
    }
    return out;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<std::unique_ptr<object_writer>> fs_store::create_part_writer(std::string_view bucket,
                                                                    std::string_view upload_id,
                                                                    int part_number) {
  detail::require_blocking_allowed();
  try {
    if (auto upload = get_upload(bucket, upload_id); !upload) return upload.error();
    if (part_number < 1 || part_number > 99999) return make_error_code(errc::invalid_key);
    auto writer = std::make_unique<detail::fs_writer>(options_.root / ".s3cors" / "tmp", std::string(bucket),
                                                      part_header_size);
    writer->upload_id = std::string(upload_id);
    writer->part_number = part_number;
    return std::unique_ptr<object_writer>(std::move(writer));
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<part_info> fs_store::commit_part(object_writer& writer, std::string_view etag,
                                        const std::vector<std::pair<std::string, std::string>>& checksums) {
  detail::require_blocking_allowed();
  auto* temp = dynamic_cast<detail::fs_writer*>(&writer);
  if (temp == nullptr || temp->fd() < 0 || temp->part_number == 0) {
    throw std::logic_error("commit_part: not an open part writer of this store");
  }
  try {
    if (etag.size() != part_header_size - 1) return make_error_code(errc::io_error);
    const std::string header = std::string(etag) + '\n';
    if (::pwrite(temp->fd(), header.data(), header.size(), 0) != static_cast<::ssize_t>(header.size())) {
      return make_error_code(errc::io_error);
    }
    // An acknowledged part must survive a power loss, or completing the upload later would
    // assemble a hole.
    if (options_.durable_writes && ::fsync(temp->fd()) != 0) return make_error_code(errc::io_error);
    temp->close();
    const fs::path target = options_.root / ".s3cors" / "uploads" / temp->bucket() / temp->upload_id /
                            part_name(temp->part_number);
    // The part's checksums go beside it, in place before the part they describe.
    fs::path sums = target;
    sums += checksums_suffix;
    if (checksums.empty()) {
      ::unlink(sums.c_str());
    } else {
      std::string text;
      for (const auto& [name, value] : checksums) text += name + " " + value + "\n";
      if (auto written = write_atomically(options_.root / ".s3cors" / "tmp", sums, {text}); !written)
        return written.error();
    }
    if (std::rename(temp->temp_path().c_str(), target.c_str()) != 0) {
      return make_error_code(errno == ENOENT ? errc::no_such_upload : errc::io_error);
    }
    temp->release();
    if (options_.durable_writes && !detail::sync_directory(target.parent_path())) {
      return make_error_code(errc::io_error);
    }
    auto info = read_part(target, temp->part_number);
    if (!info) return make_error_code(errc::no_such_upload);  // aborted or completed meanwhile
    return *info;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<std::vector<part_info>> fs_store::list_parts(std::string_view bucket,
                                                    std::string_view upload_id) const {
  detail::require_blocking_allowed();
  try {
    if (auto upload = get_upload(bucket, upload_id); !upload) return upload.error();
    const fs::path dir = options_.root / ".s3cors" / "uploads" / std::string(bucket) / std::string(upload_id);
    std::vector<part_info> parts;
    std::error_code ec;
    fs::directory_iterator it{dir, ec};
    if (ec)
      return make_error_code(ec == std::errc::no_such_file_or_directory ? errc::no_such_upload
                                                                        : errc::io_error);
    for (; it != fs::directory_iterator{}; it.increment(ec)) {
      if (ec) return make_error_code(errc::io_error);
      const auto number = part_number_of(it->path().filename().string());
      if (!number) continue;
      if (auto info = read_part(it->path(), *number)) parts.push_back(std::move(*info));
    }
    std::sort(parts.begin(), parts.end(),
              [](const part_info& a, const part_info& b) { return a.number < b.number; });
    return parts;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<std::vector<upload_info>> fs_store::list_uploads(std::string_view bucket) const {
  detail::require_blocking_allowed();
  try {
    if (auto exists = stat_bucket(bucket); !exists) return exists.error();
    const fs::path dir = options_.root / ".s3cors" / "uploads" / std::string(bucket);
    std::vector<upload_info> uploads;
    std::error_code ec;
    fs::directory_iterator it{dir, ec};
    if (ec) return uploads;  // no upload was ever started here
    for (; it != fs::directory_iterator{}; it.increment(ec)) {
      if (ec) return make_error_code(errc::io_error);
      const std::string id = it->path().filename().string();
      if (!is_upload_id(id)) continue;
      if (auto meta = read_meta(it->path()))
        uploads.push_back({id, std::move(meta->key), meta->initiated, {}, {}});
    }
    std::sort(uploads.begin(), uploads.end(), [](const upload_info& a, const upload_info& b) {
      if (a.key != b.key) return a.key < b.key;
      if (a.initiated != b.initiated) return a.initiated < b.initiated;
      return a.upload_id < b.upload_id;
    });
    return uploads;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<object_info> fs_store::complete_upload(std::string_view bucket, std::string_view upload_id,
                                              const std::vector<int>& part_numbers,
                                              std::string_view multipart_etag,
                                              const upload_completion& completion) {
  detail::require_blocking_allowed();
  try {
    auto upload = get_upload(bucket, upload_id);
    if (!upload) return upload.error();
    const std::string& key = upload->key;
    if (!is_valid_key(key)) return make_error_code(errc::invalid_key);
    const fs::path upload_dir =
        options_.root / ".s3cors" / "uploads" / std::string(bucket) / std::string(upload_id);
    std::error_code ec;

    object_attributes attributes;
    if (const auto text = read_small_file(upload_dir / "attributes")) {
      if (auto parsed = parse_object_attributes(*text)) attributes = std::move(*parsed);
    }
    attributes.etag = std::string(multipart_etag);
    attributes.parts = completion.parts;
    if (!completion.checksums.empty()) attributes.checksums = completion.checksums;
    attributes.checksum_type = completion.checksum_type;
    attributes.checksum_algorithm.clear();  // the upload's; the object's is in its checksums

    // Builds the object in a temp file and publishes it with its ETag and metadata (see
    // fs_store::publish, fs_write.cpp).
    const fs::path temp_dir = options_.root / ".s3cors" / "tmp";
    fs::create_directories(temp_dir, ec);
    const fs::path temp =
        temp_dir / ("complete-" + std::to_string(::getpid()) + "-" + std::to_string(temp_counter++));
    const int raw = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (raw < 0) return make_error_code(errc::io_error);
    const fd_guard fd{raw};
    auto copied = copy_parts(fd.get(), upload_dir, part_numbers);
    if (!copied) {
      fs::remove(temp, ec);
      return copied.error();
    }
    auto published = publish(fd.get(), temp, bucket, key, &attributes,
                             completion.condition.active() ? &completion.condition : nullptr);
    fs::remove(temp, ec);  // left only when not published, or published as a copy
    if (!published) return published.error();
    const struct ::stat st = *published;
    // The result stays for retries of the completion; without "meta" the upload is gone for
    // every other operation, and the sweep of abandoned uploads removes the folder later.
    {
      nlohmann::json done = {{"key", key}, {"etag", std::string(multipart_etag)}, {"parts", part_numbers}};
      auto sums = nlohmann::json::array();
      for (const auto& [name, value] : completion.checksums) sums.push_back({name, value});
      done["checksums"] = std::move(sums);
      done["checksum_type"] = completion.checksum_type;
      const std::string text = done.dump();
      if (write_atomically(options_.root / ".s3cors" / "tmp", upload_dir / "completed", {text})) {
        ::unlink((upload_dir / "meta").c_str());
        for (fs::directory_iterator it{upload_dir, ec}; !ec && it != fs::directory_iterator{};
             it.increment(ec)) {
          if (it->path().filename() != "completed") fs::remove(it->path(), ec);
        }
      } else {
        fs::remove_all(upload_dir, ec);
      }
    }
    object_info info;
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.last_modified = mtime_of(st);
    info.etag = std::string(multipart_etag);
    info.attributes = std::make_shared<const object_attributes>(std::move(attributes));
    return info;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<completed_upload> fs_store::find_completed_upload(std::string_view bucket,
                                                         std::string_view upload_id) const {
  detail::require_blocking_allowed();
  try {
    if (!is_upload_id(upload_id)) return make_error_code(errc::no_such_upload);
    const auto text = read_small_file(options_.root / ".s3cors" / "uploads" / std::string(bucket) /
                                      std::string(upload_id) / "completed");
    if (!text) return make_error_code(errc::no_such_upload);
    const auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object()) return make_error_code(errc::no_such_upload);
    completed_upload out;
    out.key = doc.value("key", "");
    out.etag = doc.value("etag", "");
    out.checksum_type = doc.value("checksum_type", "");
    if (const auto it = doc.find("parts"); it != doc.end() && it->is_array()) {
      for (const auto& n : *it) {
        if (n.is_number_integer()) out.part_numbers.push_back(n.get<int>());
      }
    }
    if (const auto it = doc.find("checksums"); it != doc.end() && it->is_array()) {
      for (const auto& pair : *it) {
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
          out.checksums.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
      }
    }
    return out;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<void> fs_store::abort_upload(std::string_view bucket, std::string_view upload_id) {
  detail::require_blocking_allowed();
  try {
    if (auto upload = get_upload(bucket, upload_id); !upload) return upload.error();
    std::error_code ec;
    fs::remove_all(options_.root / ".s3cors" / "uploads" / std::string(bucket) / std::string(upload_id), ec);
    if (ec) return make_error_code(errc::io_error);
    return {};
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

result<std::size_t> fs_store::remove_uploads_older_than(seconds_time cutoff) {
  detail::require_blocking_allowed();
  try {
    const fs::path uploads = options_.root / ".s3cors" / "uploads";
    std::size_t removed = 0;
    std::error_code ec;
    fs::directory_iterator buckets{uploads, ec};
    if (ec) return removed;  // no upload was ever started
    for (; buckets != fs::directory_iterator{}; buckets.increment(ec)) {
      if (ec) return make_error_code(errc::io_error);
      fs::directory_iterator it{buckets->path(), ec};
      if (ec) continue;
      for (; it != fs::directory_iterator{}; it.increment(ec)) {
        if (ec) break;
        if (!is_upload_id(it->path().filename().string())) continue;
        seconds_time initiated{};
        if (auto meta = read_meta(it->path())) {
          initiated = meta->initiated;
        } else {
          // Being created right now, or left without meta by a crash: judge by the folder.
          struct ::stat st {};
          if (::stat(it->path().c_str(), &st) != 0) continue;
          initiated = mtime_of(st);
        }
        if (initiated >= cutoff) continue;
        std::error_code remove_ec;
        fs::remove_all(it->path(), remove_ec);
        if (!remove_ec) ++removed;
      }
    }
    return removed;
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

}  // namespace s3cors::store
