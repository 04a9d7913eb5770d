#include "s3cors/edge/cache_key.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/http/request.hpp"

#include <algorithm>
#include <array>

namespace s3cors::edge {

std::optional<std::string_view> request_view::header(std::string_view name) const noexcept {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

namespace {

using s3cors::detail::trim_ows;

bool is_refused_quality(std::string_view params) {
  // params: ";q=0.000" style; q=0 (with any number of zero decimals) refuses the coding.
  std::size_t pos = 0;
  while (pos < params.size()) {
    const auto semi = params.find(';', pos);
    const std::string_view param =
        trim_ows(params.substr(pos, semi == std::string_view::npos ? semi : semi - pos));
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      const std::string_view q = trim_ows(param.substr(2));
      if (q.empty() || q[0] != '0') return false;
      return q.find_first_not_of("0.", 0) == std::string_view::npos;
    }
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return false;
}

template <class F>
void for_each_item(std::string_view list, char separator, F f) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const auto end = list.find(separator, pos);
    f(list.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
}

bool contains_exact(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool contains_ignoring_case(const std::vector<std::string>& list, std::string_view item) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return iequals(s, item); });
}

// Whether a name is selected by a cookie or query string config (names are case-sensitive).
bool selects(const values_config& config, std::string_view name) {
  switch (config.behavior) {
    case behavior::none:
      return false;
    case behavior::whitelist:
      return contains_exact(config.items, name);
    case behavior::all_except:
      return !contains_exact(config.items, name);
    case behavior::all:
    case behavior::all_viewer:
    case behavior::all_viewer_and_whitelist_cloudfront:
      return true;
  }
  return false;
}

std::string_view param_name(std::string_view param) {
  return param.substr(0, param.find('='));
}

std::vector<std::pair<std::string_view, std::string_view>> viewer_cookies(const request_view& request) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const auto& [name, value] : request.headers) {
    if (!iequals(name, "cookie")) continue;
    for_each_item(value, ';', [&](std::string_view item) {
      item = trim_ows(item);
      if (item.empty()) return;
      const auto eq = item.find('=');
      out.emplace_back(trim_ows(item.substr(0, eq)), eq == std::string_view::npos ? "" : item.substr(eq + 1));
    });
  }
  return out;
}

// Hop-by-hop fields and those the edge itself owns are never forwarded from the viewer.
bool is_never_forwarded(std::string_view name) {
  static constexpr std::array<std::string_view, 11> names = {"connection",
                                                             "keep-alive",
                                                             "proxy-authenticate",
                                                             "proxy-authorization",
                                                             "proxy-connection",
                                                             "te",
                                                             "trailer",
                                                             "transfer-encoding",
                                                             "upgrade",
                                                             "host",
                                                             "content-length"};
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(n, name); });
}

bool is_validator_or_range(std::string_view name) {
  static constexpr std::array<std::string_view, 6> names = {
      "range", "if-range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"};
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(n, name); });
}

bool origin_policy_selects_header(const origin_request_policy& policy, std::string_view name) {
  switch (policy.headers.behavior) {
    case behavior::none:
      return false;
    case behavior::whitelist:
      return contains_ignoring_case(policy.headers.items, name);
    case behavior::all_except:
      return !contains_ignoring_case(policy.headers.items, name);
    case behavior::all:
    case behavior::all_viewer:
    case behavior::all_viewer_and_whitelist_cloudfront:
      return true;
  }
  return false;
}

bool is_s3_response_override(std::string_view name) {
  return name == "response-content-type" || name == "response-content-disposition" ||
         name == "response-content-encoding";
}

}  // namespace

std::optional<std::string> normalize_accept_encoding(std::optional<std::string_view> value, bool gzip,
                                                     bool brotli) {
  if (!value || (!gzip && !brotli)) return std::nullopt;
  bool has_gzip = false;
  bool has_br = false;
  for_each_item(*value, ',', [&](std::string_view item) {
    item = trim_ows(item);
    const auto semi = item.find(';');
    const std::string_view coding = trim_ows(item.substr(0, semi));
    if (semi != std::string_view::npos && is_refused_quality(item.substr(semi + 1))) return;
    if (iequals(coding, "gzip")) has_gzip = true;
    if (iequals(coding, "br")) has_br = true;
  });
  const bool use_br = brotli && has_br;
  const bool use_gzip = gzip && has_gzip;
  if (use_br && use_gzip) return "br,gzip";
  if (use_br) return "br";
  if (use_gzip) return "gzip";
  return std::nullopt;
}

