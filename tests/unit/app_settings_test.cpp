#include "s3cors/app/settings.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace app = s3cors::app;

namespace {

// An environment made of the given variables only.
app::env_lookup fake_env(std::map<std::string, std::string, std::less<>> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    if (auto it = variables.find(name); it != variables.end()) return it->second;
    return std::nullopt;
  };
}

app::flags flags_of(const std::vector<std::string_view>& args) {
  auto parsed = app::parse_flags(args);
  if (!parsed) FAIL("parse_flags: " << parsed.error().message);
  return *parsed;
}

std::string error_of(const std::vector<std::string_view>& args) {
  auto parsed = app::parse_flags(args);
  if (parsed) FAIL("parse_flags accepted the arguments");
  return parsed.error().message;
}

// A configuration file at /etc/s3cors/config.json with the given JSON members.
std::optional<app::config_file> file_with(std::string_view members) {
  auto parsed = s3cors::config::parse_config(fmt::format("{{{}}}", members));
  if (!parsed) FAIL("parse_config: " << parsed.error().pointer << ": " << parsed.error().message);
  return app::config_file{"/etc/s3cors/config.json", std::move(*parsed)};
}

s3cors::result<app::settings, app::usage_error> resolve(
    const std::vector<std::string_view>& args, std::map<std::string, std::string, std::less<>> env = {},
    std::optional<app::config_file> file = std::nullopt, unsigned default_threads = 2) {
  return app::resolve_settings(flags_of(args), fake_env(std::move(env)), std::move(file), default_threads);
}

std::string resolve_error(const std::vector<std::string_view>& args,
                          std::map<std::string, std::string, std::less<>> env = {},
                          std::optional<app::config_file> file = std::nullopt) {
  auto resolved = resolve(args, std::move(env), std::move(file));
  if (resolved) FAIL("resolve_settings accepted the settings");
  return resolved.error().message;
}

}  // namespace

TEST_CASE(
    "app settings: each setting comes from the flag, else the environment, else the file, else "
    "its default",
    "[app_settings]") {
  struct setting {
    std::string_view name;
    std::string_view flag;  // given with every source
    std::string_view variable, env_value;
    std::string_view file_member;
    std::function<std::string(const app::settings&)> read;
    std::string from_flag, from_env, from_file, by_default;
  };
  const setting table[] = {
      {"listen", "--listen=127.0.0.1:1", "S3CORS_LISTEN", "127.0.0.1:2", R"("listen": "127.0.0.1:3")",
       [](const app::settings& s) { return fmt::format("{}:{}", s.listen.host, s.listen.port); },
       "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:9000"},
      {"threads", "--threads=3", "S3CORS_THREADS", "5", R"("threads": 7)",
       [](const app::settings& s) { return std::to_string(s.threads); }, "3", "5", "7", "2"},
      {"log level", "--log-level=debug", "S3CORS_LOG_LEVEL", "warn", R"("log_level": "error")",
       [](const app::settings& s) { return std::string(s3cors::net::to_string(s.log_level)); }, "debug",
       "warn", "error", "info"},
      // Two values only: the environment's differs from the flag's and the file's.
      {"log format", "--log-format=json", "S3CORS_LOG_FORMAT", "text", R"("log_format": "json")",
       [](const app::settings& s) { return s.log_format == s3cors::net::log_format::json ? "json" : "text"; },
       "json", "text", "json", "text"},
      {"domain", "--domain=flag.test", "S3CORS_DOMAIN", "env.test", R"("domain": "file.test")",
       [](const app::settings& s) { return s.domain; }, "flag.test", "env.test", "file.test", ""},
      {"follow symlinks", "--follow-symlinks", "S3CORS_FOLLOW_SYMLINKS", "no",
       R"("follow_symlinks_outside_root": true)",
       [](const app::settings& s) { return s.follow_symlinks ? "true" : "false"; }, "true", "false", "true",
       "false"},
      {"fsync", "--no-fsync", "S3CORS_FSYNC", "1", R"("fsync": false)",
       [](const app::settings& s) { return s.fsync ? "true" : "false"; }, "false", "true", "false", "true"},
      {"sigv2", "--no-sigv2", "S3CORS_SIGV2", "1", R"("sigv2": false)",
       [](const app::settings& s) { return s.sigv2 ? "true" : "false"; }, "false", "true", "false", "true"},
      {"root", "--root=/flag", "S3CORS_ROOT", "/env", R"("root": "data")",
       [](const app::settings& s) { return s.root.string(); }, "/flag", "/env",
       "/etc/s3cors/data",  // relative to the file's directory
       ""},
  };
  for (const auto& s : table) {
    INFO("setting: " << s.name);
    const bool is_root = s.name == "root";
    std::vector<std::string_view> args;
    if (!is_root) args.push_back("--root=/data");
    const std::map<std::string, std::string, std::less<>> env{
        {std::string(s.variable), std::string(s.env_value)}};
    const auto file = file_with(s.file_member);

    auto with_flag = args;
    with_flag.push_back(s.flag);
    auto resolved = resolve(with_flag, env, file);
    REQUIRE(resolved.has_value());
    CHECK(s.read(*resolved) == s.from_flag);

    resolved = resolve(args, env, file);
    REQUIRE(resolved.has_value());
    CHECK(s.read(*resolved) == s.from_env);

    resolved = resolve(args, {}, file);
    REQUIRE(resolved.has_value());
    CHECK(s.read(*resolved) == s.from_file);

    // An empty variable counts as unset.
    resolved = resolve(args, {{std::string(s.variable), ""}}, file);
    REQUIRE(resolved.has_value());
    CHECK(s.read(*resolved) == s.from_file);

    if (is_root) {
      CHECK(resolve_error(args) ==
            R"(--root DIR (or S3CORS_ROOT, or "root" in the config file) is required)");
    } else {
      resolved = resolve(args, {{std::string(s.variable), ""}});
      REQUIRE(resolved.has_value());
      CHECK(s.read(*resolved) == s.by_default);
    }
  }
}

