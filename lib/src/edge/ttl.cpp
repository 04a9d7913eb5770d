#include "s3cors/edge/ttl.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/http/request.hpp"

#include <algorithm>
#include <charconv>

namespace s3cors::edge {

namespace {

std::optional<std::string_view> find_header(std::span<const header_field> headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_seconds(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc::result_out_of_range)
    return std::uint64_t{100} * 365 * 86400;  // CloudFront's 100-year ceiling
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

std::uint64_t clamp(std::uint64_t value, const cache_policy& policy) {
  return std::clamp(value, policy.min_ttl, std::max(policy.min_ttl, policy.max_ttl));
}

// Seconds of freshness the origin gave: s-maxage, else max-age, else Expires - Date.
std::optional<std::uint64_t> origin_ttl(const cache_directives& cc, std::span<const header_field> headers,
                                        std::chrono::sys_seconds now) {
  if (cc.s_maxage) return cc.s_maxage;
  if (cc.max_age) return cc.max_age;
  const auto expires = find_header(headers, "expires");
  if (!expires) return std::nullopt;
  const auto when = parse_http_date(*expires);
  if (!when) return 0;  // an invalid Expires means "already expired" (RFC 9111 §5.3)
  std::chrono::sys_seconds date = now;
  if (const auto d = find_header(headers, "date")) {
    if (const auto parsed = parse_http_date(*d)) date = *parsed;
  }
  if (*when <= date) return 0;
  return static_cast<std::uint64_t>((*when - date).count());
}

}  // namespace

cache_directives parse_cache_control(std::string_view value) {
  cache_directives out;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    const auto comma = value.find(',', pos);
    const std::string_view item = detail::trim_ows(
        value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    const auto eq = item.find('=');
    const std::string_view name = detail::trim_ows(item.substr(0, eq));
    const std::string_view arg = eq == std::string_view::npos ? "" : detail::trim_ows(item.substr(eq + 1));
    if (iequals(name, "max-age")) {
      if (const auto n = parse_seconds(arg)) out.max_age = n;
    } else if (iequals(name, "s-maxage")) {
      if (const auto n = parse_seconds(arg)) out.s_maxage = n;
    } else if (iequals(name, "no-cache")) {
      out.no_cache = true;
    } else if (iequals(name, "no-store")) {
      out.no_store = true;
    } else if (iequals(name, "private")) {
      out.is_private = true;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool is_cacheable_success(int status) noexcept {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 300:
    case 301:
    case 302:
    case 307:
    case 308:
      return true;
    default:
      return false;
  }
}

bool is_cacheable_error(int status) noexcept {
  switch (status) {
    case 400:
    case 403:
    case 404:
    case 405:
    case 410:
    case 414:
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

ttl_decision compute_ttl(int status, std::span<const header_field> response_headers,
                         const cache_policy& policy, std::uint64_t error_caching_min_ttl,
                         std::chrono::sys_seconds now) {
  const auto cc_header = find_header(response_headers, "cache-control");
  const cache_directives cc = cc_header ? parse_cache_control(*cc_header) : cache_directives{};
  const bool refuses = cc.no_cache || cc.no_store || cc.is_private;
  const auto given = origin_ttl(cc, response_headers, now);

  ttl_decision out;
  if (policy.max_ttl == 0) return out;  // CachingDisabled and its like keep nothing, errors included
  if (is_cacheable_success(status)) {
    // 307 and 308 are cached only when the origin sent Cache-Control.
    if ((status == 307 || status == 308) && !cc_header) return out;
    if (refuses) {
      // With MinTTL 0 CloudFront respects the directives; otherwise it keeps the object MinTTL.
      out.ttl = policy.min_ttl;
    } else if (given) {
      out.ttl = clamp(*given, policy);
    } else {
      out.ttl = std::max(policy.min_ttl, policy.default_ttl);
    }
  } else if (is_cacheable_error(status)) {
    // no-store/no-cache/private keep 404, 410, 414 and 501 out of the cache; other errors ignore
    // them. The origin's own TTL (at most MaxTTL) counts when longer than the error minimum.
    if (refuses && (status == 404 || status == 410 || status == 414 || status == 501)) return out;
    out.ttl = error_caching_min_ttl;
    if (given && !refuses) out.ttl = std::max(out.ttl, std::min(*given, policy.max_ttl));
  } else {
    return out;
  }
  out.store = out.ttl > 0;
  if (!out.store) out.ttl = 0;
  return out;
}

}  // namespace s3cors::edge
