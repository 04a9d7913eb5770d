// Media faults through the real server (docs/faults.md §5.3): each action as a client sees it,
// the schedules and client selectors across requests, the media index kept in step with
// writes, and the /_s3cors/faults control API.
#include "http_client.hpp"
#include "raw_connection.hpp"
#include "server_fixture.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <thread>

using s3cors::test::raw_connection;
using s3cors::test::raw_exchange;
using s3cors::test::send_request;
using s3cors::test::server_fixture;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::string get_request(std::string_view target, std::string_view extra = "") {
  return fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n", target, extra);
}

// The body after the head.
std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + (i * 7) % 26);
  return out;
}

// A fixture with an HLS rendition in bucket media: hls/index.m3u8 naming seg0..seg3.ts
// (100,000 bytes each: sent with sendfile) and small.ts (10,000 bytes: from memory).
struct media_fixture {
  server_fixture server;
  media_fixture() {
    server.write("media/hls/master.m3u8",
                 "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nindex.m3u8\n");
    server.write("media/hls/index.m3u8",
                 "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:10\n"
                 "#EXTINF:4,\nseg0.ts\n#EXTINF:4,\nseg1.ts\n#EXTINF:4,\nseg2.ts\n#EXTINF:4,\nseg3.ts\n");
    for (int i = 0; i < 4; ++i) server.write(fmt::format("media/hls/seg{}.ts", i), pattern(100'000));
    server.write("media/hls/small.ts", pattern(10'000));
    server.faults().rebuild_index();
  }
  void add(std::string_view rule) {
    auto added = server.faults().engine().add(rule);
    if (!added) FAIL(added.error().pointer << ": " << added.error().message);
  }
  [[nodiscard]] std::uint16_t port() const { return server.port(); }
};

}  // namespace

TEST_CASE("faults: latency delays the head by at least the rule's delay", "[integration][faults]") {
  media_fixture f;
  f.add(R"({"name": "slow", "match": {"kind": "manifest"}, "action": {"latency": "300ms"}})");
  const auto start = steady::now();
  const auto res = send_request(f.port(), "GET", "/media/hls/master.m3u8");
  const auto elapsed = steady::now() - start;
  CHECK(res.status == 200);
  CHECK(elapsed >= 300ms);
  // Another kind is not delayed.
  const auto quick_start = steady::now();
  CHECK(send_request(f.port(), "GET", "/media/hls/index.m3u8").status == 200);
  CHECK(steady::now() - quick_start < 300ms);
}

TEST_CASE("faults: an injected 503 SlowDown carries S3's error body and the CORS headers of real errors",
          "[integration][faults]") {
  media_fixture f;
  f.server.set_file_cors("media",
                         R"([{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://player.example"],
                                       "ExposeHeaders": ["ETag"]}])");
  const s3cors::test::header_fields origin{{"Origin", "https://player.example"}};

  SECTION("CORS headers as on a real error, and the fault header readable by the page") {
    f.add(R"({"name": "bad-segment", "match": {"kind": "segment", "segment": 2,
                                                "rendition": {"resolution": "640x360"}},
              "action": {"error": "SlowDown"}, "response_header": true})");
    const auto res = send_request(f.port(), "GET", "/media/hls/seg2.ts", origin);
    CHECK(res.status == 503);
    CHECK_THAT(res.body, Catch::Contains("<Code>SlowDown</Code>"));
    CHECK(res.header("Access-Control-Allow-Origin") == "https://player.example");
    CHECK(res.header("x-s3cors-fault") == "bad-segment");
    CHECK(res.header("Access-Control-Expose-Headers") == "ETag, x-s3cors-fault");
    // The same CORS headers as a real 404 of that bucket.
    const auto missing = send_request(f.port(), "GET", "/media/hls/none.ts", origin);
    CHECK(missing.status == 404);
    CHECK(missing.header("Access-Control-Allow-Origin") == res.header("Access-Control-Allow-Origin"));
    // Other segments are served.
    CHECK(send_request(f.port(), "GET", "/media/hls/seg1.ts", origin).status == 200);
  }
  SECTION("drop_cors: a CDN's error page, without CORS headers") {
    f.add(R"({"name": "cdn", "match": {"key": "hls/seg2.ts"}, "action": {"error": 403}, "drop_cors": true})");
    const auto res = send_request(f.port(), "GET", "/media/hls/seg2.ts", origin);
    CHECK(res.status == 403);
    CHECK_THAT(res.body, Catch::Contains("<Code>AccessDenied</Code>"));
    CHECK_FALSE(res.header("Access-Control-Allow-Origin"));
    CHECK_FALSE(res.header("x-s3cors-fault"));
  }
  SECTION("a preflight is answered as usual unless a rule names OPTIONS") {
    f.add(R"({"name": "all", "action": {"error": 500}})");
    const auto preflight =
        send_request(f.port(), "OPTIONS", "/media/hls/seg0.ts",
                     {{"Origin", "https://player.example"}, {"Access-Control-Request-Method", "GET"}});
    CHECK(preflight.status == 200);
    CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts", origin).status == 500);
  }
}