TEST_CASE("app settings: the configuration file is --config, else S3CORS_CONFIG", "[app_settings]") {
  const auto env = fake_env({{"S3CORS_CONFIG", "/env/config.json"}});
  CHECK(app::config_file_of(flags_of({"--config", "/flag/config.json"}), env) == "/flag/config.json");
  CHECK(app::config_file_of(flags_of({}), env) == "/env/config.json");
  CHECK(app::config_file_of(flags_of({}), fake_env({{"S3CORS_CONFIG", ""}})) == std::nullopt);
  CHECK(app::config_file_of(flags_of({}), fake_env({})) == std::nullopt);
}

TEST_CASE("app settings: a root from the file is relative to the file, one from a flag is not",
          "[app_settings]") {
  auto resolved = resolve({}, {}, app::config_file{"config.json", file_with(R"("root": "data")")->content});
  REQUIRE(resolved.has_value());
  CHECK(resolved->root == "data");
  resolved = resolve({"--root", "data"}, {}, file_with(R"("root": "elsewhere")"));
  REQUIRE(resolved.has_value());
  CHECK(resolved->root == "data");
  resolved = resolve({}, {}, file_with(R"("root": "/srv/data")"));
  REQUIRE(resolved.has_value());
  CHECK(resolved->root == "/srv/data");
}

TEST_CASE("app settings: the environment's key pair is added to the file's, replacing its id",
          "[app_settings]") {
  const auto file = file_with(R"("credentials": [{"access_key_id": "a", "secret_access_key": "file-a"},
                                                   {"access_key_id": "b", "secret_access_key": "file-b"}])");
  SECTION("same id: replaced") {
    auto resolved =
        resolve({"--root=/d"}, {{"S3CORS_ACCESS_KEY_ID", "a"}, {"S3CORS_SECRET_ACCESS_KEY", "env-a"}}, file);
    REQUIRE(resolved.has_value());
    REQUIRE(resolved->credentials.size() == 2);
    CHECK(resolved->credentials[0].access_key_id == "b");
    CHECK(resolved->credentials[1].access_key_id == "a");
    CHECK(resolved->credentials[1].secret_access_key == "env-a");
  }
  SECTION("new id: added") {
    auto resolved =
        resolve({"--root=/d"}, {{"S3CORS_ACCESS_KEY_ID", "c"}, {"S3CORS_SECRET_ACCESS_KEY", "env-c"}}, file);
    REQUIRE(resolved.has_value());
    CHECK(resolved->credentials.size() == 3);
  }
  SECTION("none in the environment: the file's") {
    auto resolved =
        resolve({"--root=/d"}, {{"S3CORS_ACCESS_KEY_ID", ""}, {"S3CORS_SECRET_ACCESS_KEY", ""}}, file);
    REQUIRE(resolved.has_value());
    CHECK(resolved->credentials.size() == 2);
  }
}

