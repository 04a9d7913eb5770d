#include "s3cors/app/application.hpp"

#include "s3cors/auth/sigv4.hpp"

#include "temp_dir.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace app = s3cors::app;
using namespace std::chrono_literals;

namespace {

// The application logs its reloads and sweeps; the tests check their outcomes instead.
struct quiet_log {
  quiet_log() { s3cors::net::set_log_level(s3cors::net::log_level::off); }
  ~quiet_log() { s3cors::net::set_log_level(s3cors::net::log_level::info); }
  quiet_log(const quiet_log&) = delete;
  quiet_log& operator=(const quiet_log&) = delete;
};

app::env_lookup no_environment() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

std::string cors_rules_for(std::string_view origin) {
  return fmt::format(R"([{{"AllowedMethods": ["GET"], "AllowedOrigins": ["{}"]}}])", origin);
}

// A data root with bucket "media", and a configuration file naming media's CORS file.
struct config_fixture {
  quiet_log quiet;
  s3cors::test::temp_dir dir;
  std::filesystem::path config = dir.path() / "config.json";

  explicit config_fixture(std::string_view extra_members = "") {
    dir.make_dir("data/media");
    dir.write("cors.json", cors_rules_for("https://first.example"));
    write_config(extra_members);
  }
  void write_config(std::string_view extra_members = "") const {
    dir.write("config.json",
              fmt::format(R"({{"root": "data", "buckets": {{"media": {{"cors": "cors.json"}}}}{}}})",
                          extra_members));
  }
  [[nodiscard]] app::settings settings() const {
    app::flags flags;
    flags.config = config.string();
    auto resolved = app::load_settings(flags, no_environment(), 1);
    if (!resolved) FAIL("load_settings: " << resolved.error().message);
    return std::move(*resolved);
  }
};

std::string first_origin(app::application& application, std::string_view bucket) {
  const auto config = application.cors().find(bucket);
  if (!config || config->rules.empty() || config->rules.front().allowed_origins.empty()) return "(none)";
  return config->rules.front().allowed_origins.front();
}

}  // namespace

TEST_CASE("app application: built from the settings, with the file's CORS rules", "[app_application]") {
  const config_fixture f;
  app::application application(f.settings());
  CHECK(first_origin(application, "media") == "https://first.example");
  CHECK(application.current_settings().root == f.dir.path() / "data");
  CHECK(application.server_options().threads == 1);
  CHECK(application.server_options().max_connections == 10000);
  CHECK_FALSE(application.has_config_changed());
}

TEST_CASE("app application: the file's limits become the server options", "[app_application]") {
  const config_fixture f(R"(, "limits": {"max_connections": 12, "idle_timeout_seconds": 7})");
  app::application application(f.settings());
  CHECK(application.server_options().max_connections == 12);
  CHECK(application.server_options().idle_timeout == 7s);
  CHECK(application.server_options().host == "127.0.0.1");
  CHECK(application.server_options().port == 9000);
}

TEST_CASE("app application: a data root that is not a directory fails at start", "[app_application]") {
  const s3cors::test::temp_dir dir;
  app::settings s;
  s.root = dir.path() / "missing";
  CHECK_THROWS_WITH(app::application(s), Catch::Contains("is not a directory"));
}

