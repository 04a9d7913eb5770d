#include "s3cors/auth/sigv4.hpp"

#include "auth/request_target.hpp"
#include "auth/signature_errors.hpp"
#include "detail/parse_text.hpp"
#include "s3cors/auth/sigv2.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/s3/route.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

// Messages and extra fields follow what Amazon S3 sends. Sources: the S3 API reference ("Error
// responses", "Authenticating Requests (AWS Signature Version 4)") and S3 responses quoted in
// public bug reports (aws-sdk-php#1333, minio#2638, versitygw#1514, ex_aws#537, aws-cli#5464,
// soto#374, among others).
namespace s3cors::auth {
namespace {

using s3::error;
using s3::error_detail;
using namespace std::chrono;

constexpr std::string_view empty_sha256_hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
constexpr std::string_view streaming_signed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view streaming_signed_trailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::string_view streaming_unsigned_trailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr std::string_view scope_terminal = "aws4_request";
constexpr std::string_view service_name = "s3";

constexpr std::string_view header_malformed_prefix = "The authorization header is malformed; ";
constexpr std::string_view credential_parameter_prefix = "Error parsing the X-Amz-Credential parameter; ";

// ---- Small text helpers --------------------------------------------------------------------

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

void append_lowercase(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out.append(text);
  for (std::size_t i = start; i < out.size(); ++i) out[i] = ascii_lower(out[i]);
}

std::string lowercase(std::string_view text) {
  std::string out;
  append_lowercase(out, text);
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

constexpr bool is_hex_digit(char c) noexcept {
  return hex_digit(c) >= 0;
}

bool is_sha256_hex(std::string_view text) noexcept {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) { return is_hex_digit(c); });
}

/// Decodes 64 hex digits of either case into digest; false (digest unspecified) otherwise.
bool decode_hex_digest(std::string_view hex, hash::digest256& digest) noexcept {
  if (hex.size() != 2 * digest.size()) return false;
  bool valid = true;
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hex_digit(hex[2 * i]);
    const int low = hex_digit(hex[2 * i + 1]);
    valid = valid && high >= 0 && low >= 0;
    digest[i] = static_cast<char>(high * 16 + low);
  }
  return valid;
}

/// AWS's unreserved bytes, A-Z a-z 0-9 - . _ ~, as a table: every byte of every signed name,
/// value and path goes through it.
constexpr std::array<bool, 256> unreserved_bytes = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                         c == '~';
  }
  return table;
}();

inline bool is_unreserved(char c, bool keep_slash) noexcept {
  return unreserved_bytes[static_cast<unsigned char>(c)] || (keep_slash && c == '/');
}

/// Trims spaces and tabs at both ends and collapses every inner run of them into one space.
void append_collapsed(std::string& out, std::string_view value) {
  value = detail::trim_ows(value);
  std::size_t copied = 0;  // where the text not yet appended starts
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!detail::is_ows(value[i])) continue;
    out.append(value.substr(copied, i - copied)).append(1, ' ');
    while (detail::is_ows(value[i + 1])) ++i;  // trimmed: a run never ends the value
    copied = i + 1;
  }
  out.append(value.substr(copied));
}

/// Calls visit(part) for each part of text between separators, empty parts included, until
/// visit returns false.
template <class Visit>
void for_each_part(std::string_view text, char separator, Visit&& visit) {
  for (;;) {
    const auto next = text.find(separator);
    if (!visit(text.substr(0, next)) || next == std::string_view::npos) return;
    text.remove_prefix(next + 1);
  }
}

/// Calls visit(name) for each non-empty name of a SignedHeaders list ("host;x-amz-date"), as sent.
template <class Visit>
void for_each_signed_header(std::string_view list, Visit&& visit) {
  for_each_part(list, ';', [&](std::string_view name) {
    if (!name.empty()) visit(name);
    return true;
  });
}

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// ---- Request target -------------------------------------------------------------------------
// split_target and the percent decoding are SigV2's too: auth/request_target.hpp.

/// How a query name or value is written, from one scan of it as sent.
struct query_text_form {
  bool escaped = false;   ///< holds '%' or '+': decoding changes it
  bool canonical = true;  ///< already what uri_encode of its decoded bytes gives
};

constexpr bool is_uppercase_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/// Where a query name or value that starts at `at` ends (at the next '&', or for a name at the
/// next '=' too), and its form, in one scan.
struct scanned_query_text {
  std::size_t end;
  query_text_form form;
};

scanned_query_text scan_query_text(std::string_view query, std::size_t at, bool name) noexcept {
  query_text_form form;
  std::size_t i = at;
  for (; i < query.size(); ++i) {
    const char c = query[i];
    if (is_unreserved(c, false)) continue;
    if (c == '&' || (name && c == '=')) break;
    if (c == '%' || c == '+') form.escaped = true;
    // "%XX" in uppercase stays as it is, unless it escapes a byte that uri_encode keeps; '+' is
    // a space, which encodes as "%20".
    if (c == '%' && i + 2 < query.size() && is_uppercase_hex_digit(query[i + 1]) &&
        is_uppercase_hex_digit(query[i + 2]) &&
        !is_unreserved(static_cast<char>(hex_digit(query[i + 1]) * 16 + hex_digit(query[i + 2])), false)) {
      i += 2;
      continue;
    }
    form.canonical = false;
  }
  return {i, form};
}

