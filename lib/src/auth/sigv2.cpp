#include "s3cors/auth/sigv2.hpp"

#include "auth/request_target.hpp"
#include "auth/signature_errors.hpp"
#include "detail/parse_text.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/date.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>
#include <vector>

// The rules and messages follow Amazon S3: the S3 developer guide's "Signing and authenticating
// REST requests" (StringToSign, CanonicalizedResource, CanonicalizedAmzHeaders, the 15-minute
// window, query-string authentication) and S3 answers quoted in public bug reports and in
// ceph/s3-tests (the auth_aws2 cases).
namespace s3cors::auth {
namespace {

using s3::error;
using s3::error_detail;
using namespace std::chrono;

/// The sub-resources, sorted for binary search: S3's documented list plus what botocore's
/// HmacV1Auth signs (the SDK that still sends SigV2; a name one side signs and the other does
/// not breaks the signature).
constexpr std::array<std::string_view, 35> subresources = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};
static_assert(std::is_sorted(subresources.begin(), subresources.end()));

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// One query parameter as sent: has_value tells "acl" from "acl=".
struct raw_parameter {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

/// Calls visit(parameter) for each non-empty '&'-separated parameter of a raw query.
template <class Visit>
void for_each_parameter(std::string_view query, Visit&& visit) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      visit(raw_parameter{part, {}, false});
    } else {
      visit(raw_parameter{part.substr(0, eq), part.substr(eq + 1), true});
    }
  }
}

/// The decoded value of the first parameter with that exact (decoded) name.
std::optional<std::string> find_parameter(std::string_view query, std::string_view name) {
  std::optional<std::string> found;
  for_each_parameter(query, [&](const raw_parameter& p) {
    if (found) return;
    if (p.name == name || (needs_decoding(p.name, false) && percent_decode(p.name, false) == name)) {
      found = percent_decode(p.value, false);
    }
  });
  return found;
}

bool starts_with_amz(std::string_view name) noexcept {
  return name.size() >= 6 && iequals(name.substr(0, 6), "x-amz-");
}

/// "2007-03-29T03:40:20Z": the form of S3's Expires, ServerTime fields.
std::string format_server_time(sys_seconds t) {
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

/// Looks the key up and compares the signatures.
result<verified_identity, error_detail> check_signature(const request& req, const credential_set& keys,
                                                        std::string_view access_key_id, std::string_view date,
                                                        std::string_view virtual_bucket, bool presigned,
                                                        std::string_view provided) {
  const credential* key = keys.find(access_key_id);
  if (key == nullptr) return unknown_key(access_key_id);
  const std::string sts = sigv2_string_to_sign(req, date, virtual_bucket, presigned);
  const std::string expected = sigv2_signature(key->secret_access_key, sts);
  if (!hash::constant_time_equals(expected, provided))
    return signature_mismatch(access_key_id, sts, provided);
  verified_identity identity;
  identity.access_key_id = std::string(access_key_id);
  identity.presigned = presigned;
  identity.version = signature_version::v2;
  identity.type = presigned ? auth_type::query : auth_type::header;
  identity.payload = payload_kind::unsigned_payload;  // SigV2 signs Content-MD5, not the body
  return identity;
}

}  // namespace

bool is_sigv2_subresource(std::string_view name) noexcept {
  return std::binary_search(subresources.begin(), subresources.end(), name);
}

std::string sigv2_canonical_resource(std::string_view raw_target, std::string_view virtual_bucket) {
  const auto [path, query] = split_target(raw_target);
  std::string out;
  out.reserve(1 + virtual_bucket.size() + path.size() + 16);
  if (!virtual_bucket.empty()) out.append(1, '/').append(virtual_bucket);
  out += path.empty() ? std::string_view("/") : path;
  // A path-style request for the bucket itself ("/bucket", no key) is signed as "/bucket/", as
  // the virtual-hosted form "/" gives "/bucket/" (SDKs sign it so whether or not they send the
  // slash).
  if (virtual_bucket.empty() && path.size() > 1 && path.find('/', 1) == std::string_view::npos) out += '/';
  if (query.empty()) return out;
  std::vector<std::pair<std::string, std::string>> kept;  // name, "" or "=value"
  for_each_parameter(query, [&](const raw_parameter& p) {
    // Sub-resource names are plain ASCII: a name with escapes is none.
    if (!is_sigv2_subresource(p.name)) return;
    kept.emplace_back(std::string(p.name),
                      p.has_value ? "=" + percent_decode(p.value, false) : std::string());
  });
  if (kept.empty()) return out;
  std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out += '?';
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i != 0) out += '&';
    out.append(kept[i].first).append(kept[i].second);
  }
  return out;
}