cache_key compute_cache_key(std::string_view distribution_id, const cache_behavior& behavior,
                            const request_view& request) {
  const cache_policy& policy = behavior.cache;
  cache_key key;
  key.distribution = std::string(distribution_id);
  key.path = std::string(request.path);
  for_each_item(request.query, '&', [&](std::string_view param) {
    if (param.empty() || !selects(policy.query_strings, param_name(param))) return;
    if (!key.query.empty()) key.query += '&';
    key.query += param;
  });

  // One field per line: no request value can contain a raw '\n' once the transport parsed it.
  key.text.reserve(64 + key.path.size());
  key.text += distribution_id;
  key.text += '\n';
  key.text += request.method == "OPTIONS" ? "OPTIONS" : "GET";  // HEAD is answered from GET's entry
  key.text += '\n';
  key.text += key.path;
  key.text += "\n?";
  key.text += key.query;
  if (policy.headers.behavior == behavior::whitelist) {
    for (const auto& name : policy.headers.items) {
      key.text += "\nh:";
      for (const char c : name) key.text += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if (const auto value = request.header(name)) {
        key.text += '=';
        key.text += *value;
      }
    }
  }
  if (policy.cookies.behavior != behavior::none) {
    key.text += "\nc:";
    for (const auto& [name, value] : viewer_cookies(request)) {
      if (!selects(policy.cookies, name)) continue;
      key.text += name;
      key.text += '=';
      key.text += value;
      key.text += ';';
    }
  }
  if (const auto encoding =
          normalize_accept_encoding(request.header("accept-encoding"), policy.enable_accept_encoding_gzip,
                                    policy.enable_accept_encoding_brotli)) {
    key.text += "\nae:";
    key.text += *encoding;
  }
  return key;
}

origin_request build_origin_request(const cache_behavior& behavior, const request_view& request) {
  const cache_policy& policy = behavior.cache;
  const origin_request_policy* extra = behavior.origin_request ? &*behavior.origin_request : nullptr;
  const bool cached_method = behavior.caches(request.method);
  const bool compression = policy.enable_accept_encoding_gzip || policy.enable_accept_encoding_brotli;
  origin_request out;
  out.method = request.method == "HEAD" && cached_method ? std::string("GET") : std::string(request.method);

  for (const auto& [name, value] : request.headers) {
    if (is_never_forwarded(name) || iequals(name, "cookie")) continue;
    if (cached_method && is_validator_or_range(name)) continue;
    if (iequals(name, "accept-encoding") && compression) continue;  // replaced by the normalised value
    const bool in_key =
        policy.headers.behavior == behavior::whitelist && contains_ignoring_case(policy.headers.items, name);
    // Authorization reaches the origin only through the cache policy (CloudFront refuses it in
    // origin request policies).
    const bool by_policy =
        extra != nullptr && !iequals(name, "authorization") && origin_policy_selects_header(*extra, name);
    if (in_key || by_policy) out.headers.emplace_back(name, value);
  }
  // With compression enabled the origin gets the normalised value, or "identity" when the viewer
  // accepts none of the enabled codings; a viewer without the header sends none on.
  if (const auto viewer_encoding = request.header("accept-encoding"); compression && viewer_encoding) {
    const auto encoding = normalize_accept_encoding(viewer_encoding, policy.enable_accept_encoding_gzip,
                                                    policy.enable_accept_encoding_brotli);
    out.headers.emplace_back("Accept-Encoding", encoding ? *encoding : std::string("identity"));
  }

  std::string cookies;
  for (const auto& [name, value] : viewer_cookies(request)) {
    if (!selects(policy.cookies, name) && !(extra != nullptr && selects(extra->cookies, name))) continue;
    if (!cookies.empty()) cookies += "; ";
    cookies += name;
    cookies += '=';
    cookies += value;
  }
  if (!cookies.empty()) out.headers.emplace_back("Cookie", std::move(cookies));

  for_each_item(request.query, '&', [&](std::string_view param) {
    if (param.empty()) return;
    const std::string_view name = param_name(param);
    const bool in_key = selects(policy.query_strings, name);
    bool by_policy = extra != nullptr && selects(extra->query_strings, name);
    if (by_policy && !in_key && extra->drop_s3_response_overrides && is_s3_response_override(name))
      by_policy = false;
    if (!in_key && !by_policy) return;
    if (!out.query.empty()) out.query += '&';
    out.query += param;
  });
  return out;
}

}  // namespace s3cors::edge
