#pragma once
// The name rules every layer shares: which names are buckets, and which keys a store can
// map to a file without leaving its bucket. One definition, so routing and the store agree.
#include <string>
#include <string_view>

namespace s3cors::store {

/// S3's bucket naming rules: 3-63 characters of a-z, 0-9, '.', '-'; starting and ending with
/// a letter or digit; no '..', '.-' or '-.'; not formatted as an IPv4 address.
[[nodiscard]] bool is_valid_bucket_name(std::string_view name) noexcept;

/// A segment beginning with this names an upload being copied into place beside its target
/// (a folder on another file system): reserved, so never listed, served or written as a key.
inline constexpr std::string_view near_file_prefix = ".s3cors-upload-";

// Keys a folder cannot hold as plain files (docs/storage.md, "Folder keys"):
/// The file holding the object whose key is the path of the folder it is in, when that
/// folder also holds other keys: key "a/b" is "a/b/.s3cors-object" while "a/b/c" exists.
inline constexpr std::string_view nested_object_name = ".s3cors-object";
/// The file holding the object whose key is the path of the folder it is in plus '/': key
/// "photos/" (an S3 console "folder") is "photos/.s3cors-folder".
inline constexpr std::string_view folder_marker_name = ".s3cors-folder";
/// A segment beginning with this names a folder being put in place of a file (a key moving
/// into its folder): reserved like the others.
inline constexpr std::string_view nest_dir_prefix = ".s3cors-nest-";

/// True for a path segment the store reserves for itself (the names above): such a segment
/// never names a key, and a file or folder with such a name is never listed as one.
[[nodiscard]] bool is_reserved_segment(std::string_view segment) noexcept;

/// True for keys that map to a file safely: not empty, at most 1024 bytes, no NUL or
/// backslash, no '.' or '..' segment, no empty segment except a last one (so "photos/" and
/// "a/b/" are keys, "/a", "a//b" and "/" are not), and no reserved segment.
[[nodiscard]] bool is_valid_key(std::string_view key) noexcept;

/// Where a valid key's object lives, relative to its bucket folder, when no other key is
/// below it: "a/b" -> "a/b", "a/b/" -> "a/b/.s3cors-folder" (a key ending in '/' has one place).
[[nodiscard]] std::string key_path(std::string_view key);

/// Where a valid key not ending in '/' lives once its path is a folder (other keys are below
/// it): "a/b" -> "a/b/.s3cors-object". Empty for a key ending in '/'.
[[nodiscard]] std::string nested_key_path(std::string_view key);

/// The key a path relative to its bucket folder holds (the inverse of key_path and
/// nested_key_path), or empty when it holds none: a reserved name elsewhere than as the last
/// segment, or a path that is not a valid key.
[[nodiscard]] std::string key_of_path(std::string_view path);

}  // namespace s3cors::store
