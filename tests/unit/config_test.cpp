#include "s3cors/config/config.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using s3cors::config::config_error;
using s3cors::config::parse_config;
using s3cors::config::parse_listen;
using s3cors::config::server_config;

server_config parse_ok(std::string_view json) {
  auto r = parse_config(json);
  CAPTURE(json);
  if (!r.has_value()) UNSCOPED_INFO("error at '" << r.error().pointer << "': " << r.error().message);
  REQUIRE(r.has_value());
  return std::move(*r);
}

config_error parse_error(std::string_view json) {
  auto r = parse_config(json);
  CAPTURE(json);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// --- parse_config ---------------------------------------------------------------------------

TEST_CASE("config: an empty object gives the defaults", "[config]") {
  const server_config c = parse_ok("{}");
  CHECK_FALSE(c.listen.has_value());
  CHECK_FALSE(c.root.has_value());
  CHECK_FALSE(c.threads.has_value());
  CHECK_FALSE(c.log_level.has_value());
  CHECK(c.domain.empty());
  CHECK_FALSE(c.follow_symlinks_outside_root);
  CHECK_FALSE(c.cors_debug_header);
  CHECK(c.buckets.empty());
  CHECK_FALSE(c.default_cors.has_value());
  const s3cors::config::limits defaults;
  CHECK(c.limit.max_header_bytes == 16 * 1024);
  CHECK(c.limit.max_body_bytes == 5ull * 1024 * 1024 * 1024);
  CHECK(c.limit.max_connections == defaults.max_connections);
  CHECK(c.limit.idle_timeout_seconds == defaults.idle_timeout_seconds);
  CHECK(c.limit.header_timeout_seconds == defaults.header_timeout_seconds);
  CHECK(c.limit.body_timeout_seconds == defaults.body_timeout_seconds);
  CHECK(c.limit.write_timeout_seconds == defaults.write_timeout_seconds);
}

TEST_CASE("config: every field is accepted", "[config]") {
  const server_config c = parse_ok(R"({
    "$comment": "comments are allowed",
    "//": "so is this",
    "listen": "0.0.0.0:9001",
    "root": "/srv/data",
    "threads": 8,
    "log_level": "debug",
    "domain": "example.test",
    "follow_symlinks_outside_root": true,
    "cors_debug_header": true,
    "limits": {
      "max_header_bytes": 8192,
      "max_body_bytes": 1048576,
      "max_connections": 100,
      "idle_timeout_seconds": 5,
      "header_timeout_seconds": 6,
      "body_timeout_seconds": 7,
      "write_timeout_seconds": 8
    },
    "buckets": {
      "media": {"cors": "cors-media.json"},
      "inline": {"cors": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]},
      "plain": {}
    },
    "default_cors": {"CORSRules": [{"AllowedOrigins": ["https://a.test"], "AllowedMethods": ["HEAD"]}]}
  })");
  CHECK(c.listen == "0.0.0.0:9001");
  CHECK(c.root == "/srv/data");
  CHECK(c.threads == 8u);
  CHECK(c.log_level == "debug");
  CHECK(c.domain == "example.test");
  CHECK(c.follow_symlinks_outside_root);
  CHECK(c.cors_debug_header);

  CHECK(c.limit.max_header_bytes == 8192);
  CHECK(c.limit.max_body_bytes == 1048576);
  CHECK(c.limit.max_connections == 100);
  CHECK(c.limit.idle_timeout_seconds == 5);
  CHECK(c.limit.header_timeout_seconds == 6);
  CHECK(c.limit.body_timeout_seconds == 7);
  CHECK(c.limit.write_timeout_seconds == 8);

  REQUIRE(c.buckets.size() == 3);
  const auto& media = c.buckets.at("media");
  CHECK(media.cors_file == "cors-media.json");
  CHECK_FALSE(media.cors_inline.has_value());

  const auto& inline_bucket = c.buckets.at("inline");
  CHECK_FALSE(inline_bucket.cors_file.has_value());
  REQUIRE(inline_bucket.cors_inline.has_value());
  CHECK(nlohmann::json::parse(*inline_bucket.cors_inline) ==
        nlohmann::json::parse(R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}])"));

  const auto& plain = c.buckets.at("plain");
  CHECK_FALSE(plain.cors_file.has_value());
  CHECK_FALSE(plain.cors_inline.has_value());

  REQUIRE(c.default_cors.has_value());
  CHECK_FALSE(c.default_cors->cors_file.has_value());
  REQUIRE(c.default_cors->cors_inline.has_value());
  CHECK(nlohmann::json::parse(*c.default_cors->cors_inline) ==
        nlohmann::json::parse(R"({"CORSRules": [{"AllowedOrigins": ["https://a.test"],
                                                  "AllowedMethods": ["HEAD"]}]})"));
}