TEST_CASE("app application: reload applies a valid edit and rejects an invalid one", "[app_application]") {
  const config_fixture f;
  app::application application(f.settings());

  SECTION("a valid CORS edit is applied") {
    f.dir.write("cors.json", cors_rules_for("https://second.example.com"));
    CHECK(application.has_config_changed());
    const auto outcome = application.reload("test");
    CHECK(outcome.status == app::reload_status::applied);
    CHECK(outcome.reason.empty());
    CHECK(first_origin(application, "media") == "https://second.example.com");
    CHECK_FALSE(application.has_config_changed());

    SECTION("then an invalid one is rejected, keeping the rules in force") {
      f.dir.write("cors.json", R"([{"AllowedMethods": ["FETCH"], "AllowedOrigins": ["*"]}])");
      CHECK(application.has_config_changed());
      const auto rejected = application.reload("test");
      CHECK(rejected.status == app::reload_status::rejected);
      CHECK_THAT(rejected.reason, Catch::Contains("cors.json"));
      CHECK(first_origin(application, "media") == "https://second.example.com");
      // The files stay watched: the next edit is noticed.
      CHECK_FALSE(application.has_config_changed());
      f.dir.write("cors.json", cors_rules_for("https://third.example"));
      CHECK(application.has_config_changed());
      CHECK(application.reload("test").status == app::reload_status::applied);
      CHECK(first_origin(application, "media") == "https://third.example");
    }
  }
  SECTION("a configuration file that no longer parses is rejected") {
    f.dir.write("config.json", R"({"root": "data", "buckets": )");
    CHECK(application.has_config_changed());
    const auto rejected = application.reload("SIGHUP");
    CHECK(rejected.status == app::reload_status::rejected);
    CHECK_THAT(rejected.reason, Catch::Contains("invalid config file"));
    CHECK(first_origin(application, "media") == "https://first.example");
  }
  SECTION("a bucket removed from the file loses its rules") {
    f.dir.write("config.json", R"({"root": "data"})");
    CHECK(application.reload("test").status == app::reload_status::applied);
    CHECK(first_origin(application, "media") == "(none)");
  }
}

TEST_CASE("app application: without a configuration file there is nothing to reload", "[app_application]") {
  const s3cors::test::temp_dir dir;
  app::settings s;
  s.root = dir.path();
  app::application application(std::move(s));
  CHECK(application.reload("SIGHUP").status == app::reload_status::no_config_file);
  CHECK_FALSE(application.has_config_changed());
}

TEST_CASE("app application: sweep removes uploads abandoned for abandoned_upload_seconds",
          "[app_application]") {
  const config_fixture f(R"(, "abandoned_upload_seconds": 3600)");
  app::application application(f.settings());
  auto& store = application.store();
  const auto id = store.create_upload("media", "video.mp4", {});
  REQUIRE(id.has_value());
  const auto initiated = store.get_upload("media", *id)->initiated;

  // The first call sweeps; it is too early for this upload.
  auto swept = application.sweep(initiated + 3600s);
  REQUIRE(swept.has_value());
  CHECK(swept->has_run);
  CHECK(swept->removed == 0);
  CHECK(store.get_upload("media", *id).has_value());

  // Once a minute at most, whatever the time says about the upload.
  swept = application.sweep(initiated + 3600s + app::sweep_interval - 1s);
  REQUIRE(swept.has_value());
  CHECK_FALSE(swept->has_run);
  CHECK(store.get_upload("media", *id).has_value());

  swept = application.sweep(initiated + 3600s + app::sweep_interval);
  REQUIRE(swept.has_value());
  CHECK(swept->has_run);
  CHECK(swept->removed == 1);
  CHECK_FALSE(store.get_upload("media", *id).has_value());
}

TEST_CASE("app application: abandoned_upload_seconds 0 never sweeps", "[app_application]") {
  const config_fixture f(R"(, "abandoned_upload_seconds": 0)");
  app::application application(f.settings());
  const auto id = application.store().create_upload("media", "k", {});
  REQUIRE(id.has_value());
  const auto initiated = application.store().get_upload("media", *id)->initiated;
  auto swept = application.sweep(initiated + 3650 * 24h);
  REQUIRE(swept.has_value());
  CHECK_FALSE(swept->has_run);
  CHECK(application.store().get_upload("media", *id).has_value());
}

