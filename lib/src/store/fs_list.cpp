// Object listings of fs_store: a walk of the bucket directory in S3 key order.
//
// S3 lists keys in UTF-8 byte order of the whole key, which is not the order of a
// recursive walk that sorts each directory by name: "a.b" < "a/b" because '.' < '/', so
// a file "a.b" comes before everything inside a directory "a". Sorting each directory's
// entries by name + "/" for directories and by name for files gives exactly the key order
// (a file name holds no '/', so a directory's "name/" is never a prefix of another entry's
// sort name), and the walk can then stop as soon as it has enough keys.
//
// Folder keys (docs/storage.md): a folder "b" holding ".s3cors-folder" lists key "b/", and
// holding ".s3cors-object" key "b". "b/" comes first among the folder's keys, as it is their
// prefix; "b" comes before the folder's keys too, but after entries sorting between "b" and
// "b/" ("b.txt", "b-1/"): only when such entries exist does the parent probe "b" in its place.
#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"
#include "store/fs_util.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::store {
namespace {

// The longest key S3 accepts; is_valid_key() refuses longer ones, so deeper directories
// cannot hold listable objects.
constexpr std::size_t max_key_length = 1024;

struct dir_closer {
  void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};

enum class entry_kind { file, directory, symlink };

struct dir_entry {
  std::string sort_name;  ///< name, plus '/' for a directory
  entry_kind kind = entry_kind::file;
  /// A directory whose nested object (if any) the parent lists in its place (a probe entry).
  bool nested_listed = false;
};

// One directory's entries in key order, and its folder-key files.
struct folder_entries {
  std::vector<dir_entry> entries;
  bool has_nested = false;  ///< holds nested_object_name: the key of the folder's path
  bool has_marker = false;  ///< holds folder_marker_name: the key of the folder's path + '/'
};

// True when some key below the directory whose keys all start with dir_prefix can be > start_after.
bool may_hold_keys_after(std::string_view dir_prefix, std::string_view start_after) noexcept {
  return start_after < dir_prefix || start_after.starts_with(dir_prefix);
}

// True when some key starting with dir_prefix can also start with prefix.
bool may_match_prefix(std::string_view dir_prefix, std::string_view prefix) noexcept {
  return dir_prefix.starts_with(prefix) || prefix.starts_with(dir_prefix);
}

class walker {
 public:
  walker(const fs_store& store, std::string_view bucket, const list_page_request& page)
      : store_(store), bucket_(bucket), page_(page) {}

  // Walks directory `path`, whose keys all start with key_prefix ("" for the bucket).
  // nested_listed: the parent listed this folder's nested object already (a probe).
  result<void> walk(const std::string& path, const std::string& key_prefix, bool nested_listed) {
    auto folder = read_sorted(path, key_prefix.empty());
    if (!folder) return folder.error();
    if (!key_prefix.empty()) {
      // "b" then "b/": before every other key in the folder.
      if (folder->has_nested && !nested_listed) {
        if (auto added = consider(key_prefix.substr(0, key_prefix.size() - 1)); !added) return added.error();
      }
      if (folder->has_marker) {
        if (auto added = consider(std::string(key_prefix)); !added) return added.error();
      }
    }
    for (const dir_entry& entry : folder->entries) {
      if (is_done()) return {};
      std::string key = key_prefix + entry.sort_name;
      if (key.size() > max_key_length + 1) continue;
      if (entry.kind == entry_kind::directory) {
        if (!may_match_prefix(key, page_.prefix)) {
          if (key > page_.prefix) past_prefix_ = true;  // everything after is beyond the prefix too
          continue;
        }
        if (!may_hold_keys_after(key, page_.start_after)) continue;
        std::string child = path;
        child += '/';
        child.append(entry.sort_name, 0, entry.sort_name.size() - 1);
        if (auto walked = walk(child, key, entry.nested_listed); !walked) return walked.error();
        continue;
      }
      if (auto added = consider(std::move(key)); !added) return added.error();
    }
    return {};
  }

  [[nodiscard]] std::vector<listed_object> take() && { return std::move(out_); }

 private:
  [[nodiscard]] bool is_done() const noexcept { return past_prefix_ || out_.size() > page_.max_keys; }

  // Lists key when it is on the page.
  result<void> consider(std::string&& key) {
    if (is_done()) return {};
    if (!key.starts_with(page_.prefix)) {
      if (key > page_.prefix) past_prefix_ = true;
      return {};
    }
    if (key <= page_.start_after || !is_valid_key(key)) return {};
    return add(std::move(key));
  }

