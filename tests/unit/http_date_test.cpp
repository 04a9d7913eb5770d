#include "s3cors/http/date.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace {

using namespace std::chrono;

constexpr sys_seconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

}  // namespace

TEST_CASE("http_date: formats IMF-fixdate", "[http_date]") {
  struct row {
    sys_seconds time;
    std::string_view expected;
  };
  const auto [time, expected] = GENERATE(values<row>({
      {at(1994, 11, 6, 8, 49, 37), "Sun, 06 Nov 1994 08:49:37 GMT"},   // RFC 9110's example
      {sys_seconds{}, "Thu, 01 Jan 1970 00:00:00 GMT"},                // epoch
      {sys_seconds{seconds{-1}}, "Wed, 31 Dec 1969 23:59:59 GMT"},     // before the epoch
      {at(2000, 2, 29, 23, 59, 59), "Tue, 29 Feb 2000 23:59:59 GMT"},  // leap day of a 400-year
      {at(2024, 2, 29, 12, 0, 0), "Thu, 29 Feb 2024 12:00:00 GMT"},
      {at(2038, 1, 19, 3, 14, 8), "Tue, 19 Jan 2038 03:14:08 GMT"},  // past 32-bit time_t
      {at(9999, 12, 31, 23, 59, 59), "Fri, 31 Dec 9999 23:59:59 GMT"},
  }));
  CAPTURE(expected);
  CHECK(s3cors::format_http_date(time) == expected);
}

TEST_CASE("http_date: formats S3's ISO 8601 timestamps with milliseconds", "[http_date]") {
  struct row {
    sys_seconds time;
    std::string_view expected;
  };
  const auto [time, expected] = GENERATE(values<row>({
      {at(2009, 10, 12, 17, 50, 30), "2009-10-12T17:50:30.000Z"},  // S3's documentation example
      {sys_seconds{}, "1970-01-01T00:00:00.000Z"},
      {at(2024, 2, 29, 0, 0, 1), "2024-02-29T00:00:01.000Z"},
      {at(1999, 12, 31, 23, 59, 59), "1999-12-31T23:59:59.000Z"},
  }));
  CAPTURE(expected);
  CHECK(s3cors::format_iso8601(time) == expected);
}