TEST_CASE("config: default_cors given as a string names a file", "[config]") {
  const server_config c = parse_ok(R"({"default_cors": "cors-strict.xml"})");
  REQUIRE(c.default_cors.has_value());
  CHECK(c.default_cors->cors_file == "cors-strict.xml");
  CHECK_FALSE(c.default_cors->cors_inline.has_value());
}

TEST_CASE("config: threads accepts 1 through 1024", "[config]") {
  const unsigned n = GENERATE(1u, 2u, 1023u, 1024u);
  CAPTURE(n);
  CHECK(parse_ok("{\"threads\": " + std::to_string(n) + "}").threads == n);
}

TEST_CASE("config: limits accept 0 and the largest 64-bit value", "[config]") {
  const std::uint64_t n = GENERATE(std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max());
  CAPTURE(n);
  CHECK(parse_ok("{\"limits\": {\"max_body_bytes\": " + std::to_string(n) + "}}").limit.max_body_bytes == n);
}

TEST_CASE("config: unknown fields are refused, naming their JSON pointer", "[config]") {
  struct row {
    std::string_view json;
    std::string_view pointer;
  };
  const auto r = GENERATE(values<row>({
      {R"({"bogus": 1})", "/bogus"},
      {R"({"listen": "127.0.0.1:9000", "Root": "x"})", "/Root"},  // names are case-sensitive
      {R"({"limits": {"bogus": 1}})", "/limits/bogus"},
      {R"({"limits": {"max_header_bytes": 16384, "max_heder_bytes": 2}})", "/limits/max_heder_bytes"},
      {R"({"buckets": {"media": {"bogus": 1}}})", "/buckets/media/bogus"},
      {R"({"buckets": {"media": {"cors": "a.json", "CORS": "b.json"}}})", "/buckets/media/CORS"},
  }));
  const config_error e = parse_error(r.json);
  CHECK(e.pointer == r.pointer);
  CHECK_FALSE(e.message.empty());
}

