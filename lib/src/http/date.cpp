#include "s3cors/http/date.hpp"

#include "detail/parse_text.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>

namespace s3cors {
namespace {

using detail::is_ows;
using detail::trim_ows;

using namespace std::chrono;

constexpr std::array<std::string_view, 7> short_day_names{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_day_names{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                         "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_padded(std::string& out, long long value, std::size_t width) {
  if (value < 0) {
    out.push_back('-');
    value = -value;
  }
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  const auto size = static_cast<std::size_t>(end - digits);
  if (size < width) out.append(width - size, '0');
  out.append(digits, size);
}

struct civil_time {
  year_month_day date;
  long long hour = 0;
  long long minute = 0;
  long long second = 0;
};

civil_time to_civil(sys_seconds t) {
  const sys_days day_point = floor<days>(t);
  const hh_mm_ss<seconds> hms{t - day_point};
  return civil_time{year_month_day{day_point}, hms.hours().count(), hms.minutes().count(),
                    hms.seconds().count()};
}

/// A forward-only reader over the date text; every step fails closed.
class cursor {
 public:
  explicit cursor(std::string_view text) noexcept : text_(text) {}

  [[nodiscard]] bool at_end() const noexcept { return text_.empty(); }

  bool literal(std::string_view expected) noexcept {
    if (!text_.starts_with(expected)) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  /// Exactly `count` ASCII digits.
  std::optional<int> digits(std::size_t count) noexcept {
    if (text_.size() < count) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    text_.remove_prefix(count);
    return value;
  }

  /// Index of the name `text` starts with, consuming it.
  template <std::size_t N>
  std::optional<unsigned> one_of(const std::array<std::string_view, N>& names) noexcept {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) return static_cast<unsigned>(i);
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
};

struct time_of_day {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

/// time-of-day = hour ":" minute ":" second, each two digits.
std::optional<time_of_day> read_time(cursor& in) noexcept {
  const auto hour = in.digits(2);
  if (!hour || !in.literal(":")) return std::nullopt;
  const auto minute = in.digits(2);
  if (!minute || !in.literal(":")) return std::nullopt;
  const auto second = in.digits(2);
  // Leap second 60 is not representable in sys_seconds, so it is rejected.
  if (!second || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return time_of_day{*hour, *minute, *second};
}

std::optional<sys_seconds> make_time(int y, unsigned month_index, int d, const time_of_day& tod) {
  const year_month_day ymd{year{y}, month{month_index + 1}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd} + hours{tod.hour} + minutes{tod.minute} + seconds{tod.second};
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<sys_seconds> parse_imf_fixdate(std::string_view text) {
  cursor in{text};
  if (!in.one_of(short_day_names) || !in.literal(", ")) return std::nullopt;
  const auto d = in.digits(2);
  if (!d || !in.literal(" ")) return std::nullopt;
  const auto m = in.one_of(month_names);
  if (!m || !in.literal(" ")) return std::nullopt;
  const auto y = in.digits(4);
  if (!y || !in.literal(" ")) return std::nullopt;
  const auto tod = read_time(in);
  if (!tod || !in.literal(" GMT") || !in.at_end()) return std::nullopt;
  return make_time(*y, *m, *d, *tod);
}

// rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<sys_seconds> parse_rfc850(std::string_view text) {
  cursor in{text};
  if (!in.one_of(long_day_names) || !in.literal(", ")) return std::nullopt;
  const auto d = in.digits(2);
  if (!d || !in.literal("-")) return std::nullopt;
  const auto m = in.one_of(month_names);
  if (!m || !in.literal("-")) return std::nullopt;
  const auto yy = in.digits(2);
  if (!yy || !in.literal(" ")) return std::nullopt;
  const auto tod = read_time(in);
  if (!tod || !in.literal(" GMT") || !in.at_end()) return std::nullopt;
  const int y = *yy < 70 ? 2000 + *yy : 1900 + *yy;
  return make_time(y, *m, *d, *tod);
}

// asctime-date: "Sun Nov  6 08:49:37 1994" (day is 2DIGIT or SP DIGIT)
std::optional<sys_seconds> parse_asctime(std::string_view text) {
  cursor in{text};
  if (!in.one_of(short_day_names) || !in.literal(" ")) return std::nullopt;
  const auto m = in.one_of(month_names);
  if (!m || !in.literal(" ")) return std::nullopt;
  const auto d = in.literal(" ") ? in.digits(1) : in.digits(2);
  if (!d || !in.literal(" ")) return std::nullopt;
  const auto tod = read_time(in);
  if (!tod || !in.literal(" ")) return std::nullopt;
  const auto y = in.digits(4);
  if (!y || !in.at_end()) return std::nullopt;
  return make_time(*y, *m, *d, *tod);
}

}  // namespace

namespace {

std::string format_http_date_uncached(sys_seconds t) {
  const civil_time c = to_civil(t);
  const weekday wd{floor<days>(t)};
  std::string out;
  out.reserve(29);
  out += short_day_names[wd.c_encoding()];
  out += ", ";
  append_padded(out, static_cast<unsigned>(c.date.day()), 2);
  out += ' ';
  out += month_names[static_cast<unsigned>(c.date.month()) - 1];
  out += ' ';
  append_padded(out, static_cast<int>(c.date.year()), 4);
  out += ' ';
  append_padded(out, c.hour, 2);
  out += ':';
  append_padded(out, c.minute, 2);
  out += ':';
  append_padded(out, c.second, 2);
  out += " GMT";
  return out;
}

}  // namespace

std::string format_http_date(sys_seconds t) {
  // Responses ask for the same few seconds over and over (the Date of each response, the
  // Last-Modified of an object): this thread's last two answers are kept.
  struct entry {
    sys_seconds time{seconds::min()};
    std::string text;
  };
  thread_local std::array<entry, 2> cache;
  thread_local std::size_t next_slot = 0;
  for (const entry& e : cache) {
    if (e.time == t && !e.text.empty()) return e.text;
  }
  std::string out = format_http_date_uncached(t);
  entry& slot = cache[next_slot];
  next_slot = 1 - next_slot;
  slot.time = t;
  slot.text = out;
  return out;
}

std::optional<sys_seconds> parse_http_date(std::string_view text) {
  text = trim_ows(text);
  // The three forms differ by where the first comma is: after a 3-letter day name (IMF-fixdate),
  // after a long day name (RFC 850), or nowhere (asctime).
  const auto comma = text.find(',');
  if (comma == 3) return parse_imf_fixdate(text);
  if (comma != std::string_view::npos) return parse_rfc850(text);
  return parse_asctime(text);
}

std::string format_iso8601(sys_seconds t) {
  const civil_time c = to_civil(t);
  std::string out;
  out.reserve(24);
  append_padded(out, static_cast<int>(c.date.year()), 4);
  out += '-';
  append_padded(out, static_cast<unsigned>(c.date.month()), 2);
  out += '-';
  append_padded(out, static_cast<unsigned>(c.date.day()), 2);
  out += 'T';
  append_padded(out, c.hour, 2);
  out += ':';
  append_padded(out, c.minute, 2);
  out += ':';
  append_padded(out, c.second, 2);
  out += ".000Z";
  return out;
}

}  // namespace s3cors
