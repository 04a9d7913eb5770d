#include "policy/detail.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <arpa/inet.h>

namespace s3cors::policy::detail {
namespace {

constexpr char fold(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = fold(c);
  return out;
}

glob compile(std::string_view pattern) {
  glob g;
  g.reserve(pattern.size());
  for (const char c : pattern) {
    if (c == '*')
      g.push_back(any_run);
    else if (c == '?')
      g.push_back(any_one);
    else
      g.push_back(static_cast<unsigned char>(c));
  }
  return g;
}

glob literal(std::string_view text) {
  glob g;
  g.reserve(text.size());
  for (const char c : text) g.push_back(static_cast<unsigned char>(c));
  return g;
}

bool glob_matches(const int* p, std::size_t pn, std::string_view s, bool ignore_case) noexcept {
  // Greedy with one backtrack point: the last `*` seen (linear in practice, O(n*m) worst case).
  std::size_t pi = 0, si = 0;
  std::size_t star_p = static_cast<std::size_t>(-1), star_s = 0;
  while (si < s.size()) {
    if (pi < pn && p[pi] == any_run) {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < pn) {
      const int want = p[pi];
      const char got = s[si];
      const bool ok = want == any_one || (ignore_case ? fold(static_cast<char>(want)) == fold(got)
                                                      : want == static_cast<unsigned char>(got));
      if (ok) {
        ++pi;
        ++si;
        continue;
      }
    }
    if (star_p == static_cast<std::size_t>(-1)) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < pn && p[pi] == any_run) ++pi;
  return pi == pn;
}

bool arn_glob_matches(const glob& pattern, std::string_view arn) noexcept {
  if (pattern.size() == 1 && pattern[0] == any_run) return true;
  // Split both into six parts on the first five colons; the last part runs to the end.
  std::size_t p_begin = 0, s_begin = 0;
  for (int part = 0; part < 5; ++part) {
    std::size_t p_end = p_begin;
    while (p_end < pattern.size() && pattern[p_end] != ':') ++p_end;
    const std::size_t s_end = arn.find(':', s_begin);
    if (p_end == pattern.size() || s_end == std::string_view::npos) return false;
    if (!glob_matches(pattern.data() + p_begin, p_end - p_begin, arn.substr(s_begin, s_end - s_begin), false))
      return false;
    p_begin = p_end + 1;
    s_begin = s_end + 1;
  }
  return glob_matches(pattern.data() + p_begin, pattern.size() - p_begin, arn.substr(s_begin), false);
}

bool has_variable(std::string_view text) noexcept {
  return text.find("${") != std::string_view::npos;
}

std::optional<glob> expand(std::string_view text, const context_keys& keys, bool variables, bool wildcards) {
  if (!variables) return wildcards ? compile(text) : literal(text);
  glob out;
  out.reserve(text.size());
  auto append = [&](std::string_view part, bool wild) {
    const glob g = wild ? compile(part) : literal(part);
    out.insert(out.end(), g.begin(), g.end());
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("${", pos);
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open + 2);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      append(text.substr(pos), wildcards);
      break;
    }
    append(text.substr(pos, open - pos), wildcards);
    std::string_view body = text.substr(open + 2, close - open - 2);
    pos = close + 1;
    if (body == "*" || body == "?" || body == "$") {
      append(body, false);
      continue;
    }
    // ${key, 'default'}
    std::optional<std::string_view> fallback;
    if (const auto comma = body.find(','); comma != std::string_view::npos) {
      std::string_view def = body.substr(comma + 1);
      def.remove_prefix(std::min(def.find_first_not_of(' '), def.size()));
      while (!def.empty() && def.back() == ' ') def.remove_suffix(1);
      if (def.size() >= 2 && def.front() == '\'' && def.back() == '\'')
        fallback = def.substr(1, def.size() - 2);
      body = body.substr(0, comma);
    }
    while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    const auto found = keys.find(body);
    if (found != keys.end() && found->second.size() == 1)
      append(found->second.front(), false);
    else if (fallback)
      append(*fallback, false);
    else
      return std::nullopt;
  }
  return out;
}

std::optional<cidr> parse_cidr(std::string_view text) {
  cidr out;
  std::string_view address = text;
  std::optional<unsigned> prefix;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    const std::string_view digits = text.substr(slash + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    prefix = value;
  }
  if (address.empty() || address.size() > 45) return std::nullopt;
  const std::string z(address);
  out.v6 = z.find(':') != std::string::npos;
  if (::inet_pton(out.v6 ? AF_INET6 : AF_INET, z.c_str(), out.bytes.data()) != 1) return std::nullopt;
  const unsigned bits = out.v6 ? 128 : 32;
  out.prefix = prefix.value_or(bits);
  if (out.prefix > bits) return std::nullopt;
  return out;
}