TEST_CASE("config: values of the wrong type are refused, naming their JSON pointer", "[config]") {
  struct row {
    std::string_view json;
    std::string_view pointer;
  };
  const auto r = GENERATE(values<row>({
      {R"({"listen": 9000})", "/listen"},
      {R"({"listen": null})", "/listen"},
      {R"({"root": true})", "/root"},
      {R"({"root": ["a"]})", "/root"},
      {R"({"threads": "4"})", "/threads"},
      {R"({"threads": 0})", "/threads"},
      {R"({"threads": 1025})", "/threads"},
      {R"({"threads": -1})", "/threads"},
      {R"({"threads": 1.5})", "/threads"},
      {R"({"log_level": 1})", "/log_level"},
      {R"({"domain": null})", "/domain"},
      {R"({"follow_symlinks_outside_root": "yes"})", "/follow_symlinks_outside_root"},
      {R"({"follow_symlinks_outside_root": 1})", "/follow_symlinks_outside_root"},
      {R"({"cors_debug_header": 0})", "/cors_debug_header"},
      {R"({"limits": []})", "/limits"},
      {R"({"limits": 5})", "/limits"},
      {R"({"limits": {"max_header_bytes": -1}})", "/limits/max_header_bytes"},
      {R"({"limits": {"max_body_bytes": 1.5}})", "/limits/max_body_bytes"},
      {R"({"limits": {"idle_timeout_seconds": "60"}})", "/limits/idle_timeout_seconds"},
      {R"({"limits": {"write_timeout_seconds": 18446744073709551616}})", "/limits/write_timeout_seconds"},
      {R"({"buckets": []})", "/buckets"},
      {R"({"buckets": "media"})", "/buckets"},
      {R"({"buckets": {"media": "cors.json"}})", "/buckets/media"},
      {R"({"buckets": {"okay": {}, "media": null}})", "/buckets/media"},
      // Values that would make the server refuse everything, names that are not buckets, and
      // a key given twice.
      {R"({"limits": {"max_connections": 0}})", "/limits/max_connections"},
      {R"({"limits": {"max_header_bytes": 0}})", "/limits/max_header_bytes"},
      {R"({"limits": {"idle_timeout_seconds": 0}})", "/limits/idle_timeout_seconds"},
      {R"({"limits": {"header_timeout_seconds": 0}})", "/limits/header_timeout_seconds"},
      {R"({"limits": {"body_timeout_seconds": 0}})", "/limits/body_timeout_seconds"},
      {R"({"limits": {"write_timeout_seconds": 0}})", "/limits/write_timeout_seconds"},
      {R"({"buckets": {"Bad_Bucket": {}}})", "/buckets/Bad_Bucket"},
      {R"({"buckets": {"ab": {}}})", "/buckets/ab"},
      {R"({"listen": "127.0.0.1:1", "listen": "127.0.0.1:2"})", "/listen"},
      {R"({"limits": {"max_connections": 5, "max_connections": 6}})", "/max_connections"},
  }));
  const config_error e = parse_error(r.json);
  CHECK(e.pointer == r.pointer);
  CHECK_FALSE(e.message.empty());
}

TEST_CASE("config: text that is not a JSON object is refused at the document", "[config]") {
  const std::string_view json = GENERATE(as<std::string_view>{}, "", " ", "{", "}", R"({"listen": })",
                                         R"({"listen": "a",})", "{listen: 1}", "// comment\n{}", "[]", "42",
                                         "null", R"("listen")", R"([{"listen": "a"}])", "{} {}");
  const config_error e = parse_error(json);
  CHECK(e.pointer.empty());
  CHECK_FALSE(e.message.empty());
}

TEST_CASE("config: error pointers escape '~' and '/' in names as RFC 6901 asks", "[config]") {
  // BUG (lib/src/config/config.cpp, parse_config/parse_bucket/parse_limits): pointers are built
  // by plain concatenation ("/" + name), so a key containing '/' or '~' yields a pointer that
  // names a different location ("/a/b" is a["b"], not the key "a/b").
  struct row {
    std::string_view json;
    std::string_view pointer;
  };
  const auto r = GENERATE(values<row>({
      {R"({"a/b": 1})", "/a~1b"},
      {R"({"limits": {"x~y": 1}})", "/limits/x~0y"},
      {R"({"buckets": {"media": {"a/b": 1}}})", "/buckets/media/a~1b"},
  }));
  CHECK(parse_error(r.json).pointer == r.pointer);
}

// --- parse_listen ---------------------------------------------------------------------------

TEST_CASE("config: parse_listen accepts HOST:PORT, [V6]:PORT and :PORT", "[config]") {
  struct row {
    std::string_view text;
    std::string_view host;
    std::uint16_t port;
  };
  const auto r = GENERATE(values<row>({
      {"127.0.0.1:9000", "127.0.0.1", 9000},
      {":0", "127.0.0.1", 0},  // the host defaults to loopback; port 0 picks a free port
      {":9000", "127.0.0.1", 9000},
      {"[::1]:80", "[::1]", 80},  // brackets kept; the transport strips them to resolve
      {"[::]:0", "[::]", 0},
      {"localhost:8080", "localhost", 8080},
      {"0.0.0.0:65535", "0.0.0.0", 65535},
      {"example.test:007", "example.test", 7},
  }));
  CAPTURE(r.text);
  const auto address = parse_listen(r.text);
  REQUIRE(address.has_value());
  CHECK(address->host == r.host);
  CHECK(address->port == r.port);
}

