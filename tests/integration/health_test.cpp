// The health endpoint and the JSON access log, through the real server.
#include "server_fixture.hpp"

#include "http_client.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {

// Sends what the process writes to stderr into a file while alive; restores it on destruction.
class capture_stderr {
 public:
  explicit capture_stderr(std::filesystem::path file) : file_(std::move(file)) {
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~capture_stderr() { restore(); }
  capture_stderr(const capture_stderr&) = delete;
  capture_stderr& operator=(const capture_stderr&) = delete;

  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  [[nodiscard]] std::vector<std::string> lines() const {
    std::ifstream in(file_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::filesystem::path file_;
  int saved_ = -1;
};

// Resets the process-wide log settings a test changed.
struct log_settings_guard {
  ~log_settings_guard() {
    s3cors::net::set_log_format(s3cors::net::log_format::text);
    s3cors::net::set_log_level(s3cors::net::log_level::warn);
  }
};

}  // namespace

TEST_CASE("health: GET /_s3cors/health answers 200 application/json", "[integration][health]") {
  server_fixture server;
  const auto res = send_request(server.port(), "GET", "/_s3cors/health");
  CHECK(res.status == 200);
  CHECK(res.header("Content-Type") == "application/json");
  CHECK(res.body == R"({"status":"ok"})");

  const auto head = send_request(server.port(), "HEAD", "/_s3cors/health");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "15");
  CHECK(head.body.empty());

  // Virtual-hosted Host headers do not hide it.
  const auto hosted = send_request(server.port(), "GET", "/_s3cors/health", {{"Host", "media.localhost"}});
  CHECK(hosted.status == 200);
  CHECK(hosted.body == R"({"status":"ok"})");
}

TEST_CASE("access log: --log-format json writes one JSON object per request", "[integration][log]") {
  log_settings_guard guard;
  s3cors::test::temp_dir scratch;
  auto options = server_fixture::quiet_options();
  options.level = s3cors::net::log_level::info;
  s3cors::s3::service_options service;
  service.access_log_details = true;
  s3cors::net::set_log_format(s3cors::net::log_format::json);
  capture_stderr captured(scratch.path() / "stderr.log");
  {
    server_fixture server(options, service);
    server.write("media/hls/a \"b\".m3u8", "#EXTM3U\n");
    server.set_file_cors("media", R"([{"AllowedOrigins": ["http://page.test"], "AllowedMethods": ["GET"]}])");
    CHECK(send_request(server.port(), "GET", "/media/hls/a%20%22b%22.m3u8", {{"Origin", "http://page.test"}})
              .status == 200);
    CHECK(send_request(server.port(), "GET", "/media/missing%01", {{"Origin", "http://evil.test"}}).status ==
          404);
    CHECK(send_request(server.port(), "GET", "/_s3cors/health").status == 200);
    server.stop();  // every access line is written once the server has stopped
  }
  captured.restore();

  std::vector<nlohmann::json> records;
  for (const auto& line : captured.lines()) {
    CAPTURE(line);
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    REQUIRE(parsed.is_object());
    if (parsed.contains("request_id")) records.push_back(parsed);
  }
  REQUIRE(records.size() == 3);
  for (const auto& r : records) {
    for (const char* field : {"time", "request_id", "method", "target", "bucket", "key", "status", "bytes",
                              "duration_ms", "origin", "cors", "note"}) {
      CAPTURE(r.dump(), field);
      CHECK(r.contains(field));
    }
    CHECK(r["request_id"].get<std::string>().size() == 16);
    CHECK(r["duration_ms"].is_number());
  }
  const auto& allowed = records[0];
  CHECK(allowed["method"] == "GET");
  CHECK(allowed["target"] == "/media/hls/a%20%22b%22.m3u8");
  CHECK(allowed["bucket"] == "media");
  CHECK(allowed["key"] == "hls/a \"b\".m3u8");
  CHECK(allowed["status"] == 200);
  CHECK(allowed["bytes"].get<std::uint64_t>() > 8);
  CHECK(allowed["origin"] == "http://page.test");
  CHECK(allowed["cors"] == "allowed rule 0");
  CHECK(allowed["note"].is_null());

  const auto& refused = records[1];
  CHECK(refused["status"] == 404);
  CHECK(refused["key"] == "missing\x01");
  CHECK_THAT(refused["cors"].get<std::string>(), Catch::StartsWith("no match: rule 0 origin_mismatch"));
  CHECK_THAT(refused["note"].get<std::string>(), Catch::Contains("no match"));

  const auto& health = records[2];
  CHECK(health["target"] == "/_s3cors/health");
  CHECK(health["bucket"].is_null());
  CHECK(health["origin"].is_null());
  CHECK(health["cors"] == "not cross-origin");
}

TEST_CASE("access log: JSON strings are escaped and invalid UTF-8 is replaced", "[integration][log]") {
  s3cors::net::access_record r;
  r.time = "2024-01-02T03:04:05.000Z";
  r.request_id = "0123456789ABCDEF";
  r.method = "GET";
  r.target = "/media/\"q\"\\x";
  r.bucket = "media";
  r.key = "caf\xc3\xa9 \xff\xc0\xaf \xed\xa0\x80 \x01\t\n";
  r.status = 200;
  r.bytes = 12;
  r.duration_ms = 1.5;
  const std::string line = s3cors::net::format_access_json(r);
  CHECK(line.find('\n') == std::string::npos);
  const auto parsed = nlohmann::json::parse(line);
  CHECK(parsed["target"] == "/media/\"q\"\\x");
  // é stays; a stray byte, an overlong form and a surrogate become U+FFFD; controls are escaped.
  CHECK(parsed["key"] ==
        "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \x01\t\n");
  CHECK(line.find(R"(\u0001\t\n")") != std::string::npos);
  CHECK(parsed["status"] == 200);
  CHECK(parsed["bytes"] == 12);
  CHECK(parsed["duration_ms"] == 1.5);
  CHECK(parsed["origin"].is_null());
  CHECK(parsed["cors"].is_null());
}

TEST_CASE("logging: with the JSON format every line is a JSON object", "[integration][log]") {
  log_settings_guard guard;
  s3cors::test::temp_dir scratch;
  s3cors::net::set_log_level(s3cors::net::log_level::info);
  s3cors::net::set_log_format(s3cors::net::log_format::json);
  capture_stderr captured(scratch.path() / "stderr.log");
  s3cors::net::log_line(s3cors::net::log_level::warn, "configuration reload rejected: \"x\"");
  s3cors::net::log_line(s3cors::net::log_level::debug, "not shown");
  captured.restore();
  const auto lines = captured.lines();
  REQUIRE(lines.size() == 1);
  const auto parsed = nlohmann::json::parse(lines[0]);
  CHECK(parsed["level"] == "warn");
  CHECK(parsed["message"] == "configuration reload rejected: \"x\"");
  CHECK(parsed["time"].is_string());
}
