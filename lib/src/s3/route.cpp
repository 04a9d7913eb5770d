#include "s3cors/s3/route.hpp"

#include "s3cors/store/names.hpp"

#include <algorithm>
#include <array>

namespace s3cors::s3 {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

query_list parse_query(std::string_view query, bool& ok) {
  query_list params;
  ok = true;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    auto name = percent_decode(item.substr(0, eq), true);
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1), true);
    if (!name || !value) {
      ok = false;
      return {};
    }
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

// Sub-resources and operations S3 has that s3cors does not serve yet: answering them with
// a plain GetObject/ListObjects would be a wrong 200, so they get NotImplemented.
constexpr std::array bucket_subresources{"abac",
                                         "accelerate",
                                         "acl",
                                         "analytics",
                                         "cors",
                                         "delete",
                                         "encryption",
                                         "intelligent-tiering",
                                         "inventory",
                                         "lifecycle",
                                         "location",
                                         "logging",
                                         "metadataConfiguration",
                                         "metadataInventoryTable",
                                         "metadataJournalTable",
                                         "metadataTable",
                                         "metrics",
                                         "notification",
                                         "object-lock",
                                         "replication",
                                         "requestPayment",
                                         "session",
                                         "tagging",
                                         "uploads",
                                         "versioning",
                                         "versions",
                                         "website"};
constexpr std::array object_subresources{
    "acl",       "attributes", "encryption", "legal-hold", "partNumber", "renameObject", "restore",
    "retention", "select",     "tagging",    "torrent",    "uploadId",   "uploads"};

bool has_param(const query_list& query, std::string_view name) {
  return std::any_of(query.begin(), query.end(), [&](const auto& p) { return p.first == name; });
}

error_detail not_implemented(std::string what) {
  return error_detail(error::not_implemented,
                      "A header you provided implies functionality that is not implemented")
      .with("Detail", "s3cors does not implement " + std::move(what) + " yet");
}