TEST_CASE("faults: reset instead of the head, the client sees ECONNRESET", "[integration][faults]") {
  media_fixture f;
  f.add(R"({"name": "rst", "match": {"kind": "segment", "segment": 1}, "action": {"reset": true}})");
  raw_connection c(f.port());
  REQUIRE(c.send(get_request("/media/hls/seg1.ts")));
  const auto got = c.read(2000ms);
  CHECK(got.received.empty());
  CHECK(got.error == ECONNRESET);
}

TEST_CASE("faults: cut_after sends exactly N body bytes of the promised length, then ends",
          "[integration][faults]") {
  media_fixture f;
  SECTION("a file body (sendfile), then a clean close") {
    f.add(R"({"name": "cut", "match": {"key": "hls/seg3.ts"}, "action": {"cut_after": "16KiB"}})");
    const auto got = raw_exchange(f.port(), get_request("/media/hls/seg3.ts"), 3000ms);
    CHECK(got.closed_by_server);
    CHECK_THAT(got.received, Catch::Contains("Content-Length: 100000"));
    const std::string body = body_of(got.received);
    CHECK(body.size() == 16384);
    CHECK(body == pattern(100'000).substr(0, 16384));
  }
  SECTION("a body from memory, then a reset once the bytes are out") {
    f.add(
        R"({"name": "cut", "match": {"key": "hls/small.ts"}, "action": {"cut_after": 1000, "reset": true}})");
    raw_connection c(f.port());
    REQUIRE(c.send(get_request("/media/hls/small.ts")));
    const auto got = c.read(3000ms);
    CHECK(body_of(got.received).size() == 1000);
    CHECK(got.error == ECONNRESET);
  }
}

TEST_CASE("faults: a stall sends nothing, outlives the idle timeout, and ends with the server's stop",
          "[integration][faults]") {
  auto options = server_fixture::quiet_options();
  options.idle_timeout = 200ms;
  options.shutdown_grace = 5000ms;
  server_fixture server(options);
  server.write("media/a.ts", pattern(1000));
  REQUIRE(server.faults()
              .engine()
              .add(R"({"name": "stall", "match": {"key": "a.ts"}, "action": {"stall": true}})")
              .has_value());
  raw_connection c(server.port());
  REQUIRE(c.send(get_request("/media/a.ts")));
  const auto waited = c.read(600ms);
  CHECK(waited.timed_out);
  CHECK(waited.received.empty());
  // stop() releases the stalled connection at once, not after the grace period.
  const auto start = steady::now();
  server.stop();
  CHECK(steady::now() - start < 2000ms);
  const auto after = c.read(2000ms);
  CHECK_FALSE(after.timed_out);
  CHECK(after.received.empty());
}

TEST_CASE("faults: a throughput cap paces the body within 5% of the cap", "[integration][faults]") {
  server_fixture server;
  constexpr std::size_t size = 2'000'000;  // ~2 s at 1 MB/s
  server.write("media/big.ts", pattern(size));
  REQUIRE(server.faults()
              .engine()
              .add(R"({"name": "cap", "match": {"key": "big.ts"}, "action": {"throughput": "1MB"}})")
              .has_value());
  const auto start = steady::now();
  const auto res = send_request(server.port(), "GET", "/media/big.ts");
  const double seconds = std::chrono::duration<double>(steady::now() - start).count();
  REQUIRE(res.status == 200);
  CHECK(res.body.size() == size);
  const double rate = static_cast<double>(size) / seconds;
  INFO("measured " << rate << " B/s over " << seconds << " s");
  CHECK(rate >= 0.95e6);
  CHECK(rate <= 1.05e6);
}

TEST_CASE("faults: first and every count matches across requests", "[integration][faults]") {
  media_fixture f;
  f.add(
      R"({"name": "first2", "match": {"key": "hls/seg0.ts"}, "action": {"error": 503}, "when": {"first": 2}})");
  f.add(
      R"({"name": "every2", "match": {"key": "hls/seg1.ts"}, "action": {"error": 500}, "when": {"every": 2}})");
  std::vector<unsigned> first;
  std::vector<unsigned> every;
  for (int i = 0; i < 4; ++i) {
    first.push_back(send_request(f.port(), "GET", "/media/hls/seg0.ts").status);
    every.push_back(send_request(f.port(), "GET", "/media/hls/seg1.ts").status);
  }
  CHECK(first == std::vector<unsigned>{503, 503, 200, 200});
  CHECK(every == std::vector<unsigned>{200, 500, 200, 500});
  const auto list = nlohmann::json::parse(send_request(f.port(), "GET", "/_s3cors/faults").body);
  CHECK(list["rules"][0]["matches"] == 4);
  CHECK(list["rules"][0]["fired"] == 2);
}

TEST_CASE("faults: a client selector limits a rule to one test's requests", "[integration][faults]") {
  media_fixture f;
  SECTION("by header") {
    f.add(
        R"({"name": "mine", "match": {"client": {"header": "x-test-run", "value": "run-7"}}, "action": {"error": 503}})");
    CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts", {{"X-Test-Run", "run-7"}}).status == 503);
    CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts", {{"X-Test-Run", "run-8"}}).status == 200);
    CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts").status == 200);
  }
  SECTION("by query parameter") {
    f.add(
        R"({"name": "mine", "match": {"client": {"query": "run", "value": "ci-42"}}, "action": {"error": 503}})");
    CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts?run=ci-42").status == 503);
    CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts?run=ci-43").status == 200);
  }
}

TEST_CASE("faults: a rule replaced with itself (a reload) keeps its counters", "[integration][faults]") {
  media_fixture f;
  f.add(
      R"({"name": "once", "match": {"key": "hls/seg0.ts"}, "action": {"error": 503}, "when": {"first": 1}})");
  CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts").status == 503);
  f.server.faults().engine().replace(f.server.faults().engine().rules());
  CHECK(send_request(f.port(), "GET", "/media/hls/seg0.ts").status == 200);
}

TEST_CASE("faults: the media index follows PUT and DELETE of a playlist", "[integration][faults]") {
  server_fixture server;
  server.write("media/live/a.ts", "A");
  server.write("media/live/b.ts", "B");
  REQUIRE(server.faults()
              .engine()
              .add(R"({"name": "second", "match": {"segment": 1}, "action": {"error": 503}})")
              .has_value());
  CHECK(send_request(server.port(), "GET", "/media/live/b.ts").status == 200);  // not indexed yet
  REQUIRE(send_request(server.port(), "PUT", "/media/live/index.m3u8", {},
                       "#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n")
              .status == 200);
  CHECK(send_request(server.port(), "GET", "/media/live/a.ts").status == 200);
  CHECK(send_request(server.port(), "GET", "/media/live/b.ts").status == 503);
  REQUIRE(send_request(server.port(), "DELETE", "/media/live/index.m3u8").status == 204);
  CHECK(send_request(server.port(), "GET", "/media/live/b.ts").status == 200);
}

TEST_CASE("faults: the control API lists, adds, removes and clears rules", "[integration][faults]") {
  server_fixture server;
  const auto port = server.port();
  auto added = send_request(port, "POST", "/_s3cors/faults", {{"Content-Type", "application/json"}},
                            R"({"name": "slow", "action": {"latency": "250ms"}})");
  CHECK(added.status == 201);
  CHECK(nlohmann::json::parse(added.body)["name"] == "slow");
  auto unnamed = send_request(port, "POST", "/_s3cors/faults", {}, R"({"action": {"cut_after": 10}})");
  CHECK(unnamed.status == 201);
  const std::string generated = nlohmann::json::parse(unnamed.body)["name"];
  CHECK(generated.starts_with("rule-"));

  auto list = nlohmann::json::parse(send_request(port, "GET", "/_s3cors/faults").body);
  REQUIRE(list["rules"].size() == 2);
  CHECK(list["rules"][0]["name"] == "slow");
  CHECK(list["rules"][0]["action"]["latency"] == 250);
  CHECK(list["rules"][0]["matches"] == 0);

  SECTION("errors name the pointer") {
    const auto bad = send_request(port, "POST", "/_s3cors/faults", {}, R"({"action": {"throughput": 0}})");
    CHECK(bad.status == 400);
    const auto doc = nlohmann::json::parse(bad.body);
    CHECK(doc["error"] == "InvalidRule");
    CHECK(doc["pointer"] == "/action/throughput");
    const auto taken = send_request(port, "POST", "/_s3cors/faults", {}, R"({"name": "slow"})");
    CHECK(taken.status == 409);
    CHECK(nlohmann::json::parse(taken.body)["pointer"] == "/name");
    CHECK(send_request(port, "POST", "/_s3cors/faults", {}, "{not json").status == 400);
    CHECK(send_request(port, "DELETE", "/_s3cors/faults/nothing").status == 404);
    CHECK(send_request(port, "PUT", "/_s3cors/faults", {}, "{}").status == 405);
  }
  SECTION("remove one, then clear") {
    const auto removed = send_request(port, "DELETE", "/_s3cors/faults/slow");
    CHECK(removed.status == 200);
    list = nlohmann::json::parse(send_request(port, "GET", "/_s3cors/faults").body);
    REQUIRE(list["rules"].size() == 1);
    CHECK(list["rules"][0]["name"] == generated);
    CHECK(send_request(port, "DELETE", "/_s3cors/faults").status == 200);
    CHECK(server.faults().engine().empty());
  }
}

TEST_CASE("faults: the access record's fault field is in the JSON form", "[integration][faults][log]") {
  s3cors::net::access_record r;
  r.method = "GET";
  r.fault = "bad-segment,slow";
  CHECK(nlohmann::json::parse(s3cors::net::format_access_json(r))["fault"] == "bad-segment,slow");
  r.fault = {};
  CHECK(nlohmann::json::parse(s3cors::net::format_access_json(r))["fault"].is_null());
}

TEST_CASE("faults: a bandwidth timeline changes the rate mid-body", "[integration][faults]") {
  server_fixture server;
  constexpr std::size_t size = 1'200'000;
  server.write("media/tl.ts", pattern(size));
  // 2 MB/s for 500 ms (about 1,040,000 bytes with the first quantum), then 200 kB/s for the
  // remaining 160,000 bytes: about 1.3 s in all.
  REQUIRE(server.faults()
              .engine()
              .add(R"({"name": "drop", "match": {"key": "tl.ts"},
                       "action": {"timeline": {"steps": [{"rate": "2MB", "for": "500ms"}, {"rate": "200kB"}],
                                               "from": "request"}}})")
              .has_value());
  const auto start = steady::now();
  const auto res = send_request(server.port(), "GET", "/media/tl.ts");
  const double seconds = std::chrono::duration<double>(steady::now() - start).count();
  REQUIRE(res.status == 200);
  CHECK(res.body.size() == size);
  INFO("took " << seconds << " s");
  CHECK(seconds >= 1.25);
  CHECK(seconds <= 1.5);
}

TEST_CASE("faults: cut_after then stall keeps the connection open after N bytes", "[integration][faults]") {
  media_fixture f;
  f.add(
      R"({"name": "hang", "match": {"key": "hls/small.ts"}, "action": {"cut_after": 1000, "stall": true}})");
  raw_connection c(f.port());
  REQUIRE(c.send(get_request("/media/hls/small.ts")));
  const auto got = c.read(600ms);
  CHECK(got.timed_out);
  CHECK_THAT(got.received, Catch::Contains("Content-Length: 10000"));
  CHECK(body_of(got.received).size() == 1000);
}
