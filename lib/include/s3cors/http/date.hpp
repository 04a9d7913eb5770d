#pragma once
// HTTP and S3 timestamp formats (RFC 9110 §5.6.7, ISO 8601). Pure calendar math: no locale,
// no timegm, no clock.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors {

/// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
[[nodiscard]] std::string format_http_date(std::chrono::sys_seconds t);

/// Accepts IMF-fixdate, obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7); nullopt when invalid.
///
/// Surrounding whitespace is ignored; everything else follows the grammar exactly (names are
/// case-sensitive, fields are fixed width). The day name must be a valid name but is not checked
/// against the date, as RFC 9110 asks nothing more of recipients. RFC 850's two-digit year is
/// read as 2000-2069 for 00-69 and 1970-1999 for 70-99, because the RFC's "more than 50 years
/// in the future" rule would need the current time, which this module does not read.
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

/// S3's XML timestamp form, e.g. "2009-10-12T17:50:30.000Z".
[[nodiscard]] std::string format_iso8601(std::chrono::sys_seconds t);

}  // namespace s3cors