TEST_CASE("app settings: flags are parsed as --name VALUE or --name=VALUE", "[app_settings]") {
  const auto f = flags_of({"--root", "/r", "--listen=:8080", "--threads", "4", "--follow-symlinks",
                           "--config=/c.json", "--log-level", "warn", "--log-format=json", "--domain", "d"});
  CHECK(f.root == "/r");
  CHECK(f.listen == ":8080");
  CHECK(f.threads == 4u);
  CHECK(f.follow_symlinks == true);
  CHECK(f.config == "/c.json");
  CHECK(f.log_level == "warn");
  CHECK(f.log_format == "json");
  CHECK(f.domain == "d");
  CHECK_FALSE(f.help);
  CHECK_FALSE(f.version);

  SECTION("--help and --version end the parsing") {
    CHECK(flags_of({"--help", "--bogus"}).help);
    CHECK(flags_of({"-h"}).help);
    CHECK(flags_of({"--root=/r", "--version", "--threads=0"}).version);
    CHECK(error_of({"--bogus", "--help"}) == "unknown option '--bogus' (see --help)");
  }
}

TEST_CASE("app settings: command-line usage errors", "[app_settings]") {
  CHECK(error_of({"--bogus"}) == "unknown option '--bogus' (see --help)");
  CHECK(error_of({"--bogus=1"}) == "unknown option '--bogus' (see --help)");
  CHECK(error_of({"root"}) == "unknown option 'root' (see --help)");
  CHECK(error_of({"--root"}) == "option --root needs a value");
  CHECK(error_of({"--root=/r", "--listen"}) == "option --listen needs a value");
  const std::string_view bad_threads[] = {"0", "1025", "-1", "abc", "4x", "", "99999999999999999999"};
  for (const auto text : bad_threads) {
    const std::string arg = fmt::format("--threads={}", text);
    CHECK(error_of({arg}) == fmt::format("--threads expects a number from 1 to 1024, not '{}'", text));
  }
  CHECK(flags_of({"--threads=1"}).threads == 1u);
  CHECK(flags_of({"--threads=1024"}).threads == 1024u);
}

TEST_CASE("app settings: invalid values are usage errors naming their sources", "[app_settings]") {
  CHECK(resolve_error({"--root=/r", "--listen=nope"}) ==
        "the listen address (--listen, S3CORS_LISTEN or \"listen\") expects HOST:PORT, not 'nope'");
  CHECK(resolve_error({"--root=/r"}, {{"S3CORS_LISTEN", "host:99999"}}) ==
        "the listen address (--listen, S3CORS_LISTEN or \"listen\") expects HOST:PORT, not 'host:99999'");
  CHECK(resolve_error({"--root=/r", "--log-level=loud"}) ==
        "the log level (--log-level, S3CORS_LOG_LEVEL or \"log_level\") expects debug, info, warn, error or "
        "off, not 'loud'");
  CHECK(resolve_error({"--root=/r", "--log-format=xml"}) ==
        "the log format (--log-format, S3CORS_LOG_FORMAT or \"log_format\") expects text or json, not 'xml'");
  CHECK(resolve_error({"--root=/r"}, {{"S3CORS_THREADS", "many"}}) ==
        "S3CORS_THREADS expects a number from 1 to 1024, not 'many'");
  CHECK(resolve_error({"--root=/r"}, {{"S3CORS_FOLLOW_SYMLINKS", "maybe"}}) ==
        "S3CORS_FOLLOW_SYMLINKS expects 1/true/yes or 0/false/no, not 'maybe'");
  CHECK(resolve_error({"--root=/r"}, {{"S3CORS_ACCESS_KEY_ID", "id"}}) ==
        "S3CORS_ACCESS_KEY_ID and S3CORS_SECRET_ACCESS_KEY must be set together");
  CHECK(resolve_error({"--root=/r"}, {{"S3CORS_SECRET_ACCESS_KEY", "secret"}}) ==
        "S3CORS_ACCESS_KEY_ID and S3CORS_SECRET_ACCESS_KEY must be set together");
  CHECK(
      resolve_error({"--root=/r"}, {{"S3CORS_ACCESS_KEY_ID", "bad id"}, {"S3CORS_SECRET_ACCESS_KEY", "s"}}) ==
      "S3CORS_ACCESS_KEY_ID expects 1 to 128 ASCII letters, digits, '_' or '-'");
}