TEST_CASE("app application: load_settings checks the environment, the file, the root, then the rest",
          "[app_application]") {
  const config_fixture f;
  app::flags flags;
  flags.config = f.config.string();
  flags.listen = "not an address";
  SECTION("an invalid environment value comes first") {
    f.dir.write("config.json", "{");
    const auto env = [](std::string_view name) -> std::optional<std::string> {
      if (name == "S3CORS_THREADS") return "many";
      return std::nullopt;
    };
    const auto loaded = app::load_settings(flags, env, 1);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().message == "S3CORS_THREADS expects a number from 1 to 1024, not 'many'");
  }
  SECTION("then the file") {
    f.dir.write("config.json", "{");
    CHECK_THROWS_WITH(app::load_settings(flags, no_environment(), 1), Catch::Contains("invalid config file"));
  }
  SECTION("then the root") {
    flags.root = (f.dir.path() / "missing").string();
    CHECK_THROWS_WITH(app::load_settings(flags, no_environment(), 1), Catch::Contains("is not a directory"));
  }
  SECTION("then the other settings") {
    const auto loaded = app::load_settings(flags, no_environment(), 1);
    REQUIRE_FALSE(loaded.has_value());
    CHECK_THAT(loaded.error().message, Catch::StartsWith("the listen address"));
  }
}

TEST_CASE("app application: a configuration file that is not a small text is refused in one line",
          "[app_application]") {
  app::flags flags;
  flags.config = "/dev/zero";  // endless: must not be read into memory
  CHECK_THROWS_WITH(app::load_settings(flags, no_environment(), 1), Catch::Contains("larger than 1 MiB"));
}

TEST_CASE("app application: a reload that would make the server refuse everything is rejected",
          "[app_application]") {
  const config_fixture f;
  app::application application(f.settings());
  f.write_config(R"(, "limits": {"max_connections": 0})");
  const auto outcome = application.reload("test");
  CHECK(outcome.status == app::reload_status::rejected);
  CHECK_THAT(outcome.reason, Catch::Contains("/limits/max_connections"));
}

TEST_CASE("app application: a reload applies removed and added key pairs at once", "[app_application]") {
  const config_fixture f(R"(, "credentials": [{"access_key_id": "AKIDFIRST", "secret_access_key": "one"}])");
  f.dir.write("data/media/a.txt", "aaa");
  app::application application(f.settings());
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto status_with = [&](const s3cors::auth::credential& key) {
    s3cors::request req;
    req.method_name = "GET";
    req.target = "/media/a.txt";
    req.headers.add("Host", "127.0.0.1:9000");
    s3cors::auth::sign_request(req, key, now);
    return application.service().handle(req, {now, "REQ", "HOST"}).res.status;
  };
  const s3cors::auth::credential first{"AKIDFIRST", "one"};
  const s3cors::auth::credential second{"AKIDSECOND", "two"};
  CHECK(status_with(first) == 200);
  CHECK(status_with(second) == 403);
  f.write_config(R"(, "credentials": [{"access_key_id": "AKIDSECOND", "secret_access_key": "two"}])");
  REQUIRE(application.reload("test").status == app::reload_status::applied);
  CHECK(status_with(first) == 403);  // removed: refused without a restart
  CHECK(status_with(second) == 200);
}

TEST_CASE("app application: each distribution gets a gateway and its listen address",
          "[app_application][edge]") {
  const config_fixture f(
      R"(, "distributions": {"cdn": {"listen": "127.0.0.1:8081", "origin": {"bucket": "media"},
      "cache_bytes": 4096, "default_behavior": {"cache_policy": "CachingOptimized"}}})");
  app::application application(f.settings());
  const auto distributions = application.distributions();
  REQUIRE(distributions.size() == 1);
  CHECK(distributions[0].name == "cdn");
  CHECK(distributions[0].options.host == "127.0.0.1");
  CHECK(distributions[0].options.port == 8081);
  CHECK(distributions[0].options.threads == application.server_options().threads);
  REQUIRE(distributions[0].gateway != nullptr);
  CHECK(distributions[0].gateway->config().origin_bucket == "media");
  CHECK(distributions[0].gateway->cache().max_bytes() == 4096);
}

