#pragma once
// Shell-style wildcard matching, as CloudFront path patterns and fault rules use it.
#include <string_view>

namespace s3cors {

/// '*' matches any run of characters ('/' included), '?' exactly one, everything else itself,
/// case-sensitively.
[[nodiscard]] bool glob_matches(std::string_view pattern, std::string_view text) noexcept;

}  // namespace s3cors