bool cidr_contains(const cidr& range, const cidr& address) noexcept {
  if (range.v6 != address.v6) return false;
  unsigned left = range.prefix;
  for (std::size_t i = 0; left > 0; ++i) {
    const unsigned take = std::min(left, 8U);
    const auto mask = static_cast<std::uint8_t>(0xFFU << (8 - take));
    if ((range.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
    left -= take;
  }
  return true;
}

std::optional<double> parse_number(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* first = text.data();
  if (*first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_digits(std::string_view& s, std::size_t n, unsigned& out) noexcept {
  if (s.size() < n) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool eat(std::string_view& s, char c) noexcept {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  // Epoch seconds (aws:EpochTime's form), possibly with a fraction.
  if (text.find('-') == std::string_view::npos || text.front() == '-') {
    const auto n = parse_number(text);
    if (!n) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(*n * 1000.0));
  }
  std::string_view s = text;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!read_digits(s, 4, year) || !eat(s, '-') || !read_digits(s, 2, month) || !eat(s, '-') ||
      !read_digits(s, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  std::int64_t offset_minutes = 0;
  if (!s.empty()) {
    if (!eat(s, 'T') && !eat(s, 't')) return std::nullopt;
    if (!read_digits(s, 2, hour) || !eat(s, ':') || !read_digits(s, 2, minute)) return std::nullopt;
    if (eat(s, ':') && !read_digits(s, 2, second)) return std::nullopt;
    if (eat(s, '.')) {
      unsigned scale = 100;
      bool any = false;
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
        millis += static_cast<unsigned>(s.front() - '0') * scale;
        scale /= 10;
        s.remove_prefix(1);
        any = true;
      }
      if (!any) return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (eat(s, 'Z') || eat(s, 'z')) {
    } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
      const bool minus = s.front() == '-';
      s.remove_prefix(1);
      unsigned oh = 0, om = 0;
      if (!read_digits(s, 2, oh)) return std::nullopt;
      eat(s, ':');
      if (!read_digits(s, 2, om)) return std::nullopt;
      offset_minutes = (minus ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
    }
    if (!s.empty()) return std::nullopt;
  }
  const std::int64_t days = days_from_civil(year, month, day);
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
  if (iequals(text, "true")) return true;
  if (iequals(text, "false")) return false;
  return std::nullopt;
}

bool is_negated(condition_operator op) noexcept {
  switch (op) {
    case condition_operator::string_not_equals:
    case condition_operator::string_not_equals_ignore_case:
    case condition_operator::string_not_like:
    case condition_operator::numeric_not_equals:
    case condition_operator::date_not_equals:
    case condition_operator::not_ip_address:
    case condition_operator::arn_not_equals:
    case condition_operator::arn_not_like:
      return true;
    default:
      return false;
  }
}

std::optional<condition_operator> operator_from_name(std::string_view name) noexcept {
  using op = condition_operator;
  static constexpr std::pair<std::string_view, op> table[] = {
      {"StringEquals", op::string_equals},
      {"StringNotEquals", op::string_not_equals},
      {"StringEqualsIgnoreCase", op::string_equals_ignore_case},
      {"StringNotEqualsIgnoreCase", op::string_not_equals_ignore_case},
      {"StringLike", op::string_like},
      {"StringNotLike", op::string_not_like},
      {"NumericEquals", op::numeric_equals},
      {"NumericNotEquals", op::numeric_not_equals},
      {"NumericLessThan", op::numeric_less_than},
      {"NumericLessThanEquals", op::numeric_less_than_equals},
      {"NumericGreaterThan", op::numeric_greater_than},
      {"NumericGreaterThanEquals", op::numeric_greater_than_equals},
      {"DateEquals", op::date_equals},
      {"DateNotEquals", op::date_not_equals},
      {"DateLessThan", op::date_less_than},
      {"DateLessThanEquals", op::date_less_than_equals},
      {"DateGreaterThan", op::date_greater_than},
      {"DateGreaterThanEquals", op::date_greater_than_equals},
      {"Bool", op::boolean},
      {"BinaryEquals", op::binary_equals},
      {"IpAddress", op::ip_address},
      {"NotIpAddress", op::not_ip_address},
      {"ArnEquals", op::arn_equals},
      {"ArnLike", op::arn_like},
      {"ArnNotEquals", op::arn_not_equals},
      {"ArnNotLike", op::arn_not_like},
      {"Null", op::null},
  };
  for (const auto& [n, o] : table)
    if (n == name) return o;
  return std::nullopt;
}

}  // namespace s3cors::policy::detail

namespace s3cors::policy {

bool action_matches(std::string_view pattern, std::string_view action) {
  if (pattern == "*") return true;
  const detail::glob g = detail::compile(pattern);
  return detail::glob_matches(g, action, true);
}

bool arn_matches(std::string_view pattern, std::string_view arn) {
  return detail::arn_glob_matches(detail::compile(pattern), arn);
}

bool key_less::operator()(std::string_view a, std::string_view b) const noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  }
  return a.size() < b.size();
}

}  // namespace s3cors::policy