TEST_CASE("app application: a distribution whose origin bucket does not exist fails at start",
          "[app_application][edge]") {
  const config_fixture f(
      R"(, "distributions": {"cdn": {"listen": "127.0.0.1:0", "origin": {"bucket": "nosuch"}}})");
  CHECK_THROWS_WITH(app::application(f.settings()),
                    Catch::Contains("/distributions/cdn/origin/bucket: no bucket \"nosuch\""));
  const config_fixture g(R"(, "distributions": {"cdn": {"listen": "127.0.0.1:0", "origin": "media",
      "behaviors": [{"path_pattern": "/live/*", "origin": "live"}]}})");
  CHECK_THROWS_WITH(app::application(g.settings()), Catch::Contains("/distributions/cdn/behaviors/0/origin"));
}

// --- media faults (docs/faults.md §7) -----------------------------------------------------------

namespace {

s3cors::faults::fault_request segment_request(std::string_view key) {
  s3cors::faults::fault_request r;
  r.bucket = "media";
  r.key = key;
  r.method = "GET";
  return r;
}

}  // namespace

TEST_CASE("app application: the file's fault rules are in force at start and the media index is built",
          "[app_application][faults]") {
  config_fixture f(R"(, "faults": [{"name": "bad", "match": {"kind": "segment", "segment": 1},
                                    "action": {"error": 503}, "when": {"first": 1}}])");
  f.dir.write("data/media/hls/main.m3u8", "#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n");
  app::application application(f.settings());
  auto& engine = application.faults().engine();
  REQUIRE(engine.rules().size() == 1);
  CHECK(engine.rules().front().name == "bad");
  const auto media = application.faults().media_of("media", "hls/b.ts");
  CHECK(media.kind == s3cors::faults::media_kind::hls_media_segment);
  CHECK(media.segment_index == 1u);
}

TEST_CASE("app application: a reload replaces the file's fault rules, keeping an unchanged rule's counters",
          "[app_application][faults]") {
  config_fixture f(R"(, "faults": [{"name": "once", "match": {"key": "*.ts"}, "action": {"error": 503},
                                    "when": {"first": 1}}])");
  app::application application(f.settings());
  auto& engine = application.faults().engine();
  auto request = segment_request("a.ts");
  CHECK(engine.decide(request).error.has_value());  // the first match fires

  SECTION("an edit elsewhere keeps the rules and the API's additions") {
    REQUIRE(engine.add(R"({"name": "api", "action": {"latency": 5}})").has_value());
    f.write_config(R"(, "faults": [{"name": "once", "match": {"key": "*.ts"}, "action": {"error": 503},
                                    "when": {"first": 1}}], "cors_debug_header": true)");
    REQUIRE(application.reload("test").status == app::reload_status::applied);
    CHECK(engine.rules().size() == 2);
    CHECK_FALSE(engine.decide(request).error.has_value());  // "first": 1 already spent
  }
  SECTION("a changed list replaces the rules; the unchanged one keeps its counters") {
    f.write_config(R"(, "faults": [{"name": "once", "match": {"key": "*.ts"}, "action": {"error": 503},
                                    "when": {"first": 1}},
                                   {"name": "new", "action": {"latency": "10ms"}}])");
    REQUIRE(application.reload("test").status == app::reload_status::applied);
    REQUIRE(engine.rules().size() == 2);
    const auto plan = engine.decide(request);
    CHECK_FALSE(plan.error.has_value());
    CHECK(plan.rules == std::vector<std::string>{"new"});
  }
  SECTION("removing \"faults\" clears them") {
    f.write_config();
    REQUIRE(application.reload("test").status == app::reload_status::applied);
    CHECK(engine.empty());
  }
  SECTION("an invalid rule rejects the reload at its pointer and keeps the rules") {
    f.write_config(R"(, "faults": [{"name": "once", "action": {"latency": "soon"}}])");
    const auto outcome = application.reload("test");
    CHECK(outcome.status == app::reload_status::rejected);
    CHECK_THAT(outcome.reason, Catch::Contains("/faults/0/action/latency"));
    CHECK(engine.rules().size() == 1);
  }
}
