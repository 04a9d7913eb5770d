#pragma once
// Private helpers for header values with parameters (`type; name=value; name="quoted"`), shared
// by the multipart/form-data Content-Type and the part headers' Content-Disposition.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::detail {

using parameter_list = std::vector<std::pair<std::string, std::string>>;

/// A header's parameters after its first value: `; name=token` or `; name="quoted"` (RFC 9110
/// §5.6.6, quoted-pairs unescaped). Malformed parameters end the list; what was read so far stands.
[[nodiscard]] parameter_list parse_parameters(std::string_view text);

/// The first parameter of that name (case-insensitive), or nullopt.
[[nodiscard]] std::optional<std::string> find_parameter(const parameter_list& params, std::string_view name);

/// The media type of a header value: everything before the first ';', trimmed.
[[nodiscard]] std::string_view media_type(std::string_view value) noexcept;

}  // namespace s3cors::detail