TEST_CASE("config: parse_listen refuses malformed addresses", "[config]") {
  const std::string_view text =
      GENERATE(as<std::string_view>{}, "", "nohost", "9000", ":", "host:", "1.2.3.4:99999", "1.2.3.4:65536",
               "host:18446744073709551697", "::1:80", "::1", "[::1:80", "[::1]", "[::1]80", "host:-1",
               "host:+80", "host: 80", "host:80 ", "host:8o", "host:0x50");
  CAPTURE(text);
  CHECK_FALSE(parse_listen(text).has_value());
}

// --- the repository's own configuration files -----------------------------------------------

TEST_CASE("config: every server config shipped in a config/ directory parses", "[config]") {
  const fs::path source_dir{S3CORS_SOURCE_DIR};
  std::vector<fs::path> configs;
  for (auto it = fs::recursive_directory_iterator(source_dir); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (it->is_directory()) {
      // Skip build trees and hidden directories (.git, .ci caches, ...).
      if (name.starts_with('.') || name.starts_with("build")) it.disable_recursion_pending();
      continue;
    }
    if (path.extension() == ".json" && path.parent_path().filename() == "config") configs.push_back(path);
  }

  std::size_t server_configs = 0;
  for (const fs::path& path : configs) {
    CAPTURE(path.string());
    const std::string text = read_file(path);
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    // CORS documents (a rule array or {"CORSRules": [...]}) live next to server configs.
    if (!doc.is_object() || doc.contains("CORSRules")) continue;
    if (!doc.contains("listen") && !doc.contains("root")) continue;
    ++server_configs;

    const server_config c = parse_ok(text);
    if (c.listen) CHECK(parse_listen(*c.listen).has_value());
    // Relative paths in a config file are relative to the file.
    const fs::path dir = path.parent_path();
    if (c.root) CHECK(fs::is_directory(dir / *c.root));
    for (const auto& [bucket, settings] : c.buckets) {
      CAPTURE(bucket);
      if (settings.cors_file) CHECK(fs::is_regular_file(dir / *settings.cors_file));
    }
    if (c.default_cors && c.default_cors->cors_file)
      CHECK(fs::is_regular_file(dir / *c.default_cors->cors_file));
  }
  CHECK(server_configs >= 1);  // config/example.json at least
}

TEST_CASE("config: a number too large for a double is an error, not a crash", "[config]") {
  const auto parsed = s3cors::config::parse_config(R"({"threads": 1e400})");
  CHECK_FALSE(parsed.has_value());
}

TEST_CASE("config: abandoned multipart uploads expire after a day unless configured", "[config]") {
  CHECK(s3cors::config::parse_config("{}")->abandoned_upload_seconds == 86400);
  CHECK(s3cors::config::parse_config(R"({"abandoned_upload_seconds": 0})")->abandoned_upload_seconds == 0);
  CHECK_FALSE(s3cors::config::parse_config(R"({"abandoned_upload_seconds": -1})").has_value());
}

// --- log format, credentials and bucket ACLs --------------------------------------------------

TEST_CASE("config: log_format is text or json", "[config]") {
  CHECK_FALSE(parse_ok("{}").log_format.has_value());
  CHECK(parse_ok(R"({"log_format": "json"})").log_format == "json");
  CHECK(parse_ok(R"({"log_format": "text"})").log_format == "text");
  CHECK(parse_error(R"({"log_format": "xml"})").pointer == "/log_format");
  CHECK(parse_error(R"({"log_format": 1})").pointer == "/log_format");
}

TEST_CASE("config: api_bucket_defaults is s3 or none, s3 by default", "[config]") {
  CHECK(parse_ok("{}").s3_bucket_defaults);
  CHECK(parse_ok(R"({"api_bucket_defaults": "s3"})").s3_bucket_defaults);
  CHECK_FALSE(parse_ok(R"({"api_bucket_defaults": "none"})").s3_bucket_defaults);
  CHECK(parse_error(R"({"api_bucket_defaults": "aws"})").pointer == "/api_bucket_defaults");
  CHECK(parse_error(R"({"api_bucket_defaults": true})").pointer == "/api_bucket_defaults");
}

