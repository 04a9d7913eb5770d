#include "s3cors/auth/post_policy.hpp"

#include "auth/signature_errors.hpp"
#include "detail/parse_text.hpp"
#include "s3cors/auth/sigv2.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace s3cors::auth {

namespace {

using json = nlohmann::ordered_json;
using s3::error;
using s3::error_detail;

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

bool is_digits(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Digits at text[pos, pos + n) as a number; nullopt when any is not a digit.
std::optional<unsigned> digits_at(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return value;
}

std::optional<std::chrono::sys_seconds> make_time(unsigned y, unsigned mo, unsigned d, unsigned h,
                                                  unsigned mi, unsigned s) {
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(y)}, std::chrono::month{mo},
                                        std::chrono::day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s};
}

/// The policy's expiration: "2015-12-30T12:00:00.000Z", fractional seconds optional, UTC only
/// (S3 refuses an offset and a space for the T).
std::optional<std::chrono::sys_seconds> parse_expiration(std::string_view text) {
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z') {
    return std::nullopt;
  }
  const auto y = digits_at(text, 0, 4), mo = digits_at(text, 5, 2), d = digits_at(text, 8, 2);
  const auto h = digits_at(text, 11, 2), mi = digits_at(text, 14, 2), s = digits_at(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  const std::string_view rest = text.substr(19, text.size() - 20);  // between seconds and Z
  if (!rest.empty() && (rest.front() != '.' || !is_digits(rest.substr(1)))) return std::nullopt;
  return make_time(*y, *mo, *d, *h, *mi, *s);
}

/// x-amz-date: ISO 8601 basic, "20151229T000000Z".
bool is_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  const auto y = digits_at(text, 0, 4), mo = digits_at(text, 4, 2), d = digits_at(text, 6, 2);
  const auto h = digits_at(text, 9, 2), mi = digits_at(text, 11, 2), s = digits_at(text, 13, 2);
  return y && mo && d && h && mi && s && make_time(*y, *mo, *d, *h, *mi, *s).has_value();
}

bool is_credential_date(std::string_view text) {
  const auto y = digits_at(text, 0, 4), mo = digits_at(text, 4, 2), d = digits_at(text, 6, 2);
  return text.size() == 8 && y && mo && d && make_time(*y, *mo, *d, 0, 0, 0).has_value();
}

