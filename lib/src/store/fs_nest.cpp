// Keys a folder cannot hold as plain files (docs/storage.md, "Folder keys"). S3 keys are
// flat strings: "a/b" and "a/b/c" may both be objects, and "photos/" (an S3 console
// "folder") is an object too. On disk "a/b" cannot be both a file and a folder, and no file
// is named "photos/", so:
//
// - a key ending in '/' is the file ".s3cors-folder" inside the folder it names;
// - a key whose path is a folder (other keys are below it) is the file ".s3cors-object"
//   inside that folder. A key is a plain file until a key below it is written: its file
//   then moves into a new folder of its name (nest), without ever being missing for a
//   reader and keeping its inode, so its records stay its own.
#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

namespace s3cors::store {
namespace {

namespace fs = std::filesystem;

std::atomic<std::uint64_t> nest_counter{0};

// The file system refuses the write itself: permissions, or a read-only mount.
bool is_refusal(int error) noexcept {
  return error == EACCES || error == EPERM || error == EROFS;
}

}  // namespace

result<void> fs_store::make_folders(std::string_view bucket, std::string_view key) {
  // The folder the key's file goes in, as a path in the bucket: "a/b" for "a/b/c" and "a/b/".
  const std::size_t end = key.ends_with('/') ? key.size() - 1 : key.rfind('/');
  if (end == std::string_view::npos || end == 0) return {};  // the bucket folder itself
  const std::string_view folder = key.substr(0, end);
  const fs::path bucket_dir = options_.root / std::string(bucket);
  const fs::path dir = bucket_dir / std::string(folder);
  // A delete of another key may remove the folder (emptied) right after it was made: then it
  // is made again, a few times at most.
  constexpr int passes = 8;
  for (int pass = 1;; ++pass) {
    struct ::stat st {};
    // The common case, a folder that exists: one stat, as before folder keys.
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      // Folder by folder from the bucket down. A file on the way is the object of a shorter
      // key ("a" when "a/b" is written): it moves into a folder of its name first. A write or
      // delete of another key may change a folder meanwhile; each such change costs one round.
      constexpr int rounds = 16;
      int round = 0;
      std::size_t next = 0;
      while (true) {
        const std::size_t slash = folder.find('/', next);
        const std::string_view sub = folder.substr(0, slash);
        const fs::path path = bucket_dir / std::string(sub);
        bool again = false;
        if (::mkdir(path.c_str(), 0755) != 0) {
          const int error = errno;
          struct ::stat found {};
          if (error == EEXIST && ::lstat(path.c_str(), &found) == 0) {
            if (S_ISREG(found.st_mode)) {
              if (auto nested = nest(bucket, sub, path); !nested) return nested.error();
              again = true;  // look at this folder once more
            } else if (S_ISLNK(found.st_mode)) {
              // A folder linked in by hand is a folder; a link to a file cannot be nested.
              if (::stat(path.c_str(), &found) != 0 || !S_ISDIR(found.st_mode)) {
                return make_error_code(errc::invalid_key);
              }
            } else if (!S_ISDIR(found.st_mode)) {
              return make_error_code(errc::invalid_key);  // a FIFO, a socket, a device
            }
          } else if (error == EEXIST || error == ENOENT || error == ENOTDIR) {
            // Gone between the mkdir and the lstat, or a folder above went (a delete emptied
            // it) or became a file: from the top again.
            again = true;
            next = 0;
            if (++round >= rounds) return make_error_code(errc::io_error);
            continue;
          } else {
            return make_error_code(is_refusal(error) ? errc::access_denied : errc::io_error);
          }
        }
        if (again) {
          if (++round >= rounds) return make_error_code(errc::io_error);
          continue;
        }
        if (slash == std::string_view::npos) break;
        next = slash + 1;
      }
    }
    if (options_.follow_symlinks_outside_root) return {};
    std::error_code ec;
    std::string real = fs::canonical(dir, ec).string();
    if (!ec) {
      real += '/';
      if (!real.starts_with(root_prefix_ + std::string(bucket) + "/"))
        return make_error_code(errc::outside_root);
      return {};
    }
    const bool vanished = ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory;
    if (!vanished) return make_error_code(errc::outside_root);
    if (pass >= passes) return make_error_code(errc::io_error);
  }
}