TEST_CASE("config: credentials are a list of access key pairs", "[config]") {
  CHECK(parse_ok("{}").credentials.empty());
  const server_config c = parse_ok(R"({"credentials": [
    {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCY"},
    {"$comment": "second", "access_key_id": "reader_2-x", "secret_access_key": "s"}]})");
  REQUIRE(c.credentials.size() == 2);
  CHECK(c.credentials[0].access_key_id == "AKIAEXAMPLE");
  CHECK(c.credentials[0].secret_access_key == "wJalrXUtnFEMI/K7MDENG+bPxRfiCY");
  CHECK(c.credentials[1].access_key_id == "reader_2-x");
  CHECK(c.credentials[1].secret_access_key == "s");
}

TEST_CASE("config: a credential names its user, canonical ID, email and account", "[config]") {
  const server_config c = parse_ok(R"({"credentials": [
    {"access_key_id": "alice", "secret_access_key": "s", "user": "Alice",
     "canonical_id": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
     "email": "alice@example.com", "account_id": "111122223333"}]})");
  REQUIRE(c.credentials.size() == 1);
  CHECK(c.credentials[0].user == "Alice");
  CHECK(c.credentials[0].canonical_id == "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be");
  CHECK(c.credentials[0].email == "alice@example.com");
  CHECK(c.credentials[0].account_id == "111122223333");
  for (const auto* bad :
       {R"({"credentials": [{"access_key_id": "a", "secret_access_key": "s", "account_id": "12"}]})",
        R"({"credentials": [{"access_key_id": "a", "secret_access_key": "s", "canonical_id": "XY"}]})",
        R"({"credentials": [{"access_key_id": "a", "secret_access_key": "s", "email": "nobody"}]})",
        R"({"credentials": [{"access_key_id": "a", "secret_access_key": "s", "user": ""}]})"}) {
    CHECK(parse_error(bad).pointer.starts_with("/credentials/0/"));
  }
}

TEST_CASE("config: malformed credentials are refused without echoing the secret", "[config]") {
  struct bad_case {
    std::string_view json;
    std::string_view pointer;
  };
  const auto item = GENERATE(
      bad_case{R"({"credentials": {}})", "/credentials"},
      bad_case{R"({"credentials": ["AKIA:secret"]})", "/credentials/0"},
      bad_case{R"({"credentials": [{"secret_access_key": "topsecret"}]})", "/credentials/0/access_key_id"},
      bad_case{R"({"credentials": [{"access_key_id": "AKIA"}]})", "/credentials/0/secret_access_key"},
      bad_case{R"({"credentials": [{"access_key_id": "", "secret_access_key": "topsecret"}]})",
               "/credentials/0/access_key_id"},
      bad_case{R"({"credentials": [{"access_key_id": "A/B", "secret_access_key": "topsecret"}]})",
               "/credentials/0/access_key_id"},
      bad_case{R"({"credentials": [{"access_key_id": "AKIA", "secret_access_key": ""}]})",
               "/credentials/0/secret_access_key"},
      bad_case{R"({"credentials": [{"access_key_id": "AKIA", "secret_access_key": 7}]})",
               "/credentials/0/secret_access_key"},
      bad_case{R"({"credentials": [{"access_key_id": "AKIA", "secret_access_key": "topsecret", "x": 1}]})",
               "/credentials/0/x"},
      bad_case{R"({"credentials": [{"access_key_id": "AKIA", "secret_access_key": "topsecret"},
                                   {"access_key_id": "AKIA", "secret_access_key": "topsecret2"}]})",
               "/credentials/1/access_key_id"});
  const config_error e = parse_error(item.json);
  CHECK(e.pointer == item.pointer);
  CHECK(e.message.find("topsecret") == std::string::npos);
}

TEST_CASE("config: access key ids are 1 to 128 letters, digits, '_' or '-'", "[config]") {
  using s3cors::config::is_valid_access_key_id;
  CHECK(is_valid_access_key_id("AKIAIOSFODNN7EXAMPLE"));
  CHECK(is_valid_access_key_id("a"));
  CHECK(is_valid_access_key_id(std::string(128, 'k')));
  CHECK_FALSE(is_valid_access_key_id(""));
  CHECK_FALSE(is_valid_access_key_id(std::string(129, 'k')));
  CHECK_FALSE(is_valid_access_key_id("with space"));
  CHECK_FALSE(is_valid_access_key_id("slash/inside"));
  CHECK_FALSE(is_valid_access_key_id("caf\xc3\xa9"));
}

