#pragma once
// GetObject's Range header, decided the way Amazon S3 decides it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::range {

/// An inclusive byte range: bytes first..last.
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

enum class range_kind {
  absent,         ///< no Range header: 200, whole object
  ignore,         ///< a Range header S3 disregards: 200, whole object
  satisfiable,    ///< 206 with `range`
  unsatisfiable,  ///< 416 InvalidRange with Content-Range: bytes */size
};

struct range_decision {
  range_kind kind = range_kind::absent;
  byte_range range{};  ///< meaningful only when kind == satisfiable
};

/// Decides a GetObject Range header as Amazon S3 does. header nullopt -> absent.
///
/// One range only, in the forms `bytes=a-b`, `bytes=a-` and `bytes=-n`:
/// - `a-b` with b >= size is clamped to size-1; a >= size is unsatisfiable.
/// - `-n` with n >= size selects the whole object; `-0` is unsatisfiable.
/// - On an empty object `a-b` and `a-` are unsatisfiable and `-n` (n > 0) is ignored.
/// - Anything S3 does not understand (another unit, several ranges, b < a, garbage, numbers
///   beyond 2^64-1) is ignored: the whole object is served with 200.
[[nodiscard]] range_decision parse_range(std::optional<std::string_view> header, std::uint64_t object_size);

/// "bytes a-b/size", the Content-Range of a 206.
[[nodiscard]] std::string content_range(const byte_range& r, std::uint64_t size);

/// "bytes */size", the Content-Range of a 416.
[[nodiscard]] std::string unsatisfied_content_range(std::uint64_t size);

}  // namespace s3cors::range