/// A JSON string or value as S3 prints it back in "Policy Condition failed".
std::string json_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A string as Python's json.dumps writes it (ASCII only, \uXXXX escapes).
std::string python_json_string(std::string_view text) {
  return json(std::string(text)).dump(-1, ' ', true, json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------------
// The form's fields as the policy sees them.

struct form_field {
  std::string lower_name;
  std::string name;  ///< as first sent
  std::string value;
};

class form_fields {
 public:
  explicit form_fields(const http::multipart_form& form) {
    // "${filename}" is recognized by all form fields, and expanded before the policy is
    // checked; only the text after the last '/' or '\' of the file name is used. A file part
    // without a filename parameter leaves the variable as it is (observed on S3).
    std::string filename;
    if (form.has_filename) {
      const std::size_t slash = form.filename.find_last_of("/\\");
      filename = slash == std::string::npos ? form.filename : form.filename.substr(slash + 1);
    }
    for (const auto& [name, raw] : form.fields) {
      std::string value = raw;
      if (form.has_filename) {
        constexpr std::string_view variable = "${filename}";
        for (std::size_t at = value.find(variable); at != std::string::npos;
             at = value.find(variable, at + filename.size())) {
          value.replace(at, variable.size(), filename);
        }
      }
      std::string lower_name = to_lower(name);
      if (auto* existing = find_mutable(lower_name)) {
        existing->value += ',';  // repeated fields: the values separated by commas
        existing->value += value;
      } else {
        fields_.push_back(form_field{std::move(lower_name), name, std::move(value)});
      }
    }
  }

  [[nodiscard]] const std::string* find(std::string_view lower_name) const noexcept {
    for (const auto& field : fields_) {
      if (field.lower_name == lower_name) return &field.value;
    }
    return nullptr;
  }
  [[nodiscard]] bool contains(std::string_view lower_name) const noexcept {
    return find(lower_name) != nullptr;
  }
  [[nodiscard]] const std::vector<form_field>& all() const noexcept { return fields_; }

 private:
  form_field* find_mutable(std::string_view lower_name) noexcept {
    for (auto& field : fields_) {
      if (field.lower_name == lower_name) return &field;
    }
    return nullptr;
  }

  std::vector<form_field> fields_;
};

// ---------------------------------------------------------------------------------------------
// Errors, as S3 words them.

error_detail missing_field(std::string_view name) {
  return error_detail{error::invalid_argument,
                      fmt::format("Bucket POST must contain a field named '{}'.  If it is specified, please "
                                  "check the order of the fields.",
                                  name)}
      .with("ArgumentName", std::string(name))
      .with("ArgumentValue", "");
}

error_detail bad_argument(std::string message, std::string_view name, std::string_view value) {
  return error_detail{error::invalid_argument, std::move(message)}
      .with("ArgumentName", std::string(name))
      .with("ArgumentValue", std::string(value));
}

error_detail invalid_policy(std::string_view what) {
  return error_detail{error::invalid_policy_document, fmt::format("Invalid Policy: {}", what)};
}

error_detail invalid_json() {
  return invalid_policy("Invalid JSON.");
}

error_detail policy_denied(std::string_view what) {
  return error_detail{error::access_denied, fmt::format("Invalid according to Policy: {}", what)};
}

// ---------------------------------------------------------------------------------------------
// The policy document.

enum class condition_kind { eq, starts_with, content_length_range };

struct condition {
  condition_kind kind = condition_kind::eq;
  std::string field;  ///< as written: "$key", or without '$' (which matches nothing)
  std::string value;  ///< eq and starts-with
  bool is_range_usable = true;
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::string rendered;  ///< ["eq", "$key", "value"], as S3 prints a failed condition
};

struct policy_document {
  std::chrono::sys_seconds expiration{};
  std::vector<condition> conditions;
};

std::string render_array(const json& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ", ";
    out += json_text(items[i]);
  }
  out += ']';
  return out;
}

/// A content-length-range bound: a non-negative integer, or a string of digits (S3 accepts
/// "5"). Other strings make the condition fail; other JSON makes the policy invalid.
result<std::optional<std::uint64_t>, error_detail> range_bound(const json& value) {
  if (value.is_number_unsigned()) return std::optional<std::uint64_t>{value.get<std::uint64_t>()};
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (is_digits(text) && text.size() <= 19) return std::optional<std::uint64_t>{std::stoull(text)};
    return std::optional<std::uint64_t>{};
  }
  return invalid_json();  // floats (observed), negative numbers, null, ...
}

result<condition, error_detail> parse_condition(const json& item) {
  condition out;
  if (item.is_object()) {
    if (item.size() != 1) {
      return invalid_policy(
          "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.");
    }
    const auto member = item.begin();
    const std::string& name = member.key();
    const json& value = member.value();
    if (value.is_null()) return invalid_json();  // observed
    if (!value.is_string()) return invalid_policy("Invalid Simple-Condition: value must be a string.");
    out.kind = condition_kind::eq;
    out.field = "$" + name;
    out.value = value.get<std::string>();
    out.rendered = fmt::format("[\"eq\", {}, {}]", json_text(json(out.field)), json_text(value));
    return out;
  }
  if (!item.is_array()) return invalid_policy("Invalid condition test: must be a List or Object.");
  if (item.empty() || !item[0].is_string()) {
    return invalid_policy("Invalid Condition: missing operation identifier.");
  }
  const auto& op = item[0].get_ref<const std::string&>();
  if (iequals(op, "eq")) {
    out.kind = condition_kind::eq;
  } else if (iequals(op, "starts-with")) {
    out.kind = condition_kind::starts_with;
  } else if (iequals(op, "content-length-range")) {
    out.kind = condition_kind::content_length_range;
  } else {
    return invalid_policy(fmt::format("Invalid Condition: unknown operation '{}'.", op));
  }
  if (item.size() != 3) return invalid_policy(fmt::format("Invalid {}: wrong number of arguments.", op));
  out.rendered = render_array(item);
  if (out.kind == condition_kind::content_length_range) {
    auto min = range_bound(item[1]);
    if (!min) return min.error();
    auto max = range_bound(item[2]);
    if (!max) return max.error();
    out.is_range_usable = min->has_value() && max->has_value();
    out.min = min->value_or(0);
    out.max = max->value_or(0);
    return out;
  }
  if (!item[1].is_string() || !item[2].is_string()) return invalid_json();
  out.field = item[1].get<std::string>();
  out.value = item[2].get<std::string>();
  return out;
}

