#include "s3cors/app/healthcheck.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace app = s3cors::app;

namespace {

app::env_lookup listen_env(std::optional<std::string> listen) {
  return [listen = std::move(listen)](std::string_view name) -> std::optional<std::string> {
    if (name == "S3CORS_LISTEN") return listen;
    return std::nullopt;
  };
}

}  // namespace

TEST_CASE("app healthcheck: probe URLs", "[app_healthcheck]") {
  struct row {
    std::string_view url;
    app::probe_target expected;
  };
  const row rows[] = {
      {"http://127.0.0.1:9000/_s3cors/health", {"127.0.0.1", 9000, "/_s3cors/health"}},
      {"http://127.0.0.1:8080", {"127.0.0.1", 8080, "/_s3cors/health"}},  // no path: the health endpoint
      {"127.0.0.1:8080/ready", {"127.0.0.1", 8080, "/ready"}},            // no scheme
      {"http://10.0.0.1/x?y=1", {"10.0.0.1", 80, "/x?y=1"}},              // no port: 80
      {"http://localhost:9001/", {"127.0.0.1", 9001, "/"}},               // localhost: IPv4 loopback
      {"http://[::1]:9002/h", {"::1", 9002, "/h"}},
      {"http://[::1]/h", {"::1", 80, "/h"}},
      {"http://[fe80::1]:1", {"fe80::1", 1, "/_s3cors/health"}},
      {"http://127.0.0.1:65535", {"127.0.0.1", 65535, "/_s3cors/health"}},
  };
  for (const auto& r : rows) {
    INFO(r.url);
    const auto parsed = app::parse_probe_url(r.url);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == r.expected);
  }
}

TEST_CASE("app healthcheck: malformed probe URLs", "[app_healthcheck]") {
  struct row {
    std::string_view url;
    std::string_view message;
  };
  const row rows[] = {
      {"https://127.0.0.1/", "healthcheck: only http:// URLs"},
      {"ftp://127.0.0.1/", "healthcheck: only http:// URLs"},
      {"http://[::1:9000/", "healthcheck: bad IPv6 address in URL"},
      {"http://[::1]9000/", "healthcheck: bad URL"},
      {"http://127.0.0.1:0/", "healthcheck: bad port '0'"},
      {"http://127.0.0.1:65536/", "healthcheck: bad port '65536'"},
      {"http://127.0.0.1:http/", "healthcheck: bad port 'http'"},
  };
  for (const auto& r : rows) {
    INFO(r.url);
    const auto parsed = app::parse_probe_url(r.url);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == r.message);
  }
}

TEST_CASE("app healthcheck: the default target is S3CORS_LISTEN's port through loopback",
          "[app_healthcheck]") {
  struct row {
    std::optional<std::string> listen;
    app::probe_target expected;
  };
  const row rows[] = {
      {std::nullopt, {"127.0.0.1", 9000, "/_s3cors/health"}},
      {"", {"127.0.0.1", 9000, "/_s3cors/health"}},  // empty counts as unset
      {"0.0.0.0:8080", {"127.0.0.1", 8080, "/_s3cors/health"}},
      {"[::]:8081", {"::1", 8081, "/_s3cors/health"}},
      {"localhost:8082", {"127.0.0.1", 8082, "/_s3cors/health"}},
      {"10.1.2.3:8083", {"10.1.2.3", 8083, "/_s3cors/health"}},
      {"[fd00::5]:8084", {"fd00::5", 8084, "/_s3cors/health"}},
      {":8085", {"127.0.0.1", 8085, "/_s3cors/health"}},
  };
  for (const auto& r : rows) {
    INFO(r.listen.value_or("(unset)"));
    const auto target = app::default_probe_target(listen_env(r.listen));
    REQUIRE(target.has_value());
    CHECK(*target == r.expected);
  }
  SECTION("errors") {
    auto target = app::default_probe_target(listen_env("nonsense"));
    REQUIRE_FALSE(target.has_value());
    CHECK(target.error().message == "S3CORS_LISTEN is not HOST:PORT");
    target = app::default_probe_target(listen_env("127.0.0.1:0"));
    REQUIRE_FALSE(target.has_value());
    CHECK(target.error().message == "S3CORS_LISTEN names port 0: pass the URL to probe");
  }
}

TEST_CASE("app healthcheck: argument errors", "[app_healthcheck]") {
  const auto env = listen_env(std::nullopt);
  auto run = [&](std::vector<std::string_view> args) { return app::run_healthcheck(args, env); };
  CHECK(run({"--timeout"}).error().message == "--timeout needs a value");
  for (const std::string_view bad : {"0", "-1", "abc", "3601", "1s", ""}) {
    INFO(bad);
    CHECK(run({"--timeout", bad}).error().message ==
          fmt::format("--timeout expects seconds (e.g. 2 or 0.5), not '{}'", bad));
  }
  CHECK(run({"--verbose"}).error().message ==
        "healthcheck: unexpected argument '--verbose' (see s3cors healthcheck --help)");
  CHECK(run({"http://127.0.0.1:1/", "http://127.0.0.1:2/"}).error().message ==
        "healthcheck: unexpected argument 'http://127.0.0.1:2/' (see s3cors healthcheck --help)");
  CHECK(run({"https://127.0.0.1/"}).error().message == "healthcheck: only http:// URLs");
}
