#pragma once
// Content-Type guessed from an object key's extension, for objects stored without one.
#include <string_view>

namespace s3cors::mime {

/// Content-Type for a key by its extension (case-insensitive); S3's default "binary/octet-stream" when
/// unknown.
///
/// Only the last path segment counts ("dir.ts/file" has no extension). As in Python's
/// `os.path.splitext`, which the AWS CLI uses to guess types, leading dots do not start an
/// extension (".ts" has none) and a trailing dot leaves an empty one.
[[nodiscard]] std::string_view content_type_for_key(std::string_view key) noexcept;

/// S3's Content-Type for objects uploaded without one.
inline constexpr std::string_view default_content_type = "binary/octet-stream";

}  // namespace s3cors::mime