result<policy_document, error_detail> parse_policy(std::string_view policy_base64) {
  // Line breaks and spaces (from line-wrapping base64 encoders) carry no data.
  std::string compact;
  compact.reserve(policy_base64.size());
  for (const char c : policy_base64) {
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') compact += c;
  }
  const auto text = hash::base64_decode(compact);
  if (!text) return invalid_policy("invalid Base64 encoding.");
  const json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return invalid_json();

  for (const auto& [name, value] : doc.items()) {
    if (name != "expiration" && name != "conditions") {
      return invalid_policy(fmt::format("Unexpected: '{}'", to_lower(name)));
    }
  }
  if (!doc.contains("expiration")) return invalid_policy("Policy missing expiration.");
  if (!doc.contains("conditions")) return invalid_policy("Policy missing conditions.");

  policy_document out;
  const json& expiration = doc["expiration"];
  const auto when = expiration.is_string() ? parse_expiration(expiration.get_ref<const std::string&>())
                                           : std::optional<std::chrono::sys_seconds>{};
  if (!when) {
    const std::string shown = expiration.is_string() ? expiration.get<std::string>() : json_text(expiration);
    return invalid_policy(fmt::format("Invalid 'expiration' value: '{}'", shown));
  }
  out.expiration = *when;

  const json& conditions = doc["conditions"];
  if (!conditions.is_array()) return invalid_policy("Invalid 'conditions' value: must be a List.");
  for (const auto& item : conditions) {
    auto parsed = parse_condition(item);
    if (!parsed) return parsed.error();
    out.conditions.push_back(std::move(*parsed));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/// The lowercased form field a condition names, or nullopt when it names none (no '$').
std::optional<std::string> condition_field(const condition& c) {
  if (c.kind == condition_kind::content_length_range || !c.field.starts_with('$')) return std::nullopt;
  return to_lower(std::string_view(c.field).substr(1));
}

bool starts_with_all(std::string_view value, std::string_view prefix, bool is_list) {
  if (!is_list) return value.starts_with(prefix);
  // Content-Type values with commas are lists: every member must match.
  while (true) {
    const std::size_t comma = value.find(',');
    if (!detail::trim_ows(value.substr(0, comma)).starts_with(prefix)) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

/// A file's size against one content-length-range: too large as soon as it exceeds the
/// maximum, too small only once it is final.
std::optional<error_detail> check_size(const content_length_range& range, std::uint64_t size,
                                       post_size_check when) {
  if (size > range.max) {
    return error_detail{error::entity_too_large, "Your proposed upload exceeds the maximum allowed size"}
        .with("ProposedSize", std::to_string(size))
        .with("MaxSizeAllowed", std::to_string(range.max));
  }
  if (when == post_size_check::final && size < range.min) {
    return error_detail{error::entity_too_small,
                        "Your proposed upload is smaller than the minimum allowed size"}
        .with("ProposedSize", std::to_string(size))
        .with("MinSizeAllowed", std::to_string(range.min));
  }
  return std::nullopt;
}

/// One condition. size: the file's final size, or nullopt while it is unknown (streaming):
/// usable content-length-ranges then pass, for check_post_size to apply later.
std::optional<error_detail> check_condition(const condition& c, const form_fields& fields,
                                            std::string_view bucket, std::optional<std::uint64_t> size) {
  if (c.kind == condition_kind::content_length_range) {
    if (!c.is_range_usable) return policy_denied("Policy Condition failed: " + c.rendered);
    if (!size) return std::nullopt;
    return check_size(content_length_range{c.min, c.max}, *size, post_size_check::final);
  }
  const auto name = condition_field(c);
  std::optional<std::string_view> actual;
  if (name == "bucket") {
    actual = bucket;  // the bucket the request is addressed to
  } else if (name) {
    if (const auto* value = fields.find(*name)) actual = *value;
  }
  // A condition on a field the form lacks fails, even starts-with "" (observed).
  bool is_met = false;
  if (actual) {
    is_met = c.kind == condition_kind::eq ? *actual == c.value
                                          : starts_with_all(*actual, c.value, name == "content-type");
  }
  if (is_met) return std::nullopt;
  return policy_denied("Policy Condition failed: " + c.rendered);
}

std::optional<error_detail> check_policy(const policy_document& policy, const form_fields& fields,
                                         std::string_view bucket, std::optional<std::uint64_t> size,
                                         bool is_sigv2, std::chrono::sys_seconds now) {
  if (now > policy.expiration) return policy_denied("Policy expired.");
  for (const auto& c : policy.conditions) {
    if (auto failure = check_condition(c, fields, bucket, size)) return failure;
  }
  // Every field but x-amz-signature, file, policy and x-ignore-* needs a condition
  // (SigV2 forms: AWSAccessKeyId and signature instead of x-amz-signature).
  std::vector<std::string> covered;
  for (const auto& c : policy.conditions) {
    if (auto name = condition_field(c)) covered.push_back(std::move(*name));
  }
  std::string extra;
  for (const auto& field : fields.all()) {
    const std::string_view name = field.lower_name;
    const bool is_exempt =
        name == "file" || name == "policy" || name.starts_with("x-ignore-") ||
        (is_sigv2 ? (name == "awsaccesskeyid" || name == "signature") : name == "x-amz-signature");
    if (is_exempt || std::find(covered.begin(), covered.end(), name) != covered.end()) continue;
    if (!extra.empty()) extra += ", ";
    extra += field.name;
  }
  if (!extra.empty()) return policy_denied("Extra input fields: " + extra);
  return std::nullopt;
}

struct parsed_credential {
  std::string access_key_id;
  std::string date;
  std::string region;
};

result<parsed_credential, error_detail> parse_credential(std::string_view text) {
  const auto fail = [&](std::string message) {
    return bad_argument(std::move(message), "X-Amz-Credential", text);
  };
  std::vector<std::string_view> parts;
  for (std::size_t from = 0;;) {
    const std::size_t slash = text.find('/', from);
    parts.push_back(
        text.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from));
    if (slash == std::string_view::npos) break;
    from = slash + 1;
  }
  if (parts.size() != 5 || parts[2].empty()) {
    return fail(
        "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (parts[0].empty()) return fail("a non-empty Access Key (AKID) must be provided in the credential.");
  if (!is_credential_date(parts[1])) {
    return fail(fmt::format(
        "incorrect date format \"{}\". This date in the credential must be in the format \"yyyyMMdd\".",
        parts[1]));
  }
  if (parts[3] != "s3") {
    return fail(fmt::format("incorrect service \"{}\". This endpoint belongs to \"s3\".", parts[3]));
  }
  if (parts[4] != "aws4_request") {
    return fail(fmt::format("incorrect terminal \"{}\". This endpoint uses \"aws4_request\".", parts[4]));
  }
  return parsed_credential{std::string(parts[0]), std::string(parts[1]), std::string(parts[2])};
}

/// Checks a SigV4 form's fields and signature against the configured keys.
result<std::string, error_detail> verify_signature(const form_fields& fields,
                                                   const credential_set& credentials) {
  // Required once any signing field is present, named as S3 names them.
  static constexpr std::pair<std::string_view, std::string_view> required[] = {
      {"x-amz-algorithm", "X-Amz-Algorithm"},
      {"x-amz-credential", "X-Amz-Credential"},
      {"x-amz-date", "X-Amz-Date"},
      {"x-amz-signature", "X-Amz-Signature"},
      {"policy", "Policy"},
  };
  for (const auto& [lower_name, shown] : required) {
    const auto* value = fields.find(lower_name);
    if (value == nullptr || (lower_name == "policy" && value->empty())) return missing_field(shown);
  }
  const std::string& algorithm = *fields.find("x-amz-algorithm");
  if (algorithm != sigv4_algorithm) {
    return bad_argument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", "X-Amz-Algorithm", algorithm);
  }
  const std::string& date = *fields.find("x-amz-date");
  if (!is_amz_date(date)) {
    return bad_argument("X-Amz-Date must be formated via ISO8601 Long format", "X-Amz-Date", date);
  }
  auto scope = parse_credential(*fields.find("x-amz-credential"));
  if (!scope) return scope.error();
  const credential* key = credentials.find(scope->access_key_id);
  if (key == nullptr) return unknown_key(scope->access_key_id);
  const std::string& policy = *fields.find("policy");
  const std::string& provided = *fields.find("x-amz-signature");
  const std::string expected =
      post_policy_signature(policy, key->secret_access_key, scope->date, scope->region);
  if (!hash::constant_time_equals(expected, provided)) {
    return signature_mismatch(scope->access_key_id, policy, provided);
  }
  return scope->access_key_id;
}

/// Checks a SigV2 form's fields (AWSAccessKeyId, policy, signature = base64 HMAC-SHA1 of the
/// base64 policy) against the configured keys.
result<std::string, error_detail> verify_signature_v2(const form_fields& fields,
                                                      const credential_set& credentials) {
  static constexpr std::pair<std::string_view, std::string_view> required[] = {
      {"awsaccesskeyid", "AWSAccessKeyId"},
      {"policy", "Policy"},
      {"signature", "Signature"},
  };
  for (const auto& [lower_name, shown] : required) {
    const auto* value = fields.find(lower_name);
    if (value == nullptr || (lower_name == "policy" && value->empty())) return missing_field(shown);
  }
  const std::string& access_key_id = *fields.find("awsaccesskeyid");
  const credential* key = credentials.find(access_key_id);
  if (key == nullptr) return unknown_key(access_key_id);
  const std::string& policy = *fields.find("policy");
  const std::string& provided = *fields.find("signature");
  if (!hash::constant_time_equals(sigv2_signature(key->secret_access_key, policy), provided)) {
    return signature_mismatch(access_key_id, policy, provided);
  }
  return access_key_id;
}

bool is_usable_redirect(std::string_view url) {
  const auto has_scheme = [&](std::string_view scheme) {
    return url.size() > scheme.size() && iequals(url.substr(0, scheme.size()), scheme);
  };
  return has_scheme("http://") || has_scheme("https://");
}

/// The PUT header a form field stands for, or empty when it is not one.
std::string header_name(std::string_view lower_name) {
  static constexpr std::pair<std::string_view, std::string_view> headers[] = {
      {"cache-control", "Cache-Control"},
      {"content-disposition", "Content-Disposition"},
      {"content-encoding", "Content-Encoding"},
      {"content-type", "Content-Type"},
      {"expires", "Expires"},
  };
  for (const auto& [lower, canonical] : headers) {
    if (lower_name == lower) return std::string(canonical);
  }
  if (lower_name.starts_with("x-amz-meta-") && lower_name.size() > 11) return std::string(lower_name);
  return {};
}

void percent_encode(std::string& out, char c) {
  static constexpr char hex[] = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(c);
  out += '%';
  out += hex[byte >> 4U];
  out += hex[byte & 0x0FU];
}

bool is_alnum(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/// application/x-www-form-urlencoded as Java's URLEncoder writes it: ' ' as '+', and
/// A-Z a-z 0-9 . - * _ kept.
std::string form_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (is_alnum(c) || c == '.' || c == '-' || c == '*' || c == '_') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      percent_encode(out, c);
    }
  }
  return out;
}

struct civil_time {
  int year;
  unsigned month, day, hour, minute, second;
};

civil_time to_civil(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(hms.hours().count()),
          static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.seconds().count())};
}

/// evaluate_post_form and evaluate_post_form_fields: size is the file's, or nullopt while it
/// streams.
result<post_upload, error_detail> evaluate(const http::multipart_form& form, std::string_view bucket,
                                           const credential_set& credentials, std::chrono::sys_seconds now,
                                           std::optional<std::uint64_t> size, bool allow_sigv2) {
  if (!form.has_file) {
    return error_detail{error::invalid_argument, "POST requires exactly one file upload per request."}
        .with("ArgumentName", "file")
        .with("ArgumentValue", "0");
  }
  const form_fields fields(form);
  const std::string* key = fields.find("key");
  if (key == nullptr || key->empty()) return missing_field("key");

  post_upload upload;
  upload.version = signature_version::v4;
  const bool is_sigv4 = fields.contains("x-amz-algorithm") || fields.contains("x-amz-credential") ||
                        fields.contains("x-amz-date") || fields.contains("x-amz-signature");
  const bool is_sigv2 = !is_sigv4 && (fields.contains("awsaccesskeyid") || fields.contains("signature"));
  if (is_sigv2) upload.version = signature_version::v2;
  if (!is_sigv4 && !is_sigv2) {
    upload.auth = post_auth::anonymous;
  } else if (credentials.empty()) {
    upload.auth = post_auth::unverified;
    const std::string* id = fields.find(is_sigv4 ? "x-amz-credential" : "awsaccesskeyid");
    if (id != nullptr) upload.access_key_id = id->substr(0, id->find('/'));
  } else if (is_sigv2 && !allow_sigv2) {
    return error_detail{error::invalid_request,
                        "The authorization mechanism you have provided is not supported. Please use "
                        "AWS4-HMAC-SHA256."};
  } else if (is_sigv2) {
    auto signer = verify_signature_v2(fields, credentials);
    if (!signer) return signer.error();
    upload.auth = post_auth::verified;
    upload.access_key_id = std::move(*signer);
  } else {
    auto signer = verify_signature(fields, credentials);
    if (!signer) return signer.error();
    upload.auth = post_auth::verified;
    upload.access_key_id = std::move(*signer);
  }

  // A policy that is present is enforced whoever signed, even with no credentials configured.
  const std::string* policy = fields.find("policy");
  if (policy != nullptr && !policy->empty()) {
    auto document = parse_policy(*policy);
    if (!document) return document.error();
    if (auto failure = check_policy(*document, fields, bucket, size, is_sigv2, now)) {
      return *std::move(failure);
    }
    for (const auto& c : document->conditions) {
      if (c.kind == condition_kind::content_length_range) upload.size_ranges.push_back({c.min, c.max});
    }
  }

  upload.key = *key;
  for (const auto& field : fields.all()) {
    if (std::string header = header_name(field.lower_name); !header.empty()) {
      if (field.lower_name == "content-type") upload.content_type = field.value;
      upload.headers.emplace_back(std::move(header), field.value);
    }
    upload.fields.emplace_back(field.lower_name, field.value);
  }
  if (const auto* acl = fields.find("acl")) upload.acl = *acl;
  if (const auto* status = fields.find("success_action_status")) {
    if (*status == "200") upload.success_action_status = 200;
    if (*status == "201") upload.success_action_status = 201;
  }
  for (const std::string_view name : {"success_action_redirect", "redirect"}) {
    const auto* url = fields.find(name);
    if (url != nullptr && is_usable_redirect(*url)) {
      upload.redirect = *url;
      break;
    }
  }
  return upload;
}

}  // namespace