TEST_CASE("http_date: parses the three RFC 9110 date forms", "[http_date]") {
  struct row {
    std::string_view text;
    sys_seconds expected;
  };
  const auto [text, expected] = GENERATE(values<row>({
      {"Sun, 06 Nov 1994 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)},   // IMF-fixdate
      {"Sunday, 06-Nov-94 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)},  // obsolete RFC 850
      {"Sun Nov  6 08:49:37 1994", at(1994, 11, 6, 8, 49, 37)},        // asctime, SP DIGIT day
      {"Thu Nov 16 08:49:37 1994", at(1994, 11, 16, 8, 49, 37)},       // asctime, 2DIGIT day
      {"Thu, 01 Jan 1970 00:00:00 GMT", sys_seconds{}},
      {"Wed, 31 Dec 1969 23:59:59 GMT", sys_seconds{seconds{-1}}},
      {"Tue, 29 Feb 2000 23:59:59 GMT", at(2000, 2, 29, 23, 59, 59)},
      {"Fri, 31 Dec 9999 23:59:59 GMT", at(9999, 12, 31, 23, 59, 59)},
      {"  Sun, 06 Nov 1994 08:49:37 GMT\t", at(1994, 11, 6, 8, 49, 37)},  // surrounding OWS
      {"Monday, 01-Jan-69 00:00:00 GMT", at(2069, 1, 1)},                 // two-digit year pivot
      {"Thursday, 01-Jan-70 00:00:00 GMT", at(1970, 1, 1)},
      {"Friday, 31-Dec-99 23:59:59 GMT", at(1999, 12, 31, 23, 59, 59)},
      {"Saturday, 01-Jan-00 00:00:00 GMT", at(2000, 1, 1)},
      // The day name is not cross-checked against the date (RFC 9110 asks nothing more).
      {"Mon, 06 Nov 1994 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)},
  }));
  CAPTURE(text);
  const auto parsed = s3cors::parse_http_date(text);
  REQUIRE(parsed.has_value());
  CHECK(parsed->time_since_epoch().count() == expected.time_since_epoch().count());
}

TEST_CASE("http_date: rejects malformed or impossible dates", "[http_date]") {
  const std::string_view text = GENERATE(as<std::string_view>{},
                                         "",                                  // empty
                                         "   ",                               // blank
                                         "garbage",                           //
                                         "Sun, 06 Nov 1994 08:49:37",         // no zone
                                         "Sun, 06 Nov 1994 08:49:37 UTC",     // zone other than GMT
                                         "Sun, 06 Nov 1994 08:49:37 gmt",     // GMT is case-sensitive
                                         "sun, 06 Nov 1994 08:49:37 GMT",     // day name is case-sensitive
                                         "Sun, 06 nov 1994 08:49:37 GMT",     // month is case-sensitive
                                         "Sun, 6 Nov 1994 08:49:37 GMT",      // one-digit day
                                         "Sun, 06 Nov 94 08:49:37 GMT",       // two-digit year in IMF
                                         "Sun, 06 Foo 1994 08:49:37 GMT",     // unknown month
                                         "Sun, 31 Nov 1994 08:49:37 GMT",     // 31 November
                                         "Tue, 29 Feb 1900 00:00:00 GMT",     // 1900 is not leap
                                         "Sun, 00 Nov 1994 08:49:37 GMT",     // day 0
                                         "Sun, 06 Nov 1994 24:00:00 GMT",     // hour 24
                                         "Sun, 06 Nov 1994 08:60:00 GMT",     // minute 60
                                         "Sun, 06 Nov 1994 08:49:60 GMT",     // leap second
                                         "Sun, 06 Nov 1994 8:49:37 GMT",      // one-digit hour
                                         "Sun, 06 Nov 1994 08:49:37 GMT x",   // trailing text
                                         "Sun,06 Nov 1994 08:49:37 GMT",      // missing space
                                         "Sun, 06 Nov 1994 08:49:37  GMT",    // double space
                                         "Sun, 06 Nov 1994 08-49-37 GMT",     // wrong separators
                                         "Sunday, 06 Nov 1994 08:49:37 GMT",  // long name, IMF body
                                         "Sun, 06-Nov-94 08:49:37 GMT",       // short name, RFC 850 body
                                         "Sunday, 06-Nov-1994 08:49:37 GMT",  // four-digit RFC 850 year
                                         "Sun Nov 6 08:49:37 1994",           // asctime, single space
                                         "Sun Nov  6 08:49:37 94",            // asctime, short year
                                         "Sun Nov  6 08:49:37 1994 GMT",      // asctime with zone
                                         "1994-11-06T08:49:37Z");             // ISO 8601 is not HTTP
  CAPTURE(text);
  CHECK_FALSE(s3cors::parse_http_date(text).has_value());
}

TEST_CASE("http_date: IMF-fixdate round-trips every second across a day and a year boundary", "[http_date]") {
  const sys_seconds start = at(1999, 12, 31, 23, 0, 0);
  for (int offset = 0; offset < 2 * 3600; offset += 7) {
    const sys_seconds t = start + seconds{offset};
    const auto parsed = s3cors::parse_http_date(s3cors::format_http_date(t));
    REQUIRE(parsed.has_value());
    REQUIRE(*parsed == t);
  }
}

TEST_CASE("http_date: IMF-fixdate round-trips on the first day of every month for decades", "[http_date]") {
  for (int y = 1960; y <= 2100; ++y) {
    for (unsigned m = 1; m <= 12; ++m) {
      const sys_seconds t = at(y, m, 1, 13, 5, 9);
      const auto parsed = s3cors::parse_http_date(s3cors::format_http_date(t));
      REQUIRE(parsed.has_value());
      REQUIRE(*parsed == t);
    }
  }
}
