#pragma once
// The name rules every layer shares: which names are buckets, and which keys a store can
// map to a file without leaving its bucket. One definition, so routing and the store agree.
#include <string_view>

namespace s3cors::store {

/// S3's bucket naming rules: 3-63 characters of a-z, 0-9, '.', '-'; starting and ending with
/// a letter or digit; no '..', '.-' or '-.'; not formatted as an IPv4 address.
[[nodiscard]] bool is_valid_bucket_name(std::string_view name) noexcept;

/// A segment beginning with this names an upload being copied into place beside its target
/// (a folder on another file system): reserved, so never listed, served or written as a key.
inline constexpr std::string_view near_file_prefix = ".s3cors-upload-";

/// True for keys that map to a file safely: not empty, at most 1024 bytes, no NUL or
/// backslash, no empty, '.' or '..' segment (so no leading, doubled or trailing '/'), and no
/// segment beginning with near_file_prefix.
[[nodiscard]] bool is_valid_key(std::string_view key) noexcept;

}  // namespace s3cors::store