result<post_upload, error_detail> evaluate_post_form(const http::multipart_form& form,
                                                     std::string_view bucket,
                                                     const credential_set& credentials,
                                                     std::chrono::sys_seconds now, bool allow_sigv2) {
  auto upload = evaluate(form, bucket, credentials, now, form.file.size(), allow_sigv2);
  if (upload) upload->data = form.file;
  return upload;
}

result<post_upload, error_detail> evaluate_post_form_fields(const http::multipart_form& form,
                                                            std::string_view bucket,
                                                            const credential_set& credentials,
                                                            std::chrono::sys_seconds now, bool allow_sigv2) {
  return evaluate(form, bucket, credentials, now, std::nullopt, allow_sigv2);
}

std::optional<error_detail> check_post_size(const post_upload& upload, std::uint64_t size,
                                            post_size_check when) {
  for (const auto& range : upload.size_ranges) {
    if (auto failure = check_size(range, size, when)) return failure;
  }
  return std::nullopt;
}

std::string post_policy_signature(std::string_view policy_base64, std::string_view secret,
                                  std::string_view date, std::string_view region) {
  return hash::to_hex(hash::hmac_sha256(derive_signing_key(secret, date, region, "s3"), policy_base64));
}

std::string post_object_location(std::string_view bucket_url, std::string_view key) {
  std::string out(bucket_url);
  out += '/';
  for (const char c : key) {
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      percent_encode(out, c);
    }
  }
  return out;
}

