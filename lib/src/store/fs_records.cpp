// Object records of fs_store: the attributes S3 keeps beside an object's bytes, stored
// outside every bucket in ROOT/.s3cors/records/BUCKET/<md5 of key>/<inode>, one file per
// version of the object. docs/storage.md describes the layout and why it is crash-safe.
#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace s3cors::store {
namespace {

namespace fs = std::filesystem;
using detail::file_version;
using detail::match_record_stamp;
using detail::stamp_match;

// Records of versions no longer current are removed once this old. A version's record is
// read right after the version is opened, so a reader that opened it just before it was
// replaced must still find it.
constexpr auto retire_after = std::chrono::minutes{2};
// At most this many records of superseded versions are kept per key (the one replaced last
// included), however often it is rewritten: a retirement then reads a few directory entries.
constexpr std::size_t superseded_kept = 8;

std::string pending_stamp(const file_version& v) {
  return std::to_string(v.ino) + ' ' + std::to_string(v.size) + ' ' + std::to_string(v.mtime_sec) + ' ' +
         std::to_string(v.mtime_nsec);
}

std::string final_stamp(const file_version& v) {
  return pending_stamp(v) + ' ' + std::to_string(v.ctime_sec) + ' ' + std::to_string(v.ctime_nsec);
}

}  // namespace

detail::stamp_match detail::match_record_stamp(std::string_view stamp, const file_version& version) {
  const std::string pending = pending_stamp(version);
  if (stamp == pending) return stamp_match::if_recent;
  if (!stamp.starts_with(pending) || stamp.size() <= pending.size() || stamp[pending.size()] != ' ')
    return stamp_match::no;
  if (version.unlinked) return stamp_match::applies;
  // The ctime the record was confirmed at: "SEC NSEC".
  std::string_view rest = stamp.substr(pending.size() + 1);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return stamp_match::no;
  std::int64_t sec = 0;
  std::int64_t nsec = 0;
  const auto parsed_sec = std::from_chars(rest.data(), rest.data() + space, sec);
  const auto parsed_nsec = std::from_chars(rest.data() + space + 1, rest.data() + rest.size(), nsec);
  if (parsed_sec.ec != std::errc{} || parsed_sec.ptr != rest.data() + space ||
      parsed_nsec.ec != std::errc{} || parsed_nsec.ptr != rest.data() + rest.size())
    return stamp_match::no;
  const bool not_later = version.ctime_sec < sec || (version.ctime_sec == sec && version.ctime_nsec <= nsec);
  return not_later ? stamp_match::applies : stamp_match::no;
}

fs::path fs_store::records_of(std::string_view bucket, std::string_view key) const {
  return options_.root / ".s3cors" / "records" / std::string(bucket) / md5_hex(key);
}

std::mutex& fs_store::key_lock(std::string_view bucket, std::string_view key) const noexcept {
  std::size_t hash = std::hash<std::string_view>{}(bucket);
  hash ^= std::hash<std::string_view>{}(key) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return key_locks_[hash % key_locks_.size()];
}

std::optional<object_attributes> fs_store::read_record(std::string_view bucket, std::string_view key,
                                                       const file_version& version) const {
  const fs::path path = records_of(bucket, key) / std::to_string(version.ino);
  const auto text = detail::read_small_file(path);
  if (!text) return std::nullopt;
  std::string_view view = *text;
  const auto first = view.find('\n');
  if (first == std::string_view::npos) return std::nullopt;
  // A version replaced while a reader had it open had its ctime changed by the unlink alone.
  const std::string_view stamp = view.substr(0, first);
  const stamp_match match = match_record_stamp(stamp, version);
  bool matches = match == stamp_match::applies;
  if (match == stamp_match::if_recent) {
    // The write was published but stopped before its final stamp: the file's ctime is then
    // that of the rename, which came right after the record was written. A file changed in
    // place later has a later ctime.
    struct ::stat record {};
    matches = ::stat(path.c_str(), &record) == 0 &&
              version.ctime_sec - static_cast<std::int64_t>(record.st_mtim.tv_sec) <=
                  std::chrono::duration_cast<std::chrono::seconds>(retire_after).count();
  }
  if (!matches) return std::nullopt;
  view.remove_prefix(first + 1);
  // The key guards against two keys sharing an MD5, however unlikely.
  const auto second = view.find('\n');
  if (second == std::string_view::npos || view.substr(0, second) != key) return std::nullopt;
  return parse_object_attributes(view.substr(second + 1));
}