struct query_parameter {
  std::string_view name;  ///< decoded
  std::string_view value;
  std::string_view raw_name;  ///< as sent
  std::string_view raw_value;
  query_text_form name_form;
  query_text_form value_form;
};

/// A raw query string as decoded parameters. The views point into the raw query where nothing
/// needed decoding, else into storage_, which is reserved up front so that it never moves.
/// Each parameter keeps its text as sent too: SDKs send it in canonical form, which the
/// canonical query then copies instead of encoding the decoded bytes again.
class parsed_query {
 public:
  explicit parsed_query(std::string_view raw) {
    if (!raw.empty()) parameters_.reserve(8);  // a presigned URL's six, and room
    std::size_t escaped_bytes = 0;
    for (std::size_t at = 0; at < raw.size();) {
      query_parameter parameter;
      const scanned_query_text name = scan_query_text(raw, at, true);
      parameter.raw_name = parameter.name = raw.substr(at, name.end - at);
      parameter.name_form = name.form;
      std::size_t end = name.end;
      if (end < raw.size() && raw[end] == '=') {
        const scanned_query_text value = scan_query_text(raw, end + 1, false);
        parameter.raw_value = parameter.value = raw.substr(end + 1, value.end - end - 1);
        parameter.value_form = value.form;
        end = value.end;
      }
      if (end > at) {  // "a&&b" holds no empty parameter
        if (parameter.name_form.escaped) escaped_bytes += parameter.raw_name.size();
        if (parameter.value_form.escaped) escaped_bytes += parameter.raw_value.size();
        parameters_.push_back(parameter);
      }
      at = end + 1;
    }
    if (escaped_bytes == 0) return;
    storage_.reserve(escaped_bytes);  // decoding never lengthens
    const auto decode = [&](std::string_view text) {
      const std::size_t start = storage_.size();
      append_percent_decoded(storage_, text, true);
      return std::string_view(storage_).substr(start);
    };
    for (auto& parameter : parameters_) {
      if (parameter.name_form.escaped) parameter.name = decode(parameter.raw_name);
      if (parameter.value_form.escaped) parameter.value = decode(parameter.raw_value);
    }
  }
  parsed_query(const parsed_query&) = delete;
  parsed_query& operator=(const parsed_query&) = delete;

  [[nodiscard]] const std::vector<query_parameter>& parameters() const noexcept { return parameters_; }

 private:
  std::string storage_;
  std::vector<query_parameter> parameters_;
};

/// The query parameters that authenticate a request, gathered in one pass: each the first of
/// its name, compared without regard to letter case as S3 does.
struct auth_parameters {
  std::optional<std::string_view> algorithm;
  std::optional<std::string_view> credential;
  std::optional<std::string_view> signature;
  std::optional<std::string_view> date;
  std::optional<std::string_view> signed_headers;
  std::optional<std::string_view> expires;
  std::optional<std::string_view> content_sha256;
  bool version_two_access_key = false;  ///< AWSAccessKeyId: a SigV2 presigned URL
  bool version_two_signature = false;   ///< Signature: likewise

  [[nodiscard]] bool version_two() const noexcept { return version_two_access_key || version_two_signature; }

  [[nodiscard]] bool presigned() const noexcept {
    return algorithm.has_value() || signature.has_value() || credential.has_value();
  }
};

auth_parameters find_auth_parameters(const parsed_query& query) noexcept {
  constexpr std::string_view prefix = "X-Amz-";
  auth_parameters found;
  for (const query_parameter& parameter : query.parameters()) {
    const std::string_view name = parameter.name;
    if (iequals(name, "AWSAccessKeyId")) found.version_two_access_key = true;
    if (name == "Signature") found.version_two_signature = true;
    if (name.size() <= prefix.size() || !iequals(name.substr(0, prefix.size()), prefix)) continue;
    const std::string_view rest = name.substr(prefix.size());
    std::optional<std::string_view>* slot = iequals(rest, "Algorithm")        ? &found.algorithm
                                            : iequals(rest, "Credential")     ? &found.credential
                                            : iequals(rest, "Signature")      ? &found.signature
                                            : iequals(rest, "Date")           ? &found.date
                                            : iequals(rest, "SignedHeaders")  ? &found.signed_headers
                                            : iequals(rest, "Expires")        ? &found.expires
                                            : iequals(rest, "Content-Sha256") ? &found.content_sha256
                                                                              : nullptr;
    if (slot != nullptr && !slot->has_value()) *slot = parameter.value;
  }
  return found;
}

// ---- Time -----------------------------------------------------------------------------------