std::string sigv2_canonical_amz_headers(const request& req, bool presigned) {
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase name, joined values
  const auto add = [&](std::string_view name, std::string_view value) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
    const std::string_view trimmed = detail::trim_ows(value);
    for (auto& [existing, values] : headers) {
      if (existing == lower) {
        values.append(1, ',').append(trimmed);
        return;
      }
    }
    headers.emplace_back(std::move(lower), std::string(trimmed));
  };
  std::size_t from_query = 0;
  if (presigned) {
    for_each_parameter(split_target(req.target).query, [&](const raw_parameter& p) {
      const std::string name = percent_decode(p.name, false);
      if (starts_with_amz(name)) add(name, percent_decode(p.value, false));
    });
    from_query = headers.size();
  }
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  for (const auto& field : req.headers.fields()) {
    const auto& name = field.first;
    if (!starts_with_amz(name)) continue;
    const bool in_query =
        std::any_of(headers.begin(), headers.begin() + static_cast<std::ptrdiff_t>(from_query),
                    [&](const auto& h) { return iequals(h.first, name); });
    if (!in_query) add(name, field.second);
  }
  std::sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [name, value] : headers) out.append(name).append(1, ':').append(value).append(1, '\n');
  return out;
}

std::string sigv2_string_to_sign(const request& req, std::string_view date, std::string_view virtual_bucket,
                                 bool presigned) {
  const auto header = [&](std::string_view name) {
    return detail::trim_ows(req.headers.find(name).value_or(""));
  };
  std::string out;
  out.reserve(128 + req.target.size());
  out += req.method_name.empty() ? to_string(req.verb) : std::string_view(req.method_name);
  out.append(1, '\n').append(header("Content-MD5")).append(1, '\n');
  out.append(header("Content-Type")).append(1, '\n');
  out.append(date).append(1, '\n');
  out += sigv2_canonical_amz_headers(req, presigned);
  out += sigv2_canonical_resource(req.target, virtual_bucket);
  return out;
}

std::string sigv2_signature(std::string_view secret, std::string_view text) {
  return hash::base64_encode(hash::hmac_sha1(secret, text));
}

std::optional<sys_seconds> parse_sigv2_date(std::string_view text) {
  text = detail::trim_ows(text);
  if (auto parsed = parse_http_date(text)) return parsed;
  // "Tue, 27 Mar 2007 19:36:42 +0000": IMF-fixdate with a numeric zone, as in AWS's examples.
  if (text.size() < 6) return std::nullopt;
  const std::string_view zone = text.substr(text.size() - 5);
  if ((zone[0] != '+' && zone[0] != '-') || text[text.size() - 6] != ' ') return std::nullopt;
  int hhmm = 0;
  const auto [end, ec] = std::from_chars(zone.data() + 1, zone.data() + zone.size(), hhmm);
  if (ec != std::errc{} || end != zone.data() + zone.size() || hhmm % 100 > 59) return std::nullopt;
  const auto local = parse_http_date(std::string(text.substr(0, text.size() - 5)) + "GMT");
  if (!local) return std::nullopt;
  const seconds offset = hours(hhmm / 100) + minutes(hhmm % 100);
  return zone[0] == '+' ? *local - offset : *local + offset;
}