// The steps, each a crash point (docs/storage.md):
// 1. a journal entry names the key, and so the new folder ".s3cors-nest-<id>" beside its file;
// 2. the object's record is stamped pending (a link and a rename change the file's ctime,
//    which a final stamp names); a large file without a record gets one keeping the ETag
//    it has, which names the ctime too ("nest-record-pending");
// 3. the folder is made and the file linked into it as ".s3cors-object" ("nest-linked");
// 4. the folder and the file swap names in one RENAME_EXCHANGE ("nest-exchanged"): a reader
//    finds the file, or the folder holding the same file, never nothing;
// 5. the file's old name (now ".s3cors-nest-<id>") goes, then the journal entry;
// 6. the record is stamped final ("nest-record-final").
result<void> fs_store::nest(std::string_view bucket, std::string_view key, const fs::path& path) {
  const std::lock_guard lock{key_lock(bucket, key)};
  struct ::stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};  // changed: the caller looks again
  std::optional<object_attributes> recorded;
  if (auto info = stat(bucket, key)) {
    if (info->attributes) recorded = *info->attributes;
    if (recorded || info->size > options_.md5_etag_limit) {
      if (!recorded) recorded.emplace();
      recorded->etag = info->etag;
    }
  }
  const std::string id = std::to_string(::getpid()) + "-" + std::to_string(nest_counter++);
  const fs::path folder = path.parent_path() / (std::string(nest_dir_prefix) + id);
  const fs::path inside = folder / std::string(nested_object_name);
  const fs::path journal_dir = options_.root / ".s3cors" / "nests";
  const fs::path journal = journal_dir / id;
  std::error_code ec;
  fs::create_directories(journal_dir, ec);
  if (detail::write_file_atomically(options_.root / ".s3cors" / "tmp", journal, {bucket, "\n", key},
                                    options_.durable_writes) != 0) {
    return make_error_code(errc::io_error);
  }
  if (recorded) {
    if (auto written = write_record(bucket, key, st, record_state::pending, *recorded); !written) {
      ::unlink(journal.c_str());
      return written.error();
    }
    detail::crash_point("nest-record-pending");
  }

  const auto fail = [&](int error) -> result<void> {
    ::unlink(inside.c_str());
    ::rmdir(folder.c_str());
    ::unlink(journal.c_str());
    return make_error_code(is_refusal(error) ? errc::access_denied : errc::io_error);
  };
  if (::mkdir(folder.c_str(), 0755) != 0) return fail(errno);
  bool linked = ::link(path.c_str(), inside.c_str()) == 0;
  // Hard links may be refused (fs.protected_hardlinks for a file of another user, some
  // network file systems): then the fallback below moves the file itself.
  if (!linked && errno != EPERM && errno != EMLINK && errno != EOPNOTSUPP) return fail(errno);
  if (linked) {
    if (options_.durable_writes && !detail::sync_directory(folder)) return fail(EIO);
    detail::crash_point("nest-linked");
    if (::renameat2(AT_FDCWD, folder.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
      detail::crash_point("nest-exchanged");
      ::unlink(folder.c_str());  // the file's old name, swapped onto the folder's
    } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
      // No RENAME_EXCHANGE on this file system: the old name goes first, then the folder
      // takes it. A reader between the two finds no object (a 404 for two system calls).
      if (::unlink(path.c_str()) != 0) return fail(errno);
      linked = false;
    } else {
      return fail(errno);
    }
  } else if (::rename(path.c_str(), inside.c_str()) != 0) {
    return fail(errno);
  }
  if (!linked && ::rename(folder.c_str(), path.c_str()) != 0) {
    return make_error_code(errc::io_error);  // the journal entry lets the next start finish it
  }
  if (options_.durable_writes &&
      (!detail::sync_directory(path) || !detail::sync_directory(path.parent_path()))) {
    return make_error_code(errc::io_error);
  }
  ::unlink(journal.c_str());
  if (recorded) {
    struct ::stat moved {};
    if (::stat((path / std::string(nested_object_name)).c_str(), &moved) == 0 && moved.st_ino == st.st_ino) {
      if (auto written = write_record(bucket, key, moved, record_state::final, *recorded); !written) {
        return written.error();
      }
      detail::crash_point("nest-record-final");
    }
  }
  return {};
}

void fs_store::finish_interrupted_nests() const noexcept {
  try {
    std::error_code ec;
    for (fs::directory_iterator it{options_.root / ".s3cors" / "nests", ec};
         !ec && it != fs::directory_iterator{}; it.increment(ec)) {
      // "<bucket>\n<key>" (a key may hold a newline: it is the rest); the entry is named by
      // the id of the folder ".s3cors-nest-<id>" beside the key's file.
      const auto text = detail::read_small_file(it->path());
      const std::size_t newline = text ? text->find('\n') : std::string::npos;
      const std::string bucket = newline == std::string::npos ? std::string{} : text->substr(0, newline);
      const std::string key = newline == std::string::npos ? std::string{} : text->substr(newline + 1);
      // Only ever a reserved folder beside a key's file, inside its bucket.
      const bool sane = is_valid_bucket_name(bucket) && is_valid_key(key) && !key.ends_with('/');
      const fs::path path = options_.root / bucket / key;
      const fs::path folder =
          path.parent_path() / (std::string(nest_dir_prefix) + it->path().filename().string());
      if (sane) {
        const fs::path inside = folder / std::string(nested_object_name);
        struct ::stat st {};
        if (::lstat(folder.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
          struct ::stat original {};
          struct ::stat linked {};
          if (::lstat(path.c_str(), &original) == 0) {
            // Stopped before the swap: the file is where it was; its second name goes.
            if (::lstat(inside.c_str(), &linked) != 0 || linked.st_ino == original.st_ino) {
              ::unlink(inside.c_str());
              ::rmdir(folder.c_str());
            }
          } else if (errno == ENOENT) {
            // Stopped between the two steps of the fallback: the folder takes the name.
            ::rename(folder.c_str(), path.c_str());
          }
        } else if (S_ISREG(st.st_mode)) {
          ::unlink(folder.c_str());  // stopped after the swap: the file's old name goes
        }
        // The moves changed the file's ctime: its pending record becomes final now, as the
        // nesting would have made it.
        struct ::stat object {};
        if (::lstat(path.c_str(), &object) == 0 && S_ISDIR(object.st_mode)) {
          ::stat((path / std::string(nested_object_name)).c_str(), &object);
        }
        if (S_ISREG(object.st_mode)) finalize_record(bucket, key, object);
        detail::sync_directory(path.parent_path());
      }
      ::unlink(it->path().c_str());
    }
  } catch (...) {
    // A leftover folder stays unlisted and unreachable (is_valid_key); only its space is lost.
  }
}

}  // namespace s3cors::store