/// width decimal digits of text at `at`, or -1.
int parse_digits(std::string_view text, std::size_t at, std::size_t width) noexcept {
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

/// "yyyyMMdd" as a calendar day; nullopt when malformed or not a date.
std::optional<sys_days> parse_yyyymmdd(std::string_view text) noexcept {
  if (text.size() != 8) return std::nullopt;
  const int y = parse_digits(text, 0, 4);
  const int m = parse_digits(text, 4, 2);
  const int d = parse_digits(text, 6, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  const year_month_day date{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date};
}

/// "2013-05-24T00:00:00Z": the form of S3's ServerTime and Expires fields.
std::string format_server_time(sys_seconds t) {
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{t - day};
  std::string out;
  const auto two = [&](long long value) {
    out += static_cast<char>('0' + value / 10 % 10);
    out += static_cast<char>('0' + value % 10);
  };
  const int y = static_cast<int>(date.year());
  out += std::to_string(y);
  out += '-';
  two(static_cast<unsigned>(date.month()));
  out += '-';
  two(static_cast<unsigned>(date.day()));
  out += 'T';
  two(time.hours().count());
  out += ':';
  two(time.minutes().count());
  out += ':';
  two(time.seconds().count());
  out += 'Z';
  return out;
}

// ---- Errors ---------------------------------------------------------------------------------

error_detail header_malformed(std::string_view detail) {
  return error_detail(error::authorization_header_malformed,
                      std::string(header_malformed_prefix).append(detail));
}

error_detail query_error(std::string message) {
  return error_detail(error::authorization_query_parameters_error, std::move(message));
}

error_detail version_two() {
  return error_detail(error::invalid_request,
                      "The authorization mechanism you have provided is not supported. Please use "
                      "AWS4-HMAC-SHA256.");
}

error_detail no_date() {
  return error_detail(error::access_denied, "AWS authentication requires a valid Date or x-amz-date header");
}

error_detail invalid_payload_hash(std::string_view name, std::string_view value) {
  return error_detail(error::invalid_argument,
                      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                      "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
                      "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
      .with("ArgumentName", std::string(name))
      .with("ArgumentValue", std::string(value));
}

// ---- Credential scope -----------------------------------------------------------------------

/// Views into the credential text, which outlives the verification.
struct credential_scope {
  std::string_view access_key_id;
  std::string_view date;  ///< yyyyMMdd
  std::string_view region;
  std::string_view scope;  ///< date/region/s3/aws4_request
};

/// Parses "AKID/yyyyMMdd/region/s3/aws4_request"; AuthorizationHeaderMalformed or, presigned,
/// AuthorizationQueryParametersError otherwise.
result<credential_scope, error_detail> parse_credential(std::string_view text, bool presigned) {
  const auto fail = [&](std::string_view detail) {
    return presigned ? query_error(std::string(credential_parameter_prefix).append(detail))
                     : header_malformed(detail);
  };
  std::array<std::string_view, 5> parts;
  std::size_t count = 0;
  bool well_formed = true;
  for_each_part(text, '/', [&](std::string_view part) {
    well_formed = well_formed && count < parts.size() && !part.empty();
    if (well_formed) parts[count++] = part;
    return well_formed;
  });
  if (!well_formed || count != parts.size()) {
    return fail(
        "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  const std::string_view date = parts[1];
  if (!parse_yyyymmdd(date)) {
    return fail("incorrect date format \"" + std::string(date) +
                "\". This date in the credential must be in the format \"yyyyMMdd\".");
  }
  // Any region is accepted: s3cors serves local development and has no region of its own.
  if (parts[3] != service_name)
    return fail("incorrect service \"" + std::string(parts[3]) + "\". This endpoint belongs to \"s3\".");
  if (parts[4] != scope_terminal) {
    return fail("incorrect terminal \"" + std::string(parts[4]) + "\". This endpoint uses \"aws4_request\".");
  }
  return credential_scope{parts[0], date, parts[2], text.substr(parts[0].size() + 1)};
}

std::string date_mismatch(std::string_view scope_date, std::string_view amz_date) {
  return "Invalid credential date \"" + std::string(scope_date) +
         "\". This date is not the same as X-Amz-Date: \"" + std::string(amz_date.substr(0, 8)) + "\".";
}

// ---- Payload --------------------------------------------------------------------------------

std::optional<payload_kind> classify_payload(std::string_view value) {
  if (value == unsigned_payload) return payload_kind::unsigned_payload;
  if (value == streaming_signed) return payload_kind::streaming_signed;
  if (value == streaming_signed_trailer) return payload_kind::streaming_signed_trailer;
  if (value == streaming_unsigned_trailer) return payload_kind::streaming_unsigned_trailer;
  if (is_sha256_hex(value)) return payload_kind::signed_hex;
  return std::nullopt;
}

// ---- The parts both mechanisms share --------------------------------------------------------

/// AccessDenied when host or a present x-amz-* header is not signed. x-amz-content-sha256 may
/// stay unsigned: its value is the canonical request's last line anyway.
std::optional<error_detail> check_signed_headers(const request& req, std::string_view signed_headers) {
  const auto is_signed = [&](std::string_view name) {
    bool found = false;
    for_each_part(signed_headers, ';', [&](std::string_view s) {
      found = iequals(s, name);
      return !found;  // stop at the first match
    });
    return found;
  };
  std::vector<std::string> missing;
  if (!is_signed("host")) missing.emplace_back("host");
  for (const auto& [name, value] : req.headers.fields()) {
    if (!starts_with_ignoring_case(name, "x-amz-") || iequals(name, "x-amz-content-sha256") ||
        is_signed(name))
      continue;
    std::string lowered = lowercase(name);
    if (std::find(missing.begin(), missing.end(), lowered) == missing.end())
      missing.push_back(std::move(lowered));
  }
  if (missing.empty()) return std::nullopt;
  std::string list;
  for (const auto& name : missing) list.append(list.empty() ? "" : ", ").append(name);
  return error_detail(error::access_denied, "There were headers present in the request which were not signed")
      .with("HeadersNotSigned", std::move(list));
}

// Defined with the public canonicalisation below. signed_headers is the SignedHeaders list as
// sent; query is the request's query, parsed.
void append_canonical_request(std::string& out, const request& req, std::string_view signed_headers,
                              std::string_view payload_hash, bool presigned, const parsed_query& query);
void append_string_to_sign(std::string& out, std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

/// What the signature covers, as views into the request.
struct signature_check {
  std::string_view amz_date;
  credential_scope scope;
  std::string_view signed_headers;  ///< the SignedHeaders list as sent
  std::string_view payload_hash;
  payload_kind payload = payload_kind::unsigned_payload;  ///< what payload_hash says
  std::string_view provided_signature;
  bool presigned = false;
  const parsed_query* query = nullptr;
};

/// Looks the key up and compares signatures; the identity on success.
result<verified_identity, error_detail> check_signature(const request& req, const credential_set& keys,
                                                        const signature_check& check) {
  const credential* key = keys.find(check.scope.access_key_id);
  if (key == nullptr) return unknown_key(check.scope.access_key_id);
  // Per-thread buffers: a verified request allocates for its identity only.
  thread_local std::string creq;
  thread_local std::string sts;
  creq.clear();
  append_canonical_request(creq, req, check.signed_headers, check.payload_hash, check.presigned,
                           *check.query);
  sts.clear();
  append_string_to_sign(sts, check.amz_date, check.scope.scope, creq);
  const signing_key& signing =
      cached_signing_key(key->secret_access_key, check.scope.date, check.scope.region, service_name);
  const hash::digest256 expected = signing.hmac.sign(sts);
  // The bytes the hex spells are compared, so that its letter case does not matter, as in S3.
  hash::digest256 provided{};
  const bool provided_is_hex = decode_hex_digest(check.provided_signature, provided);
  if (!hash::constant_time_equals(hash::bytes_of(provided), hash::bytes_of(expected)) || !provided_is_hex) {
    return signature_mismatch(check.scope.access_key_id, sts, check.provided_signature)
        .with("CanonicalRequest", creq)
        .with("CanonicalRequestBytes", hash::to_spaced_hex(creq));
  }
  verified_identity identity;
  identity.access_key_id = check.scope.access_key_id;
  identity.presigned = check.presigned;
  identity.type = check.presigned ? auth_type::query : auth_type::header;
  identity.payload = check.payload;
  // classify_payload has seen 64 hex digits.
  if (check.payload == payload_kind::signed_hex)
    decode_hex_digest(check.payload_hash, identity.payload_sha256);
  if (check.payload == payload_kind::streaming_signed ||
      check.payload == payload_kind::streaming_signed_trailer) {
    identity.seed_signature = hash::to_hex(hash::bytes_of(expected));
    identity.signing_key = hash::bytes_of(signing.bytes);
    identity.amz_date = check.amz_date;
    identity.scope = check.scope.scope;
  }
  return identity;
}

// ---- Authorization header -------------------------------------------------------------------

result<std::optional<verified_identity>, error_detail> verify_header(const request& req,
                                                                     std::string_view value,
                                                                     const parsed_query& query,
                                                                     const credential_set& keys,
                                                                     sys_seconds now) {
  const auto space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  if (scheme != sigv4_algorithm) {
    return error_detail(error::invalid_argument, "Unsupported Authorization Type")
        .with("ArgumentName", "Authorization")
        .with("ArgumentValue", std::string(value));
  }
  std::optional<std::string_view> credential_text;
  std::optional<std::string_view> signed_text;
  std::optional<std::string_view> signature;
  const std::string_view rest =
      space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
  std::string_view malformed_component;
  for_each_part(rest, ',', [&](std::string_view raw) {
    const std::string_view component = detail::trim_ows(raw);
    if (component.empty()) return true;
    const auto equals = component.find('=');
    if (equals == std::string_view::npos) {
      malformed_component = component;
      return false;
    }
    const std::string_view name = component.substr(0, equals);
    const std::string_view component_value = component.substr(equals + 1);
    if (name == "Credential") {
      credential_text = component_value;
    } else if (name == "SignedHeaders") {
      signed_text = component_value;
    } else if (name == "Signature") {
      signature = component_value;
    }
    return true;
  });
  if (!malformed_component.empty()) {
    return header_malformed("the authorization component \"" + std::string(malformed_component) +
                            "\" is malformed.");
  }
  if (!credential_text || !signed_text || !signature) {
    return header_malformed(
        "the authorization header requires three components: Credential, SignedHeaders, and Signature.");
  }
  auto scope = parse_credential(*credential_text, false);
  if (!scope) return scope.error();

  const auto content_sha = req.headers.find("x-amz-content-sha256");
  if (!content_sha) {
    return error_detail(error::invalid_request,
                        "Missing required header for this request: x-amz-content-sha256");
  }
  const auto kind = classify_payload(*content_sha);
  if (!kind) return invalid_payload_hash("x-amz-content-sha256", *content_sha);

  // x-amz-date wins over Date; an x-amz-date that does not parse is not replaced by Date.
  std::optional<sys_seconds> request_time;
  std::string_view request_time_text;
  bool sigv4_form = false;
  if (const auto amz = req.headers.find("x-amz-date")) {
    request_time_text = detail::trim_ows(*amz);
    request_time = parse_amz_date(request_time_text);
    sigv4_form = true;
  } else if (const auto date = req.headers.find("Date")) {
    request_time_text = detail::trim_ows(*date);
    request_time = parse_http_date(request_time_text);
  }
  if (!request_time) return no_date();
  // A valid x-amz-date is already in the form the string to sign needs, except for years
  // before 1000, which format_amz_date writes without leading zeros.
  std::string formatted_date;
  std::string_view amz_date = request_time_text;
  if (!sigv4_form || request_time_text.starts_with('0')) {
    formatted_date = format_amz_date(*request_time);
    amz_date = formatted_date;
  }
  if (amz_date.substr(0, 8) != scope->date) return header_malformed(date_mismatch(scope->date, amz_date));

  if (auto unsigned_headers = check_signed_headers(req, *signed_text)) return *unsigned_headers;

  signature_check check;
  check.amz_date = amz_date;
  check.scope = *scope;
  check.signed_headers = *signed_text;
  check.payload_hash = *content_sha;
  check.payload = *kind;
  check.provided_signature = *signature;
  check.query = &query;
  auto identity = check_signature(req, keys, check);
  if (!identity) return identity.error();

  // S3 checks the clock after the key and the signature.
  if (abs(now - *request_time) > max_clock_skew) {
    return error_detail(error::request_time_too_skewed)
        .with("RequestTime", std::string(request_time_text))
        .with("ServerTime", format_server_time(now))
        .with("MaxAllowedSkewMilliseconds",
              std::to_string(duration_cast<milliseconds>(max_clock_skew).count()));
  }
  return std::optional<verified_identity>(std::move(*identity));
}

// ---- Presigned URL --------------------------------------------------------------------------

/// X-Amz-Expires as S3 reads it: a (signed) decimal integer.
result<std::int64_t, error_detail> parse_expires(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    return query_error("X-Amz-Expires should be a number");
  }
  if (value < 0) return query_error("X-Amz-Expires must be non-negative");
  if (value > max_presigned_expires) {
    return query_error(
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less "
        "than 604800 seconds");
  }
  return value;
}

result<std::optional<verified_identity>, error_detail> verify_presigned(const request& req,
                                                                        const parsed_query& query,
                                                                        const auth_parameters& auth,
                                                                        const credential_set& keys,
                                                                        sys_seconds now) {
  const auto& algorithm = auth.algorithm;
  const auto& credential_text = auth.credential;
  const auto& signature = auth.signature;
  const auto& date_text = auth.date;
  const auto& signed_text = auth.signed_headers;
  const auto& expires_text = auth.expires;
  if (!algorithm || !credential_text || !signature || !date_text || !signed_text || !expires_text) {
    return query_error(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  if (*algorithm != sigv4_algorithm) {
    return query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\"");
  }
  auto scope = parse_credential(*credential_text, true);
  if (!scope) return scope.error();
  const auto request_time = parse_amz_date(*date_text);
  if (!request_time)
    return query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (date_text->substr(0, 8) != scope->date) return query_error(date_mismatch(scope->date, *date_text));
  const auto expires = parse_expires(*expires_text);
  if (!expires) return expires.error();

  // SDKs may sign the payload hash as a parameter; otherwise a presigned URL's payload is unsigned.
  const std::string_view payload_hash = auth.content_sha256.value_or(unsigned_payload);
  const auto kind = classify_payload(payload_hash);
  if (!kind) return invalid_payload_hash("X-Amz-Content-Sha256", payload_hash);

  if (auto unsigned_headers = check_signed_headers(req, *signed_text)) return *unsigned_headers;

  signature_check check;
  check.amz_date = *date_text;
  check.scope = *scope;
  check.signed_headers = *signed_text;
  check.payload_hash = payload_hash;
  check.payload = *kind;
  check.provided_signature = *signature;
  check.presigned = true;
  check.query = &query;
  auto identity = check_signature(req, keys, check);
  if (!identity) return identity.error();

  // The URL is valid from X-Amz-Date (less the allowed clock skew) to X-Amz-Date + X-Amz-Expires.
  // X-Amz-Expires=0 is never valid.
  const sys_seconds expiry = *request_time + seconds(*expires);
  if (now < *request_time - max_clock_skew) {
    // S3 shows X-Amz-Date here in milliseconds since the epoch.
    return error_detail(error::access_denied, "Request is not yet valid")
        .with("X-Amz-Date",
              std::to_string(duration_cast<milliseconds>(request_time->time_since_epoch()).count()))
        .with("Expires", format_server_time(expiry))
        .with("ServerTime", format_server_time(now));
  }
  if (*expires == 0 || now > expiry) {
    return error_detail(error::access_denied, "Request has expired")
        .with("X-Amz-Expires", std::to_string(*expires))
        .with("Expires", format_server_time(expiry))
        .with("ServerTime", format_server_time(now));
  }
  return std::optional<verified_identity>(std::move(*identity));
}

std::vector<std::string> all_header_names(const request& req) {
  std::vector<std::string> names;
  for (const auto& [name, value] : req.headers.fields()) names.push_back(lowercase(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

/// The length of the prefix of bytes that uri_encode keeps as it is.
std::size_t unreserved_prefix(std::string_view bytes, bool keep_slash) noexcept {
  std::size_t i = 0;
  while (i < bytes.size() && is_unreserved(bytes[i], keep_slash)) ++i;
  return i;
}

/// Appends uri_encode(bytes, keep_slash): at most three bytes out for each byte in.
void append_uri_encoded(std::string& out, std::string_view bytes, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  const std::size_t kept = unreserved_prefix(bytes, keep_slash);
  out.append(bytes.substr(0, kept));
  for (const char c : bytes.substr(kept)) {
    const auto b = static_cast<unsigned char>(c);
    if (is_unreserved(c, keep_slash)) {
      out += c;
    } else {
      const char escape[] = {'%', digits[b >> 4], digits[b & 15]};
      out.append(escape, sizeof escape);
    }
  }
}

void append_canonical_uri(std::string& out, std::string_view raw_path) {
  if (raw_path.empty()) {
    out += '/';
  } else if (!needs_decoding(raw_path, false)) {
    append_uri_encoded(out, raw_path, true);
  } else {
    append_uri_encoded(out, percent_decode(raw_path, false), true);
  }
}

void append_canonical_query(std::string& out, const parsed_query& query, bool presigned) {
  // Per-thread buffers; encoded is reserved for the worst case so that the views into it stay valid.
  thread_local std::vector<std::pair<std::string_view, std::string_view>> pairs;
  thread_local std::string encoded;
  pairs.clear();
  encoded.clear();
  std::size_t longest = 0;
  for (const auto& parameter : query.parameters()) {
    if (!parameter.name_form.canonical) longest += 3 * parameter.name.size();
    if (!parameter.value_form.canonical) longest += 3 * parameter.value.size();
  }
  encoded.reserve(longest);
  const auto encode = [&](std::string_view decoded, std::string_view raw, query_text_form form) {
    if (form.canonical) return raw;
    const std::size_t start = encoded.size();
    append_uri_encoded(encoded, decoded, false);
    return std::string_view(encoded).substr(start);
  };
  for (const auto& parameter : query.parameters()) {
    if (presigned && iequals(parameter.name, "X-Amz-Signature")) continue;
    pairs.emplace_back(encode(parameter.name, parameter.raw_name, parameter.name_form),
                       encode(parameter.value, parameter.raw_value, parameter.value_form));
  }
  // SDKs send the parameters sorted already.
  if (!std::is_sorted(pairs.begin(), pairs.end())) std::sort(pairs.begin(), pairs.end());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i != 0) out += '&';
    out.append(pairs[i].first).append(1, '=').append(pairs[i].second);
  }
}

void append_canonical_request(std::string& out, const request& req, std::string_view signed_headers,
                              std::string_view payload_hash, bool presigned, const parsed_query& query) {
  const std::string_view path = split_target(req.target).path;
  out += req.method_name.empty() ? to_string(req.verb) : std::string_view(req.method_name);
  out += '\n';
  append_canonical_uri(out, path);
  out += '\n';
  append_canonical_query(out, query, presigned);
  out += '\n';
  for_each_signed_header(signed_headers, [&](std::string_view name) {
    append_lowercase(out, name);
    out += ':';
    bool first = true;
    for (const auto& [field, value] : req.headers.fields()) {
      if (!iequals(field, name)) continue;
      if (!first) out += ',';
      first = false;
      append_collapsed(out, value);
    }
    out += '\n';
  });
  out += '\n';
  bool first = true;
  for_each_signed_header(signed_headers, [&](std::string_view name) {
    if (!first) out += ';';
    first = false;
    append_lowercase(out, name);
  });
  out += '\n';
  out += payload_hash;
}

void append_string_to_sign(std::string& out, std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  out.append(sigv4_algorithm).append(1, '\n').append(amz_date).append(1, '\n').append(scope).append(1, '\n');
  hash::append_hex(out, hash::bytes_of(hash::sha256_digest(canonical_request)));
}

}  // namespace

// ---- Public ---------------------------------------------------------------------------------

std::string uri_encode(std::string_view bytes, bool keep_slash) {
  std::string out;
  append_uri_encoded(out, bytes, keep_slash);
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  std::string out;
  append_canonical_uri(out, raw_path);
  return out;
}

std::string canonical_query_string(std::string_view raw_query, bool presigned) {
  std::string out;
  append_canonical_query(out, parsed_query(raw_query), presigned);
  return out;
}

std::string canonical_request(const request& req, const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash, bool presigned) {
  std::string out;
  out.reserve(256 + req.target.size() + 64 * signed_headers.size());
  append_canonical_request(out, req, join(signed_headers, ';'), payload_hash, presigned,
                           parsed_query(split_target(req.target).query));
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  append_string_to_sign(out, amz_date, scope, canonical_request);
  return out;
}

std::string chunk_string_to_sign_for_hash(std::string_view amz_date, std::string_view scope,
                                          std::string_view previous_signature,
                                          std::string_view chunk_sha256_hex) {
  std::string out("AWS4-HMAC-SHA256-PAYLOAD\n");
  out.append(amz_date).append("\n").append(scope).append("\n").append(previous_signature).append("\n");
  out.append(empty_sha256_hex).append("\n");
  out += chunk_sha256_hex;
  return out;
}

std::string chunk_string_to_sign(std::string_view amz_date, std::string_view scope,
                                 std::string_view previous_signature, std::string_view chunk_data) {
  return chunk_string_to_sign_for_hash(amz_date, scope, previous_signature,
                                       hash::to_hex(hash::sha256(chunk_data)));
}

std::string trailer_string_to_sign(std::string_view amz_date, std::string_view scope,
                                   std::string_view previous_signature, std::string_view canonical_trailers) {
  std::string out("AWS4-HMAC-SHA256-TRAILER\n");
  out.append(amz_date).append("\n").append(scope).append("\n").append(previous_signature).append("\n");
  out += hash::to_hex(hash::sha256(canonical_trailers));
  return out;
}

std::string hex_signature(std::string_view signing_key, std::string_view string_to_sign) {
  return hash::to_hex(hash::hmac_sha256(signing_key, string_to_sign));
}

std::string format_amz_date(sys_seconds t) {
  // "2013-05-24T00:00:00Z" without its separators.
  std::string out;
  for (const char c : format_server_time(t)) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

std::optional<sys_seconds> parse_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  const auto day = parse_yyyymmdd(text.substr(0, 8));
  const int h = parse_digits(text, 9, 2);
  const int mi = parse_digits(text, 11, 2);
  const int sec = parse_digits(text, 13, 2);
  if (!day || h < 0 || mi < 0 || sec < 0 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return *day + hours{h} + minutes{mi} + seconds{sec};
}

std::string_view to_string(signature_version version) noexcept {
  return version == signature_version::v2 ? "AWS" : sigv4_algorithm;
}

std::string_view to_string(auth_type type) noexcept {
  switch (type) {
    case auth_type::header:
      return "REST-HEADER";
    case auth_type::query:
      return "REST-QUERY-STRING";
    case auth_type::post:
      return "POST";
  }
  return "REST-HEADER";
}

result<std::optional<verified_identity>, error_detail> verify_request(const request& req,
                                                                      const credential_set& keys,
                                                                      sys_seconds now,
                                                                      const verify_options& options) {
  if (keys.empty()) return std::optional<verified_identity>();
  const auto [path, query] = split_target(req.target);
  const parsed_query parameters(query);
  const auth_parameters auth = find_auth_parameters(parameters);
  const std::string_view header = detail::trim_ows(req.headers.find("Authorization").value_or(""));
  const auto only_one = [&](std::string_view name, std::string_view value) {
    return error_detail(
               error::invalid_argument,
               "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature "
               "query string parameter or the Authorization header should be specified")
        .with("ArgumentName", std::string(name))
        .with("ArgumentValue", std::string(value));
  };
  // SigV2 names its bucket in the canonical resource even when the Host carries it.
  const auto version_two_identity = [&](result<verified_identity, error_detail> verified)
      -> result<std::optional<verified_identity>, error_detail> {
    if (!verified) return verified.error();
    return std::optional<verified_identity>(std::move(*verified));
  };
  const auto host_bucket = [&] {
    return options.routing == nullptr ? std::string() : s3::host_bucket(req, *options.routing);
  };

  if (!header.empty()) {
    if (auth.presigned() || auth.version_two()) return only_one("Authorization", header);
    if (header.starts_with("AWS ")) {
      if (!options.sigv2) return version_two();
      return version_two_identity(verify_sigv2_header(req, header, keys, now, host_bucket()));
    }
    return verify_header(req, header, parameters, keys, now);
  }
  if (auth.presigned()) {
    if (auth.version_two()) return only_one("X-Amz-Algorithm", auth.algorithm.value_or(""));
    return verify_presigned(req, parameters, auth, keys, now);
  }
  if (auth.version_two()) {
    if (!options.sigv2) return version_two();
    return version_two_identity(verify_sigv2_query(req, keys, now, host_bucket()));
  }
  return std::optional<verified_identity>();
}

std::optional<error_detail> check_payload_sha256(const verified_identity& identity, std::string_view body) {
  if (identity.payload != payload_kind::signed_hex) return std::nullopt;
  // Clients over plain HTTP sign every GET's empty body: no need to hash it.
  static const hash::digest256 empty_body_sha256 = hash::sha256_digest({});
  const hash::digest256 computed = body.empty() ? empty_body_sha256 : hash::sha256_digest(body);
  if (hash::constant_time_equals(hash::bytes_of(computed), hash::bytes_of(identity.payload_sha256)))
    return std::nullopt;
  return error_detail(error::x_amz_content_sha256_mismatch)
      .with("ClientComputedContentSHA256", hash::to_hex(hash::bytes_of(identity.payload_sha256)))
      .with("S3ComputedContentSHA256", hash::to_hex(hash::bytes_of(computed)));
}

struct chunk_signature_verifier::state {
  const verified_identity* identity = nullptr;
  bool active = false;
  bool trailer = false;
  std::string previous;  ///< the signature the next chunk's chains from
  hash::hasher chunk{hash::algorithm::sha256};
  bool saw_final = false;
};

chunk_signature_verifier::chunk_signature_verifier(const verified_identity& identity)
    : state_(std::make_unique<state>()) {
  state_->identity = &identity;
  state_->trailer = identity.payload == payload_kind::streaming_signed_trailer;
  state_->active = identity.payload == payload_kind::streaming_signed || state_->trailer;
  if (state_->active) state_->previous = identity.seed_signature;
}

chunk_signature_verifier::~chunk_signature_verifier() = default;
chunk_signature_verifier::chunk_signature_verifier(chunk_signature_verifier&&) noexcept = default;
chunk_signature_verifier& chunk_signature_verifier::operator=(chunk_signature_verifier&&) noexcept = default;

void chunk_signature_verifier::update(std::string_view chunk_bytes) {
  if (state_->active) state_->chunk.update(chunk_bytes);
}

std::optional<error_detail> chunk_signature_verifier::end_chunk(std::string_view provided_signature) {
  if (!state_->active) return std::nullopt;
  const verified_identity& identity = *state_->identity;
  const std::string digest = state_->chunk.finish();
  const std::string sts = chunk_string_to_sign_for_hash(identity.amz_date, identity.scope, state_->previous,
                                                        hash::to_hex(digest));
  std::string expected = hex_signature(identity.signing_key, sts);
  if (!hash::constant_time_equals(lowercase(provided_signature), expected)) {
    return signature_mismatch(identity.access_key_id, sts, provided_signature);
  }
  state_->saw_final = digest == hash::sha256({});
  state_->previous = std::move(expected);
  return std::nullopt;
}

std::optional<error_detail> chunk_signature_verifier::finish(const s3::aws_chunked_trailers& trailers) {
  if (!state_->active) return std::nullopt;
  const verified_identity& identity = *state_->identity;
  // The chain must end with the signed 0-size chunk.
  if (!state_->saw_final) {
    return signature_mismatch(identity.access_key_id,
                              chunk_string_to_sign(identity.amz_date, identity.scope, state_->previous, {}),
                              {});
  }
  if (!state_->trailer) return std::nullopt;
  const std::string sts =
      trailer_string_to_sign(identity.amz_date, identity.scope, state_->previous, trailers.canonical);
  const std::string provided = trailers.signature.value_or("");
  if (!hash::constant_time_equals(lowercase(provided), hex_signature(identity.signing_key, sts))) {
    return signature_mismatch(identity.access_key_id, sts, provided);
  }
  return std::nullopt;
}

std::optional<error_detail> verify_chunk_signatures(const verified_identity& identity,
                                                    const s3::decoded_body& body) {
  chunk_signature_verifier verifier(identity);
  for (const auto& chunk : body.chunks) {
    verifier.update(std::string_view(body.data).substr(chunk.offset, chunk.length));
    if (auto refused = verifier.end_chunk(chunk.signature)) return refused;
  }
  return verifier.finish(
      s3::aws_chunked_trailers{body.trailers, body.trailer_signature, body.canonical_trailers});
}

void sign_request(request& req, const credential& key, sys_seconds now, const signing_options& options) {
  const std::string amz_date = format_amz_date(now);
  const std::string date = amz_date.substr(0, 8);
  const std::string payload =
      options.payload_hash.empty() ? hash::to_hex(hash::sha256(req.body)) : options.payload_hash;
  req.headers.remove("Authorization");
  req.headers.set("x-amz-date", amz_date);
  req.headers.set("x-amz-content-sha256", payload);
  const std::vector<std::string> signed_headers = all_header_names(req);
  const std::string scope = date + '/' + options.region + "/s3/aws4_request";
  const std::string sts =
      string_to_sign(amz_date, scope, canonical_request(req, signed_headers, payload, false));
  const std::string signature =
      hex_signature(derive_signing_key(key.secret_access_key, date, options.region, "s3"), sts);
  req.headers.add("Authorization", std::string(sigv4_algorithm) + " Credential=" + key.access_key_id + '/' +
                                       scope + ", SignedHeaders=" + join(signed_headers, ';') +
                                       ", Signature=" + signature);
}

void presign_request(request& req, const credential& key, sys_seconds now, seconds expires,
                     std::string_view region) {
  const std::string amz_date = format_amz_date(now);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + '/' + std::string(region) + "/s3/aws4_request";
  const std::vector<std::string> signed_headers = all_header_names(req);
  if (req.target.find('?') == std::string::npos) {
    req.target += '?';
  } else if (!req.target.ends_with('?') && !req.target.ends_with('&')) {
    req.target += '&';
  }
  req.target += "X-Amz-Algorithm=" + std::string(sigv4_algorithm) +
                "&X-Amz-Credential=" + uri_encode(key.access_key_id + '/' + scope, false) +
                "&X-Amz-Date=" + amz_date + "&X-Amz-Expires=" + std::to_string(expires.count()) +
                "&X-Amz-SignedHeaders=" + uri_encode(join(signed_headers, ';'), false);
  const std::string sts =
      string_to_sign(amz_date, scope, canonical_request(req, signed_headers, unsigned_payload, true));
  req.target +=
      "&X-Amz-Signature=" +
      hex_signature(derive_signing_key(key.secret_access_key, date, std::string(region), "s3"), sts);
}

}  // namespace s3cors::auth