std::optional<std::string> param(const query_list& query, std::string_view name) {
  for (const auto& [n, v] : query) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// x-amz-copy-source: "/bucket/key" or "bucket/key", percent-encoded, optionally with
// ?versionId= (only "null" names the one version s3cors keeps).
result<std::pair<std::string, std::string>, error_detail> parse_copy_source(std::string_view source) {
  std::string_view text = source.substr(0, source.find('?'));
  if (source.find("?versionId=") != std::string_view::npos && !source.ends_with("?versionId=null")) {
    return not_implemented("object versions");
  }
  if (text.starts_with('/')) text.remove_prefix(1);
  auto decoded = percent_decode(text, false);
  const auto slash = decoded ? decoded->find('/') : std::string::npos;
  if (!decoded || slash == std::string::npos || slash == 0 || slash + 1 == decoded->size()) {
    return error_detail(error::invalid_argument, "Invalid copy source encoding.")
        .with("ArgumentName", "x-amz-copy-source")
        .with("ArgumentValue", std::string(source));
  }
  return std::pair{decoded->substr(0, slash), decoded->substr(slash + 1)};
}

// Multipart uploads: nullopt when the request is not one of them.
std::optional<result<multipart_op, error_detail>> route_multipart(const request& req, const query_list& query,
                                                                  const std::string& bucket,
                                                                  const std::string& key) {
  using kind = multipart_op::kind;
  if (key.empty()) {
    if (has_param(query, "uploads") && (req.verb == method::get || req.verb == method::head)) {
      return multipart_op{kind::list_uploads, bucket, {}, {}, {}, {}, {}};
    }
    return std::nullopt;
  }
  if (has_param(query, "uploads") && req.verb == method::post)
    return multipart_op{kind::create, bucket, key, {}, {}, {}, {}};
  const auto upload_id = param(query, "uploadId");
  if (!upload_id) return std::nullopt;
  switch (req.verb) {
    case method::put: {
      const auto part = param(query, "partNumber");
      if (!part) return std::nullopt;
      if (const auto source = req.headers.find("x-amz-copy-source")) {
        auto names = parse_copy_source(*source);
        if (!names) return names.error();
        return multipart_op{kind::upload_part_copy,  bucket, key, *upload_id, *part, std::move(names->first),
                            std::move(names->second)};
      }
      return multipart_op{kind::upload_part, bucket, key, *upload_id, *part, {}, {}};
    }
    case method::post:
      return multipart_op{kind::complete, bucket, key, *upload_id, {}, {}, {}};
    case method::delete_:
      return multipart_op{kind::abort, bucket, key, *upload_id, {}, {}, {}};
    case method::get:
    case method::head:
      return multipart_op{kind::list_parts, bucket, key, *upload_id, {}, {}, {}};
    default:
      return std::nullopt;
  }
}

template <std::size_t N>
std::optional<std::string> find_subresource(const query_list& query,
                                            const std::array<const char*, N>& names) {
  for (const auto& [name, value] : query) {
    for (const char* known : names) {
      if (name == known) return name;
    }
  }
  return std::nullopt;
}

std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // IPv6 literal
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  const auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

// The bucket named by the Host header (virtual-hosted style), or empty for path style.
std::string bucket_from_host(std::string_view host, const routing_options& options) {
  host = strip_port(host);
  std::string lowered(host);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  auto prefix_before = [&](std::string_view suffix) -> std::string {
    if (lowered.size() > suffix.size() && lowered.ends_with(suffix)) {
      return lowered.substr(0, lowered.size() - suffix.size());
    }
    return {};
  };
  if (!options.domain.empty()) {
    if (auto bucket = prefix_before(".s3." + options.domain); !bucket.empty()) return bucket;
  }
  return prefix_before(".localhost");
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  // The common case, nothing escaped, is one copy.
  if (text.find('%') == std::string_view::npos &&
      (!plus_is_space || text.find('+') == std::string_view::npos))
    return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string host_bucket(const request& req, const routing_options& options) {
  return bucket_from_host(req.headers.find("Host").value_or(""), options);
}

std::string target_bucket(const request& req, const routing_options& options) {
  std::string bucket = bucket_from_host(req.headers.find("Host").value_or(""), options);
  if (!bucket.empty()) return bucket;
  const std::string_view target = req.target;
  if (target.empty() || target.front() != '/') return {};
  const std::string_view path = target.substr(1, target.find('?') - 1);
  auto decoded = percent_decode(path.substr(0, path.find('/')), false);
  return decoded.value_or(std::string{});
}

result<routed, error_detail> route(const request& req, const routing_options& options) {
  std::string_view target = req.target;
  if (target.empty() || target.front() != '/') {
    // Absolute-form targets (proxies) are rare; S3 answers them as a bad URI.
    return error_detail(error::invalid_uri);
  }
  // A fragment never belongs to a request-target (RFC 9112 §3.2): signature checking drops
  // it, so routing must not obey what follows it ("#&acl" after a presigned URL).
  if (target.find('#') != std::string_view::npos) return error_detail(error::invalid_uri);
  const auto question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  if (raw_path == health_path && (req.verb == method::get || req.verb == method::head)) {
    return routed{health_op{}, {}};  // before Host: the probe works whatever name it uses
  }
  bool query_ok = true;
  routed out{list_buckets_op{}, question == std::string_view::npos
                                    ? query_list{}
                                    : parse_query(target.substr(question + 1), query_ok)};
  if (!query_ok) return error_detail(error::invalid_uri);

  // Keys are percent-decoded exactly once, as S3 does; '+' in a path is a literal plus.
  auto path = percent_decode(raw_path.substr(1), false);
  if (!path) return error_detail(error::invalid_uri);

  std::string bucket = bucket_from_host(req.headers.find("Host").value_or(""), options);
  std::string key;
  if (bucket.empty()) {
    const auto slash = path->find('/');
    bucket = path->substr(0, slash);
    key = slash == std::string::npos ? std::string{} : path->substr(slash + 1);
  } else {
    key = std::move(*path);
  }

  if (req.verb == method::options) {
    out.op = preflight_op{std::move(bucket), std::move(key)};
    return out;
  }
  if (!bucket.empty() && !store::is_valid_bucket_name(bucket)) {
    return error_detail(error::invalid_bucket_name).with("BucketName", bucket);
  }
  const bool read = req.verb == method::get || req.verb == method::head;
  if (bucket.empty() && !key.empty()) {
    // "//key": an empty bucket segment names no bucket at all.
    return error_detail(error::invalid_bucket_name).with("BucketName", "");
  }
  if (req.verb == method::other) {
    const char* resource_type = bucket.empty() ? "SERVICE" : key.empty() ? "BUCKET" : "OBJECT";
    return error_detail(error::method_not_allowed)
        .with("Method", req.method_name)
        .with("ResourceType", resource_type);
  }
  if (bucket.empty()) {
    if (read) return out;  // ListBuckets
    return error_detail(error::method_not_allowed)
        .with("Method", std::string(to_string(req.verb)))
        .with("ResourceType", "SERVICE");
  }
  // One version per key: any other versionId would be served (or deleted!) as the current one.
  if (const auto version = param(out.query, "versionId"); !key.empty() && version && *version != "null") {
    return not_implemented("object versions");
  }
  if (key.empty() && has_param(out.query, "cors")) {
    switch (req.verb) {
      case method::get:
      case method::head:
        out.op = get_bucket_cors_op{std::move(bucket)};
        return out;
      case method::put:
        out.op = put_bucket_cors_op{std::move(bucket)};
        return out;
      case method::delete_:
        out.op = delete_bucket_cors_op{std::move(bucket)};
        return out;
      default:
        return error_detail(error::method_not_allowed)
            .with("Method", std::string(to_string(req.verb)))
            .with("ResourceType", "BUCKET");
    }
  }
  if (has_param(out.query, "tagging") && (read || req.verb == method::put || req.verb == method::delete_)) {
    const auto what = req.verb == method::put       ? tagging_op::kind::put
                      : req.verb == method::delete_ ? tagging_op::kind::remove
                                                    : tagging_op::kind::get;
    out.op = tagging_op{what, std::move(bucket), std::move(key)};
    return out;
  }
  if (key.empty() && read && has_param(out.query, "versions")) {
    out.op = list_object_versions_op{std::move(bucket)};
    return out;
  }
  if (key.empty() && has_param(out.query, "policy") &&
      (read || req.verb == method::put || req.verb == method::delete_)) {
    const auto what = req.verb == method::put       ? bucket_policy_op::kind::put
                      : req.verb == method::delete_ ? bucket_policy_op::kind::remove
                                                    : bucket_policy_op::kind::get;
    out.op = bucket_policy_op{what, std::move(bucket)};
    return out;
  }
  if (key.empty() && read && has_param(out.query, "policyStatus")) {
    out.op = bucket_policy_op{bucket_policy_op::kind::status, std::move(bucket)};
    return out;
  }
  if (key.empty() && read && has_param(out.query, "versioning")) {
    out.op = get_bucket_versioning_op{std::move(bucket)};
    return out;
  }
  if (auto multipart = route_multipart(req, out.query, bucket, key)) {
    if (!*multipart) return multipart->error();
    out.op = std::move(**multipart);
    return out;
  }
  if (has_param(out.query, "acl") && (read || req.verb == method::put)) {
    out.op = acl_op{std::move(bucket), std::move(key), req.verb == method::put};
    return out;
  }
  for (const auto& [param, setting] :
       {std::pair{"ownershipControls", bucket_control_op::setting::ownership_controls},
        std::pair{"publicAccessBlock", bucket_control_op::setting::public_access_block}}) {
    if (!key.empty() || !has_param(out.query, param)) continue;
    if (!read && req.verb != method::put && req.verb != method::delete_) {
      return error_detail(error::method_not_allowed)
          .with("Method", std::string(to_string(req.verb)))
          .with("ResourceType", "BUCKET");
    }
    const auto verb = req.verb == method::put       ? bucket_control_op::kind::put
                      : req.verb == method::delete_ ? bucket_control_op::kind::remove
                                                    : bucket_control_op::kind::get;
    out.op = bucket_control_op{setting, verb, std::move(bucket)};
    return out;
  }
  if (key.empty() && has_param(out.query, "location") && read) {
    out.op = get_bucket_location_op{std::move(bucket)};
    return out;
  }
  if (req.verb == method::put || req.verb == method::delete_) {
    const bool is_put = req.verb == method::put;
    if (key.empty()) {
      if (auto sub = find_subresource(out.query, bucket_subresources)) return not_implemented("?" + *sub);
      if (is_put) {
        out.op = create_bucket_op{std::move(bucket)};
      } else {
        out.op = delete_bucket_op{std::move(bucket)};
      }
      return out;
    }
    if (auto sub = find_subresource(out.query, object_subresources)) return not_implemented("?" + *sub);
    if (const auto source = req.headers.find("x-amz-copy-source"); is_put && source) {
      auto names = parse_copy_source(*source);
      if (!names) return names.error();
      out.op = copy_object_op{std::move(bucket), std::move(key), std::move(names->first),
                              std::move(names->second)};
      return out;
    }
    if (is_put) {
      out.op = put_object_op{std::move(bucket), std::move(key)};
    } else {
      out.op = delete_object_op{std::move(bucket), std::move(key)};
    }
    return out;
  }
  if (req.verb == method::post && key.empty() && has_param(out.query, "delete")) {
    out.op = delete_objects_op{std::move(bucket)};
    return out;
  }
  if (req.verb == method::post && key.empty() && out.query.empty() &&
      iequals(req.headers.find("Content-Type").value_or("").substr(0, 19), "multipart/form-data")) {
    out.op = post_object_op{std::move(bucket)};
    return out;
  }
  if (!read) return not_implemented(std::string(to_string(req.verb)) + " requests");

  if (key.empty()) {
    if (auto sub = find_subresource(out.query, bucket_subresources)) return not_implemented("?" + *sub);
    if (req.verb == method::head) {
      out.op = head_bucket_op{std::move(bucket)};
      return out;
    }
    out.op = list_objects_op{std::move(bucket)};
    return out;
  }

  if (req.verb == method::get && has_param(out.query, "attributes")) {
    out.op = get_object_attributes_op{std::move(bucket), std::move(key)};
    return out;
  }
  // partNumber without uploadId reads one part of the object (GetObject, HeadObject).
  std::optional<std::string> part_number = param(out.query, "partNumber");
  for (const auto& [name, value] : out.query) {
    if (name == "partNumber") continue;
    for (const char* known : object_subresources) {
      if (name == known) return not_implemented("?" + name);
    }
  }
  get_object_op get{std::move(bucket), std::move(key), req.verb == method::head, {}, std::move(part_number)};
  static constexpr std::array<std::pair<const char*, const char*>, 6> response_params{{
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"},
      {"response-content-language", "Content-Language"},
      {"response-content-type", "Content-Type"},
      {"response-expires", "Expires"},
  }};
  for (const auto& [name, value] : out.query) {
    for (const auto& [param, header] : response_params) {
      if (name == param) get.overrides.headers.emplace_back(header, value);
    }
  }
  out.op = std::move(get);
  return out;
}

}  // namespace s3cors::s3