  // stat() applies every rule a GET would (symlinks leaving the root, regular files only)
  // and serves the ETag from the cache, hashing a file only when it is new or changed.
  result<void> add(std::string key) {
    auto info = store_.stat(bucket_, key);
    if (!info) {
      if (info.error() == errc::io_error) return info.error();
      return {};  // refused (outside the root, ...) or gone meanwhile: not an object
    }
    out_.push_back({std::move(key), info->size, info->last_modified, std::move(info->etag)});
    return {};
  }

  // The entries of one directory in key order. Directories that cannot be read because they
  // vanished or are not accessible hold no servable objects and list as empty.
  result<folder_entries> read_sorted(const std::string& path, bool is_bucket) const {
    folder_entries folder;
    std::vector<dir_entry>& entries = folder.entries;
    const std::unique_ptr<DIR, dir_closer> dir{::opendir(path.c_str())};
    if (!dir) {
      const int error = errno;
      if (is_bucket) return make_error_code(error == ENOENT ? errc::no_such_bucket : errc::io_error);
      if (error == ENOENT || error == ENOTDIR || error == EACCES) return folder;
      return make_error_code(errc::io_error);
    }
    while (true) {
      errno = 0;
      const ::dirent* ent = ::readdir(dir.get());
      if (ent == nullptr) {
        if (errno != 0) return make_error_code(errc::io_error);
        break;
      }
      const std::string_view name{static_cast<const char*>(ent->d_name)};
      if (name == "." || name == "..") continue;
      // The folder's own keys (stat() decides whether they are objects), and names the
      // store keeps for itself, which hold no keys.
      if (name == nested_object_name) {
        folder.has_nested = true;
        continue;
      }
      if (name == folder_marker_name) {
        folder.has_marker = true;
        continue;
      }
      if (is_reserved_segment(name)) continue;
      unsigned char type = ent->d_type;
      if (type == DT_UNKNOWN) {
        struct ::stat st {};
        const std::string full = path + '/' + std::string{name};
        if (::lstat(full.c_str(), &st) != 0) continue;
        type = S_ISDIR(st.st_mode)   ? DT_DIR
               : S_ISLNK(st.st_mode) ? DT_LNK
               : S_ISREG(st.st_mode) ? DT_REG
                                     : DT_UNKNOWN;
      }
      dir_entry entry;
      entry.sort_name = name;
      if (type == DT_DIR) {
        entry.kind = entry_kind::directory;
        entry.sort_name += '/';
      } else if (type == DT_REG) {
        entry.kind = entry_kind::file;
      } else if (type == DT_LNK) {
        // A link to a file is listed when stat() accepts it. Links to directories are not
        // followed: the walk stays cycle-free and inside the bucket's own tree.
        struct ::stat st {};
        const std::string full = path + '/' + std::string{name};
        if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        entry.kind = entry_kind::symlink;
      } else {
        continue;  // FIFOs, sockets, devices: never objects
      }
      entries.push_back(std::move(entry));
    }
    const auto by_name = [](const dir_entry& a, const dir_entry& b) { return a.sort_name < b.sort_name; };
    std::sort(entries.begin(), entries.end(), by_name);
    // A folder "b/" right after entries sorting between "b" and "b/" ("b.txt"): its nested
    // object, key "b", must come before them, so a probe entry "b" (stat() finds it or not)
    // takes its place. Only then: elsewhere the folder's walk lists it first, for free.
    std::size_t probes = 0;
    for (std::size_t i = 1; i < entries.size(); ++i) {
      dir_entry& entry = entries[i];
      if (entry.kind != entry_kind::directory) continue;
      const std::string_view name = std::string_view(entry.sort_name).substr(0, entry.sort_name.size() - 1);
      if (!entries[i - 1].sort_name.starts_with(name)) continue;
      entry.nested_listed = true;
      ++probes;
    }
    if (probes > 0) {
      for (std::size_t i = 0, n = entries.size(); i < n; ++i) {
        if (!entries[i].nested_listed) continue;
        entries.push_back(
            {entries[i].sort_name.substr(0, entries[i].sort_name.size() - 1), entry_kind::file, false});
      }
      std::sort(entries.begin(), entries.end(), by_name);
    }
    return folder;
  }

  const fs_store& store_;
  std::string_view bucket_;
  const list_page_request& page_;
  std::vector<listed_object> out_;
  bool past_prefix_ = false;
};

}  // namespace

result<std::vector<listed_object>> fs_store::list_objects(std::string_view bucket,
                                                          const list_page_request& page) const {
  detail::require_blocking_allowed();
  try {
    // Refuses invalid names, missing buckets and bucket links leaving the root.
    if (auto exists = stat_bucket(bucket); !exists) return exists.error();
    walker w{*this, bucket, page};
    std::string path = root_prefix_;
    path += bucket;
    if (auto walked = w.walk(path, "", false); !walked) return walked.error();
    return std::move(w).take();
  } catch (const std::exception&) {
    return make_error_code(errc::io_error);
  }
}

}  // namespace s3cors::store