std::string render_post_response(std::string_view bucket_url, std::string_view bucket, std::string_view key,
                                 std::string_view etag) {
  xml::xml_writer doc;
  doc.open("PostResponse");
  doc.element("Location", post_object_location(bucket_url, key));
  doc.element("Bucket", bucket);
  doc.element("Key", key);
  doc.element("ETag", fmt::format("\"{}\"", etag));
  doc.close();
  return std::move(doc).str();
}

std::string post_redirect_location(std::string_view redirect, std::string_view bucket, std::string_view key,
                                   std::string_view etag) {
  // The query goes before a fragment; an existing query is kept and extended with '&'.
  const std::size_t hash_at = redirect.find('#');
  const std::string_view base = redirect.substr(0, hash_at);
  const std::string_view fragment =
      hash_at == std::string_view::npos ? std::string_view{} : redirect.substr(hash_at);
  std::string out(base);
  if (base.find('?') == std::string_view::npos) {
    out += '?';
  } else if (!base.ends_with('?') && !base.ends_with('&')) {
    out += '&';
  }
  out += "bucket=" + form_encode(bucket);
  out += "&key=" + form_encode(key);
  out += "&etag=" + form_encode(fmt::format("\"{}\"", etag));
  out += fragment;
  return out;
}

signed_post_form sign_post_form(const post_form_request& request, const credential& key,
                                std::chrono::sys_seconds now) {
  const civil_time today = to_civil(now);
  const civil_time expires = to_civil(now + request.expires_in);
  const std::string date = fmt::format("{:04}{:02}{:02}", today.year, today.month, today.day);
  const std::string amz_date =
      fmt::format("{}T{:02}{:02}{:02}Z", date, today.hour, today.minute, today.second);
  const std::string scope = fmt::format("{}/{}/{}/s3/aws4_request", key.access_key_id, date, request.region);
  const std::string expiration =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", expires.year, expires.month, expires.day,
                  expires.hour, expires.minute, expires.second);

  const auto simple = [](std::string_view name, std::string_view value) {
    return fmt::format("{{{}: {}}}", python_json_string(name), python_json_string(value));
  };
  std::vector<std::string> conditions = request.conditions;
  conditions.push_back(simple("bucket", request.bucket));
  constexpr std::string_view variable = "${filename}";
  if (request.key.ends_with(variable)) {
    const std::string_view prefix =
        std::string_view(request.key).substr(0, request.key.size() - variable.size());
    conditions.push_back(fmt::format("[\"starts-with\", \"$key\", {}]", python_json_string(prefix)));
  } else {
    conditions.push_back(simple("key", request.key));
  }
  conditions.push_back(simple("x-amz-algorithm", sigv4_algorithm));
  conditions.push_back(simple("x-amz-credential", scope));
  conditions.push_back(simple("x-amz-date", amz_date));

  signed_post_form out;
  out.policy = fmt::format("{{\"expiration\": {}, \"conditions\": [", python_json_string(expiration));
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    if (i != 0) out.policy += ", ";
    out.policy += conditions[i];
  }
  out.policy += "]}";
  const std::string policy_base64 = hash::base64_encode(out.policy);
  out.fields = request.fields;
  out.fields.emplace_back("key", request.key);
  out.fields.emplace_back("x-amz-algorithm", sigv4_algorithm);
  out.fields.emplace_back("x-amz-credential", scope);
  out.fields.emplace_back("x-amz-date", amz_date);
  out.fields.emplace_back("policy", policy_base64);
  out.fields.emplace_back("x-amz-signature",
                          post_policy_signature(policy_base64, key.secret_access_key, date, request.region));
  return out;
}

}  // namespace s3cors::auth