result<void> fs_store::write_record(std::string_view bucket, std::string_view key, const struct ::stat& st,
                                    record_state state, const object_attributes& attributes) const {
  const fs::path dir = records_of(bucket, key);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error_code(errc::io_error);
  const file_version version = detail::version_of(st);
  const std::string stamp = state == record_state::final ? final_stamp(version) : pending_stamp(version);
  const std::string json = serialize(attributes);
  if (detail::write_file_atomically(options_.root / ".s3cors" / "tmp", dir / std::to_string(st.st_ino),
                                    {stamp, "\n", key, "\n", json}, options_.durable_writes) != 0) {
    return make_error_code(errc::io_error);
  }
  return {};
}

void fs_store::retire_records(std::string_view bucket, std::string_view key, ::ino_t current,
                              ::ino_t replaced) const noexcept {
  try {
    const std::string keep = std::to_string(current);
    const std::string superseded = std::to_string(replaced);
    const auto now = fs::file_time_type::clock::now();
    // Every other record is of a version superseded earlier, or left by a crashed write
    // (writes stamp their pending record under the key's lock too, so none is in progress).
    std::vector<std::pair<fs::file_time_type, fs::path>> older;
    std::error_code ec;
    for (fs::directory_iterator it{records_of(bucket, key), ec}; !ec && it != fs::directory_iterator{};
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code ignored;
      if (name == keep) continue;
      if (name == superseded) {
        // A reader that opened this version just before it was replaced still reads its
        // record: it stays for the grace period, counted from now.
        fs::last_write_time(it->path(), now, ignored);
        continue;
      }
      older.emplace_back(it->last_write_time(ignored), it->path());
    }
    // The newest few stay through their grace period; a key rewritten many times a second
    // keeps no more than that.
    std::sort(older.begin(), older.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < older.size(); ++i) {
      if (i + 1 >= superseded_kept || now - older[i].first > retire_after) ::unlink(older[i].second.c_str());
    }
  } catch (...) {
    // Best effort: a stale record is ignored anyway, its stamp no longer matching.
  }
}

void fs_store::finalize_record(std::string_view bucket, std::string_view key,
                               const struct ::stat& st) const noexcept {
  try {
    const fs::path path = records_of(bucket, key) / std::to_string(st.st_ino);
    const auto text = detail::read_small_file(path);
    if (!text) return;
    const auto first = text->find('\n');
    const file_version version = detail::version_of(st);
    if (first == std::string::npos || std::string_view(*text).substr(0, first) != pending_stamp(version))
      return;
    detail::write_file_atomically(options_.root / ".s3cors" / "tmp", path,
                                  {final_stamp(version), std::string_view(*text).substr(first)},
                                  options_.durable_writes);
  } catch (...) {
    // The pending record still applies for a while; a lost one costs the stored metadata.
  }
}

void fs_store::remove_record(std::string_view bucket, std::string_view key, ::ino_t inode) const noexcept {
  try {
    ::unlink((records_of(bucket, key) / std::to_string(inode)).c_str());
  } catch (...) {
    // Best effort, as above.
  }
}

void fs_store::migrate_legacy_records() const noexcept {
  try {
    const fs::path legacy = options_.root / ".s3cors" / "meta";
    std::error_code ec;
    if (!fs::is_directory(legacy, ec)) return;
    // "<dev> <ino> <size> <mtime s> <mtime ns>\n<key>\n<JSON>": the device number goes (it
    // may change between mounts); the rest is a pending stamp.
    for (fs::recursive_directory_iterator it{legacy, ec}; !ec && it != fs::recursive_directory_iterator{};
         it.increment(ec)) {
      std::error_code ignored;
      if (!it->is_regular_file(ignored)) continue;
      const auto text = detail::read_small_file(it->path());
      const std::string bucket = it->path().parent_path().filename().string();
      if (!text) continue;
      const auto first = text->find('\n');
      const auto second = first == std::string::npos ? first : text->find('\n', first + 1);
      const auto space = text->find(' ');
      if (second == std::string::npos || space > first) continue;
      const std::string stamp = text->substr(space + 1, first - space - 1);
      const std::string key = text->substr(first + 1, second - first - 1);
      const std::string ino = stamp.substr(0, stamp.find(' '));
      const fs::path dir = records_of(bucket, key);
      fs::create_directories(dir, ignored);
      detail::write_file_atomically(options_.root / ".s3cors" / "tmp", dir / ino,
                                    {stamp, "\n", key, "\n", std::string_view(*text).substr(second + 1)},
                                    options_.durable_writes);
    }
    fs::remove_all(legacy, ec);
  } catch (...) {
    // Metadata of an older layout is lost rather than the start refused.
  }
}

}  // namespace s3cors::store