result<verified_identity, error_detail> verify_sigv2_header(const request& req, std::string_view value,
                                                            const credential_set& keys, sys_seconds now,
                                                            std::string_view virtual_bucket) {
  // "AWS AKID:signature", exactly one space (S3 answers "AWS HAHAHA" with 400 InvalidArgument).
  const std::string_view credentials = value.substr(std::min<std::size_t>(4, value.size()));
  const auto colon = credentials.find(':');
  if (!value.starts_with("AWS ") || colon == std::string_view::npos || colon == 0 ||
      credentials.find(' ') != std::string_view::npos) {
    return error_detail(error::invalid_argument,
                        "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
        .with("ArgumentName", "Authorization")
        .with("ArgumentValue", std::string(value));
  }
  const std::string_view access_key_id = credentials.substr(0, colon);
  const std::string_view provided = credentials.substr(colon + 1);

  // x-amz-date wins over Date, and then the Date line of the StringToSign is empty.
  const auto amz_date = req.headers.find("x-amz-date");
  const std::string_view date_text =
      detail::trim_ows(amz_date ? *amz_date : req.headers.find("Date").value_or(""));
  const auto request_time = parse_sigv2_date(date_text);
  if (!request_time) {
    return error_detail(error::access_denied,
                        "AWS authentication requires a valid Date or x-amz-date header");
  }
  auto identity = check_signature(req, keys, access_key_id, amz_date ? std::string_view() : date_text,
                                  virtual_bucket, false, provided);
  if (!identity) return identity.error();
  // As for SigV4, S3 checks the clock after the key and the signature.
  if (abs(now - *request_time) > max_clock_skew) {
    return error_detail(error::request_time_too_skewed)
        .with("RequestTime", std::string(date_text))
        .with("ServerTime", format_server_time(now))
        .with("MaxAllowedSkewMilliseconds",
              std::to_string(duration_cast<milliseconds>(max_clock_skew).count()));
  }
  return identity;
}

result<verified_identity, error_detail> verify_sigv2_query(const request& req, const credential_set& keys,
                                                           sys_seconds now, std::string_view virtual_bucket) {
  const std::string_view query = split_target(req.target).query;
  const auto access_key_id = find_parameter(query, "AWSAccessKeyId");
  const auto expires_text = find_parameter(query, "Expires");
  auto provided = find_parameter(query, "Signature");
  if (!access_key_id || !expires_text || !provided) {
    return error_detail(error::access_denied,
                        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
                        "parameters");
  }
  std::int64_t expires = 0;
  const auto [end, ec] =
      std::from_chars(expires_text->data(), expires_text->data() + expires_text->size(), expires);
  if (expires_text->empty() || ec != std::errc{} || end != expires_text->data() + expires_text->size()) {
    return error_detail(error::access_denied,
                        "Invalid date (should be seconds since epoch): " + *expires_text);
  }
  // A '+' left unescaped in the URL arrives as a space: base64 has no spaces, so put it back.
  std::replace(provided->begin(), provided->end(), ' ', '+');
  auto identity = check_signature(req, keys, *access_key_id, *expires_text, virtual_bucket, true, *provided);
  if (!identity) return identity.error();
  const sys_seconds expiry{seconds(expires)};
  if (now > expiry) {
    return error_detail(error::access_denied, "Request has expired")
        .with("Expires", format_server_time(expiry))
        .with("ServerTime", format_server_time(now));
  }
  return identity;
}

void sign_request_v2(request& req, const credential& key, sys_seconds now, std::string_view virtual_bucket) {
  req.headers.remove("Authorization");
  req.headers.set("Date", format_http_date(now));
  const std::string date = req.headers.contains("x-amz-date") ? std::string() : format_http_date(now);
  const std::string sts = sigv2_string_to_sign(req, date, virtual_bucket, false);
  req.headers.add("Authorization",
                  "AWS " + key.access_key_id + ':' + sigv2_signature(key.secret_access_key, sts));
}

void presign_request_v2(request& req, const credential& key, sys_seconds expires,
                        std::string_view virtual_bucket) {
  const std::string expires_text = std::to_string(expires.time_since_epoch().count());
  const std::string sts = sigv2_string_to_sign(req, expires_text, virtual_bucket, true);
  if (req.target.find('?') == std::string::npos) {
    req.target += '?';
  } else if (!req.target.ends_with('?') && !req.target.ends_with('&')) {
    req.target += '&';
  }
  req.target += "AWSAccessKeyId=" + uri_encode(key.access_key_id, false) +
                "&Signature=" + uri_encode(sigv2_signature(key.secret_access_key, sts), false) +
                "&Expires=" + expires_text;
}

}  // namespace s3cors::auth
