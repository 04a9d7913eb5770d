#pragma once
// The name rules every layer shares: which names are buckets, and which keys a store can
// map to a file without leaving its bucket. One definition, so routing and the store agree.
#include <string_view>

namespace s3cors::store {

/// S3's bucket naming rules: 3-63 characters of a-z, 0-9, '.', '-'; starting and ending with
/// a letter or digit; no '..', '.-' or '-.'; not formatted as an IPv4 address.
[[nodiscard]] bool is_valid_bucket_name(std::string_view name) noexcept;

/// True for keys that map to a file safely: not empty, at most 1024 bytes, no NUL or
/// backslash, and no empty, '.' or '..' segment (so no leading, doubled or trailing '/').
[[nodiscard]] bool is_valid_key(std::string_view key) noexcept;

}  // namespace s3cors::store