TEST_CASE("config: a bucket may name a canned ACL", "[config]") {
  const server_config c = parse_ok(R"({"buckets": {
    "aaa": {"acl": "private"}, "bbb": {"acl": "public-read", "cors": "cors.json"}, "ccc": {"acl": "public-read-write"},
    "ddd": {}}})");
  CHECK(c.buckets.at("aaa").acl == "private");
  CHECK(c.buckets.at("bbb").acl == "public-read");
  CHECK(c.buckets.at("bbb").cors_file == "cors.json");
  CHECK(c.buckets.at("ccc").acl == "public-read-write");
  CHECK_FALSE(c.buckets.at("ddd").acl.has_value());
  CHECK(parse_error(R"({"buckets": {"aaa": {"acl": "authenticated-read"}}})").pointer == "/buckets/aaa/acl");
  CHECK(parse_error(R"({"buckets": {"aaa": {"acl": true}}})").pointer == "/buckets/aaa/acl");
  CHECK(s3cors::config::is_valid_acl("public-read"));
  CHECK_FALSE(s3cors::config::is_valid_acl("Public-Read"));
}

// --- distributions (docs/edge.md §9) ---------------------------------------------------------

TEST_CASE("config: distributions take a listen address, an origin bucket and the edge core's fields",
          "[config][edge]") {
  const auto config = parse_ok(R"({"distributions": {"cdn": {"listen": "127.0.0.1:8081",
      "origin": {"bucket": "media"}, "cache_bytes": 1048576, "max_cached_object_bytes": 4096,
      "default_behavior": {"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"},
      "behaviors": [{"path_pattern": "/live/*", "cache_policy": "CachingDisabled", "origin": "live"}]},
    "short": {"listen": ":0", "origin": "media"}}})");
  REQUIRE(config.distributions.size() == 2);
  const auto& cdn = config.distributions.at("cdn");
  CHECK(cdn.listen == "127.0.0.1:8081");
  CHECK(cdn.cache_bytes == 1048576);
  CHECK(cdn.max_cached_object_bytes == 4096);
  CHECK(cdn.config.id == "cdn");  // the name, unless "id" is given
  CHECK(cdn.config.origin_bucket == "media");
  CHECK(cdn.config.default_behavior.cache_policy_ref == "CachingOptimized");
  REQUIRE(cdn.config.behaviors.size() == 1);
  CHECK(cdn.config.behaviors[0].origin_bucket == "live");
  CHECK(cdn.bucket_pointers.at("media") == "/distributions/cdn/origin/bucket");
  CHECK(cdn.bucket_pointers.at("live") == "/distributions/cdn/behaviors/0/origin");
  const auto& brief = config.distributions.at("short");
  CHECK(brief.cache_bytes == std::uint64_t{512} << 20);
  CHECK(brief.max_cached_object_bytes == std::uint64_t{64} << 20);
  CHECK(brief.bucket_pointers.at("media") == "/distributions/short/origin");
  CHECK_FALSE(brief.config.origin_access_control);
}

TEST_CASE("config: origin access control, on the origin or beside it", "[config][edge]") {
  CHECK(parse_ok(R"({"distributions": {"cdn": {"listen": ":0",
      "origin": {"bucket": "media", "origin_access_control": true}}}})")
            .distributions.at("cdn")
            .config.origin_access_control);
  CHECK(
      parse_ok(
          R"({"distributions": {"cdn": {"listen": ":0", "origin": "media", "origin_access_control": true}}})")
          .distributions.at("cdn")
          .config.origin_access_control);
  CHECK(parse_error(R"({"distributions": {"cdn": {"listen": ":0",
      "origin": {"bucket": "media", "origin_access_control": "yes"}}}})")
            .pointer == "/distributions/cdn/origin/origin_access_control");
}

