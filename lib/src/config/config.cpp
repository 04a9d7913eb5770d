#include "s3cors/config/config.hpp"

#include "detail/parse_text.hpp"
#include "edge/json.hpp"
#include "faults/json.hpp"
#include "s3cors/store/names.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace s3cors::config {
namespace {

using json = nlohmann::json;

struct parse_failure {
  config_error error;
};

[[noreturn]] void fail(std::string pointer, std::string message) {
  throw parse_failure{{std::move(pointer), std::move(message)}};
}

std::string get_string(const json& value, const std::string& pointer) {
  if (!value.is_string()) fail(pointer, "expected a string");
  return value.get<std::string>();
}

std::uint64_t get_unsigned(const json& value, const std::string& pointer) {
  if (!value.is_number_unsigned()) fail(pointer, "expected a non-negative integer");
  return value.get<std::uint64_t>();
}

bool get_bool(const json& value, const std::string& pointer) {
  if (!value.is_boolean()) fail(pointer, "expected true or false");
  return value.get<bool>();
}

bucket_settings parse_bucket(const json& value, const std::string& pointer) {
  if (!value.is_object()) fail(pointer, "expected an object such as {\"cors\": \"cors.json\"}");
  bucket_settings out;
  for (const auto& [name, item] : value.items()) {
    const std::string at = pointer + "/" + detail::json_pointer_token(name);
    if (name == "cors") {
      // A string names a file (JSON or XML); anything else is the configuration inline.
      if (item.is_string())
        out.cors_file = item.get<std::string>();
      else
        out.cors_inline = item.dump();
    } else if (name == "acl") {
      out.acl = get_string(item, at);
      if (!is_valid_acl(*out.acl)) fail(at, "expected \"private\", \"public-read\" or \"public-read-write\"");
    } else {
      fail(at, "unknown field (expected \"cors\" or \"acl\")");
    }
  }
  return out;
}

// A limit of 0 (or one too small to read any request) makes the server refuse everything.
std::uint64_t get_limit(const json& value, const std::string& pointer, std::uint64_t least) {
  const std::uint64_t n = get_unsigned(value, pointer);
  if (n < least)
    fail(pointer, least == 1 ? "must be at least 1" : "must be at least " + std::to_string(least));
  return n;
}

void parse_limits(const json& value, limits& out) {
  if (!value.is_object()) fail("/limits", "expected an object");
  for (const auto& [name, item] : value.items()) {
    const std::string at = "/limits/" + detail::json_pointer_token(name);
    if (name == "max_header_bytes")
      out.max_header_bytes = get_limit(item, at, 1024);
    else if (name == "max_body_bytes")
      out.max_body_bytes = get_unsigned(item, at);  // 0: only empty uploads, a legitimate fixture
    else if (name == "max_connections")
      out.max_connections = get_limit(item, at, 1);
    else if (name == "idle_timeout_seconds")
      out.idle_timeout_seconds = get_limit(item, at, 1);
    else if (name == "header_timeout_seconds")
      out.header_timeout_seconds = get_limit(item, at, 1);
    else if (name == "body_timeout_seconds")
      out.body_timeout_seconds = get_limit(item, at, 1);
    else if (name == "write_timeout_seconds")
      out.write_timeout_seconds = get_limit(item, at, 1);
    else
      fail(at, "unknown limit");
  }
}

// nlohmann keeps the last of two equal keys silently; a configuration that says two things
// is refused instead, naming where the second one is.
std::optional<config_error> find_duplicate_key(std::string_view text) {
  std::vector<std::vector<std::string>> keys_per_object;
  std::vector<std::string> path;  // pointer tokens of the enclosing objects' keys
  std::optional<config_error> found;
  std::string last_key;
  json::parser_callback_t watch = [&](int depth, json::parse_event_t event, json& parsed) {
    (void)depth;
    if (found) return true;
    switch (event) {
      case json::parse_event_t::object_start:
        keys_per_object.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys_per_object.empty()) keys_per_object.pop_back();
        break;
      case json::parse_event_t::key: {
        last_key = parsed.get<std::string>();
        auto& seen = keys_per_object.back();
        if (std::find(seen.begin(), seen.end(), last_key) != seen.end()) {
          found = config_error{"/" + detail::json_pointer_token(last_key), "duplicate key"};
        }
        seen.push_back(last_key);
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    const json ignored = json::parse(text, watch);
    (void)ignored;
  } catch (const json::exception&) {
    return std::nullopt;  // reported by the real parse
  }
  return found;
}

// Secrets are never echoed in errors: only the pointer and what was expected.
std::vector<auth::credential> parse_credentials(const json& value, const std::string& pointer) {
  if (!value.is_array())
    fail(pointer, "expected an array of {\"access_key_id\": ..., \"secret_access_key\": ...}");
  std::vector<auth::credential> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    const std::string at = pointer + "/" + std::to_string(i);
    if (!item.is_object()) fail(at, "expected {\"access_key_id\": ..., \"secret_access_key\": ...}");
    auth::credential key;
    for (const auto& [name, field] : item.items()) {
      const std::string field_at = at + "/" + detail::json_pointer_token(name);
      if (name == "access_key_id") {
        key.access_key_id = get_string(field, field_at);
        if (!is_valid_access_key_id(key.access_key_id))
          fail(field_at, "expected 1 to 128 ASCII letters, digits, '_' or '-'");
      } else if (name == "secret_access_key") {
        key.secret_access_key = get_string(field, field_at);
        if (key.secret_access_key.empty()) fail(field_at, "must not be empty");
      } else if (name == "user") {
        key.user = get_string(field, field_at);
        if (key.user.empty() || key.user.size() > 64) fail(field_at, "expected 1 to 64 characters");
      } else if (name == "canonical_id") {
        key.canonical_id = get_string(field, field_at);
        if (key.canonical_id.size() != 64 ||
            !std::all_of(key.canonical_id.begin(), key.canonical_id.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
          fail(field_at, "expected 64 lowercase hex digits");
      } else if (name == "email") {
        key.email = get_string(field, field_at);
        if (key.email.find('@') == std::string::npos) fail(field_at, "expected an email address");
      } else if (name == "account_id") {
        key.account_id = get_string(field, field_at);
        if (key.account_id.size() != 12 || !std::all_of(key.account_id.begin(), key.account_id.end(),
                                                        [](char c) { return c >= '0' && c <= '9'; }))
          fail(field_at, "expected 12 digits");
      } else if (!name.starts_with("$")) {
        fail(field_at,
             "unknown field (expected \"access_key_id\", \"secret_access_key\", \"user\", \"canonical_id\", "
             "\"email\" or \"account_id\")");
      }
    }
    if (key.access_key_id.empty()) fail(at + "/access_key_id", "missing");
    if (key.secret_access_key.empty()) fail(at + "/secret_access_key", "missing");
    for (const auto& other : out) {
      if (other.access_key_id == key.access_key_id) fail(at + "/access_key_id", "duplicate access key id");
    }
    out.push_back(std::move(key));
  }
  return out;
}

// A distribution (docs/edge.md §9): "listen", "origin" ({"bucket": NAME} or NAME), the cache's
// bounds, and either the edge core's fields (behaviours, policies) or a CloudFormation
// DistributionConfig under "cloudformation". Errors keep the core's JSON pointers.
distribution_settings parse_distribution(const std::string& name, const json& value,
                                         const std::string& pointer) {
  if (!value.is_object())
    fail(pointer,
         "expected an object such as {\"listen\": \"127.0.0.1:8081\", \"origin\": {\"bucket\": \"media\"}}");
  distribution_settings out;
  json core = json::object();
  const json* cloudformation = nullptr;
  std::string origin_pointer;
  bool origin_access_control = false;
  for (const auto& [field, item] : value.items()) {
    const std::string at = pointer + "/" + detail::json_pointer_token(field);
    if (field == "listen") {
      out.listen = get_string(item, at);
      if (!parse_listen(out.listen)) fail(at, "expected HOST:PORT");
    } else if (field == "cache_bytes") {
      out.cache_bytes = get_limit(item, at, 1);
    } else if (field == "max_cached_object_bytes") {
      out.max_cached_object_bytes = get_unsigned(item, at);
    } else if (field == "origin") {
      if (item.is_string()) {
        core["origin"] = item;
        origin_pointer = at;
      } else if (item.is_object()) {
        for (const auto& [key, part] : item.items()) {
          if (key == "origin_access_control") {
            origin_access_control = get_bool(part, at + "/origin_access_control");
          } else if (key != "bucket") {
            fail(at + "/" + detail::json_pointer_token(key),
                 "unknown field (expected \"bucket\" or \"origin_access_control\")");
          }
        }
        if (!item.contains("bucket")) fail(at + "/bucket", "missing required field");
        core["origin"] = get_string(item.at("bucket"), at + "/bucket");
        origin_pointer = at + "/bucket";
      } else {
        fail(at, "expected {\"bucket\": \"NAME\"}");
      }
    } else if (field == "cloudformation") {
      cloudformation = &item;
    } else if (!field.starts_with("$")) {
      core[field] = item;  // the edge core's fields, checked by its parser
    }
  }
  if (out.listen.empty()) fail(pointer + "/listen", "missing required field (the distribution's HOST:PORT)");
  if (cloudformation != nullptr) {
    const std::string at = pointer + "/cloudformation";
    for (const auto& [field, item] : core.items()) {
      if (field != "id")
        fail(pointer + "/" + detail::json_pointer_token(field),
             "not allowed beside \"cloudformation\" (the snippet gives the origin and behaviours)");
    }
    try {
      out.config = edge::detail::distribution_from_cloudformation(*cloudformation, at);
    } catch (const edge::detail::failure& f) {
      fail(f.error.pointer, f.error.message);
    } catch (const json::exception& e) {
      fail(at, e.what());
    }
    out.config.id = core.contains("id") ? get_string(core.at("id"), pointer + "/id") : name;
    out.config.listen = out.listen;
    origin_pointer = at;
  } else {
    if (!core.contains("id")) core["id"] = name;
    core["listen"] = out.listen;
    auto parsed = edge::detail::parse_distribution_value(core, pointer);
    if (!parsed) fail(parsed.error().pointer, parsed.error().message);
    out.config = std::move(*parsed);
  }
  if (origin_access_control) out.config.origin_access_control = true;
  const auto note_bucket = [&](const std::string& bucket, const std::string& at) {
    if (!store::is_valid_bucket_name(bucket)) fail(at, "not a valid S3 bucket name");
    out.bucket_pointers.emplace(bucket, at);
  };
  note_bucket(out.config.origin_bucket, origin_pointer);
  note_bucket(out.config.default_behavior.origin_bucket, origin_pointer);
  for (std::size_t i = 0; i < out.config.behaviors.size(); ++i) {
    const std::string at =
        cloudformation != nullptr ? origin_pointer : pointer + "/behaviors/" + std::to_string(i) + "/origin";
    note_bucket(out.config.behaviors[i].origin_bucket, at);
  }
  return out;
}

}  // namespace

bool is_valid_acl(std::string_view acl) noexcept {
  return acl == "private" || acl == "public-read" || acl == "public-read-write";
}

bool is_valid_access_key_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

result<server_config, config_error> parse_config(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e400
    return config_error{"", std::string("not valid JSON: ") + e.what()};
  }
  if (!doc.is_object()) return config_error{"", "the configuration must be a JSON object"};
  if (auto duplicate = find_duplicate_key(text)) return *duplicate;
  server_config out;
  try {
    for (const auto& [name, value] : doc.items()) {
      const std::string at = "/" + detail::json_pointer_token(name);
      if (name == "listen")
        out.listen = get_string(value, at);
      else if (name == "root")
        out.root = get_string(value, at);
      else if (name == "threads") {
        const auto n = get_unsigned(value, at);
        if (n == 0 || n > 1024) fail(at, "expected 1..1024");
        out.threads = static_cast<unsigned>(n);
      } else if (name == "log_level")
        out.log_level = get_string(value, at);
      else if (name == "log_format") {
        out.log_format = get_string(value, at);
        if (*out.log_format != "text" && *out.log_format != "json") fail(at, "expected \"text\" or \"json\"");
      } else if (name == "credentials")
        out.credentials = parse_credentials(value, at);
      else if (name == "domain")
        out.domain = get_string(value, at);
      else if (name == "follow_symlinks_outside_root")
        out.follow_symlinks_outside_root = get_bool(value, at);
      else if (name == "fsync")
        out.fsync = get_bool(value, at);
      else if (name == "sigv2")
        out.sigv2 = get_bool(value, at);
      else if (name == "api_bucket_defaults") {
        const std::string defaults = get_string(value, at);
        if (defaults != "s3" && defaults != "none") fail(at, "expected \"s3\" or \"none\"");
        out.s3_bucket_defaults = defaults == "s3";
      } else if (name == "abandoned_upload_seconds")
        out.abandoned_upload_seconds = get_unsigned(value, at);
      else if (name == "cors_debug_header")
        out.cors_debug_header = get_bool(value, at);
      else if (name == "inspector")
        out.inspector = get_bool(value, at);
      else if (name == "limits")
        parse_limits(value, out.limit);
      else if (name == "buckets") {
        if (!value.is_object()) fail(at, "expected an object keyed by bucket name");
        for (const auto& [bucket, settings] : value.items()) {
          const std::string bucket_at = at + "/" + detail::json_pointer_token(bucket);
          if (!store::is_valid_bucket_name(bucket)) fail(bucket_at, "not a valid S3 bucket name");
          out.buckets[bucket] = parse_bucket(settings, bucket_at);
        }
      } else if (name == "distributions") {
        if (!value.is_object()) fail(at, "expected an object keyed by distribution name");
        for (const auto& [dist, settings] : value.items()) {
          const std::string dist_at = at + "/" + detail::json_pointer_token(dist);
          if (dist.empty()) fail(dist_at, "a distribution needs a name");
          out.distributions[dist] = parse_distribution(dist, settings, dist_at);
        }
      } else if (name == "faults") {
        auto rules = faults::detail::parse_rules_value(value, at);
        if (!rules) fail(rules.error().pointer, rules.error().message);
        out.faults = std::move(*rules);
      } else if (name == "default_cors") {
        out.default_cors = parse_bucket(json{{"cors", value}}, at);
      } else if (name.starts_with("$") || name.starts_with("//")) {
        // "$comment" / "//" keys let people annotate the file.
      } else {
        fail(at, "unknown field");
      }
    }
  } catch (const parse_failure& f) {
    return f.error;
  }
  return out;
}

std::optional<listen_address> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  listen_address out;
  out.host = std::string(text.substr(0, colon));
  if (out.host.empty()) out.host = "127.0.0.1";
  if (out.host.front() == '[' && out.host.back() != ']') return std::nullopt;
  if (out.host.front() != '[' && out.host.find(':') != std::string::npos) return std::nullopt;
  const std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return std::nullopt;
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

bool is_loopback_host(std::string_view host) noexcept {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  if (host.starts_with("::ffff:")) host.remove_prefix(7);
  // 127.0.0.0/8: "127." and three more numbers.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (const char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace s3cors::config