TEST_CASE("app settings: S3CORS_FOLLOW_SYMLINKS accepts 1/true/yes and 0/false/no", "[app_settings]") {
  for (const std::string_view yes : {"1", "true", "yes"}) {
    auto resolved = resolve({"--root=/r"}, {{"S3CORS_FOLLOW_SYMLINKS", std::string(yes)}});
    REQUIRE(resolved.has_value());
    CHECK(resolved->follow_symlinks);
  }
  for (const std::string_view no : {"0", "false", "no"}) {
    auto resolved = resolve({"--root=/r"}, {{"S3CORS_FOLLOW_SYMLINKS", std::string(no)}},
                            file_with(R"("follow_symlinks_outside_root": true)"));
    REQUIRE(resolved.has_value());
    CHECK_FALSE(resolved->follow_symlinks);
  }
}

TEST_CASE("app settings: value() of a usage error throws its message", "[app_settings]") {
  auto resolved = resolve({});
  CHECK_THROWS_WITH(resolved.value(), Catch::Contains("--root DIR"));
}

TEST_CASE("app settings: the inspector is on by default only when every listener is on loopback",
          "[app_settings][inspector]") {
  struct row {
    std::vector<std::string_view> args;
    std::map<std::string, std::string, std::less<>> env;
    std::string_view file;
    bool enabled;
  };
  const std::vector<row> table{
      {{"--root", "/data"}, {}, "", true},  // 127.0.0.1:9000
      {{"--root", "/data", "--listen", "127.0.0.2:9000"}, {}, "", true},
      {{"--root", "/data", "--listen", "localhost:9000"}, {}, "", true},
      {{"--root", "/data", "--listen", "[::1]:9000"}, {}, "", true},
      {{"--root", "/data", "--listen", "0.0.0.0:9000"}, {}, "", false},
      {{"--root", "/data", "--listen", "[::]:9000"}, {}, "", false},
      {{"--root", "/data", "--listen", "192.168.1.5:9000"}, {}, "", false},
      {{"--root", "/data", "--listen", "0.0.0.0:9000", "--inspector"}, {}, "", true},
      {{"--root", "/data", "--listen", "0.0.0.0:9000"}, {{"S3CORS_INSPECTOR", "1"}}, "", true},
      {{"--root", "/data", "--listen", "0.0.0.0:9000"}, {}, R"("inspector": true)", true},
      {{"--root", "/data"}, {}, R"("inspector": false)", false},
      {{"--root", "/data", "--no-inspector"}, {}, "", false},
      // The flag wins over the file.
      {{"--root", "/data", "--listen", "0.0.0.0:9000", "--no-inspector"}, {}, R"("inspector": true)", false},
  };
  for (const auto& r : table) {
    CAPTURE(r.args, r.file);
    auto resolved = resolve(r.args, r.env, r.file.empty() ? std::nullopt : file_with(r.file));
    REQUIRE(resolved.has_value());
    CHECK(app::inspector_enabled(*resolved) == r.enabled);
  }
}