TEST_CASE("config: a distribution may be a CloudFormation DistributionConfig", "[config][edge]") {
  const auto config = parse_ok(R"({"distributions": {"cf": {"listen": "127.0.0.1:0", "cloudformation": {
      "Origins": [{"Id": "s3", "DomainName": "media.s3.amazonaws.com", "S3OriginConfig": {}}],
      "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "ResponseHeadersPolicyId": "60669652-455b-4ae9-85a4-c4c02393f86c"}}}}})");
  const auto& cf = config.distributions.at("cf");
  CHECK(cf.config.id == "cf");
  CHECK(cf.config.origin_bucket == "media");
  CHECK(cf.config.default_behavior.response_headers.has_value());
  CHECK(cf.bucket_pointers.at("media") == "/distributions/cf/cloudformation");
}

TEST_CASE("config: invalid distributions are refused at the offending field", "[config][edge]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"distributions": []})", "/distributions"},
      {R"({"distributions": {"cdn": 1}})", "/distributions/cdn"},
      {R"({"distributions": {"cdn": {"origin": "media"}}})", "/distributions/cdn/listen"},
      {R"({"distributions": {"cdn": {"listen": "nowhere", "origin": "media"}}})",
       "/distributions/cdn/listen"},
      {R"({"distributions": {"cdn": {"listen": ":0"}}})", "/distributions/cdn/origin"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": {"bucket": "Bad_Name"}}}})",
       "/distributions/cdn/origin/bucket"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": {"bucket": "media", "region": "x"}}}})",
       "/distributions/cdn/origin/region"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": {}}}})", "/distributions/cdn/origin/bucket"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": "media", "cache_bytes": 0}}})",
       "/distributions/cdn/cache_bytes"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": "media", "colour": "red"}}})",
       "/distributions/cdn"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": "media",
          "default_behavior": {"cache_policy": "NoSuchPolicy"}}}})",
       "/distributions/cdn/default_behavior/cache_policy"},
      {R"({"distributions": {"cdn": {"listen": ":0", "origin": "media", "cloudformation": {}}}})",
       "/distributions/cdn/origin"},
      {R"({"distributions": {"cdn": {"listen": ":0", "cloudformation": {"Origins": []}}}})",
       "/distributions/cdn/cloudformation"},
  };
  for (const auto& [json, pointer] : cases) {
    const auto error = parse_error(json);
    CAPTURE(error.message);
    CHECK(error.pointer.starts_with(pointer));
  }
}

// --- faults (docs/faults.md §7) ----------------------------------------------------------------

TEST_CASE("config: \"faults\" is a list of fault rules, as an array or {\"rules\": [...]}",
          "[config][faults]") {
  CHECK_FALSE(parse_ok("{}").faults.has_value());
  const auto listed = parse_ok(R"({"faults": [{"name": "slow", "action": {"latency": "2s"}}, {}]})");
  REQUIRE(listed.faults);
  REQUIRE(listed.faults->size() == 2);
  CHECK(listed.faults->at(0).action.latency == std::chrono::milliseconds(2000));
  CHECK(listed.faults->at(1).name == "rule-2");
  const auto wrapped =
      parse_ok(R"({"faults": {"rules": [{"name": "cut", "action": {"cut_after": "16KiB"}}]}})");
  REQUIRE(wrapped.faults);
  CHECK(wrapped.faults->at(0).action.cut_after == 16384u);
  CHECK(parse_ok(R"({"faults": []})").faults->empty());
}

TEST_CASE("config: a bad fault rule is refused at its JSON pointer", "[config][faults]") {
  struct row {
    std::string_view json;
    std::string_view pointer;
  };
  const row rows[] = {
      {R"({"faults": 3})", "/faults"},
      {R"({"faults": [{"action": {"latency": "soon"}}]})", "/faults/0/action/latency"},
      {R"({"faults": [{}, {"match": {"colour": "red"}}]})", "/faults/1/match/colour"},
      {R"({"faults": [{"name": "a"}, {"name": "a"}]})", "/faults/1/name"},
      {R"({"faults": {"rules": [{"when": {"first": "x"}}]}})", "/faults/rules/0/when/first"},
      {R"({"faults": {"rule": []}})", "/faults/rule"},
  };
  for (const auto& r : rows) {
    INFO(r.json);
    CHECK(parse_error(r.json).pointer == r.pointer);
  }
}
