#include "s3cors/inspector/capture.hpp"

#include "s3cors/config/config.hpp"
#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/event_stream.hpp"
#include "s3cors/inspector/endpoints.hpp"
#include "s3cors/inspector/render.hpp"
#include "s3cors/net/inspector_handler.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace s3cors;
using inspector::capture;
using inspector::record;

namespace {

record make_record(std::string bucket, unsigned status, std::string origin = {}, bool allowed = false) {
  record r;
  r.time = "2026-01-02T03:04:05.000Z";
  r.method = "GET";
  r.bucket = bucket;
  r.key = "a.ts";
  r.target = "/" + bucket + "/a.ts";
  r.status = status;
  r.origin = origin;
  r.request_headers = {{"Host", "127.0.0.1:9000"}};
  if (!origin.empty()) r.request_headers.emplace_back("Origin", origin);
  r.response_headers = {{"Content-Type", "video/mp2t"}, {"Content-Length", "188"}};
  if (allowed) r.response_headers.emplace_back("Access-Control-Allow-Origin", origin);
  return r;
}

std::vector<std::uint64_t> ids_of(const std::vector<std::shared_ptr<const record>>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r->id);
  return out;
}

}  // namespace

TEST_CASE("inspector capture: a bounded ring keeps the newest records, ids from 1", "[inspector]") {
  inspector::capture_limits limits;
  limits.records = 3;
  capture c(limits);
  for (unsigned i = 0; i < 5; ++i) CHECK(c.publish(make_record("media", 200)) == i + 1);
  CHECK(ids_of(c.snapshot({}, 100)) == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(ids_of(c.snapshot({}, 2)) == std::vector<std::uint64_t>{4, 5});
  CHECK(c.find(2) == nullptr);
  REQUIRE(c.find(4) != nullptr);
  CHECK(c.find(4)->id == 4);
  SECTION("an empty ring") {
    capture empty;
    CHECK(empty.snapshot({}, 10).empty());
    CHECK(empty.find(1) == nullptr);
  }
}

TEST_CASE("inspector capture: active only while a subscriber is open", "[inspector]") {
  capture c;
  CHECK_FALSE(c.is_active());
  auto s = c.subscribe({}, 0, [] {});
  CHECK(c.is_active());
  c.unsubscribe(s);
  CHECK_FALSE(c.is_active());
  c.unsubscribe(s);  // idempotent
  CHECK_FALSE(c.is_active());
}

TEST_CASE("inspector capture: subscribers get new matching records, with one wake per batch", "[inspector]") {
  capture c;
  c.publish(make_record("media", 200));  // before: in the backlog
  int wakes = 0;
  auto s = c.subscribe(inspector::parse_filter("bucket=media"), 10, [&] { ++wakes; });
  CHECK(wakes == 1);  // the backlog is waiting
  CHECK(ids_of(s->take()) == std::vector<std::uint64_t>{1});
  c.publish(make_record("media", 200));
  c.publish(make_record("other", 200));  // filtered out
  c.publish(make_record("media", 404));
  CHECK(wakes == 2);
  CHECK(ids_of(s->take()) == std::vector<std::uint64_t>{2, 4});
  c.unsubscribe(s);
  c.publish(make_record("media", 200));
  CHECK(wakes == 2);
  CHECK(s->take().empty());
}

TEST_CASE("inspector capture: a slow subscriber loses records, counted, and others do not", "[inspector]") {
  inspector::capture_limits limits;
  limits.subscriber_queue = 2;
  capture c(limits);
  auto slow = c.subscribe({}, 0, [] {});
  auto fast = c.subscribe({}, 0, [] {});
  std::vector<std::uint64_t> fast_ids;
  for (int i = 0; i < 5; ++i) {
    c.publish(make_record("media", 200));
    for (const auto& r : fast->take()) fast_ids.push_back(r->id);
  }
  CHECK(ids_of(slow->take()) == std::vector<std::uint64_t>{1, 2});
  CHECK(slow->dropped() == 3);
  CHECK(fast_ids == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(fast->dropped() == 0);
}

TEST_CASE("inspector filters: query parameters and what they match", "[inspector]") {
  const record plain = make_record("media", 200);
  const record refused = make_record("media", 403, "http://Player.example:8080");
  const record allowed = make_record("other", 206, "http://player.example:8080", true);
  struct row {
    std::string_view query;
    bool plain, refused, allowed;
  };
  const std::vector<row> table{
      {"", true, true, true},
      {"bucket=media", true, true, false},
      {"bucket=nope", false, false, false},
      {"origin=player.EXAMPLE", false, true, true},
      {"origin=http%3A%2F%2Fplayer", false, true, true},
      {"status=2xx", true, false, true},
      {"status=4", false, true, false},
      {"status=404", false, true, false},
      {"status=9xx", true, true, true},  // malformed: ignored
      {"refused=1", false, true, false},
      {"refused=true&bucket=other", false, false, false},
      {"refused=0", true, true, true},
      {"unknown=1&bucket=media", true, true, false},
      {"bucket=%zz", true, true, true},  // malformed escape: ignored
  };
  for (const auto& r : table) {
    CAPTURE(r.query);
    const auto filter = inspector::parse_filter(r.query);
    CHECK(inspector::matches(filter, plain) == r.plain);
    CHECK(inspector::matches(filter, refused) == r.refused);
    CHECK(inspector::matches(filter, allowed) == r.allowed);
  }
}

TEST_CASE("inspector: refused means an Origin and no Access-Control-Allow-Origin", "[inspector]") {
  CHECK_FALSE(inspector::is_refused(make_record("media", 200)));
  CHECK(inspector::is_refused(make_record("media", 200, "http://a.example")));
  CHECK_FALSE(inspector::is_refused(make_record("media", 200, "http://a.example", true)));
  record preflight = make_record("media", 403, "http://a.example");
  preflight.method = "OPTIONS";
  CHECK_FALSE(inspector::is_preflight(preflight));
  preflight.request_headers.emplace_back("access-control-request-method", "GET");
  CHECK(inspector::is_preflight(preflight));
}

TEST_CASE("inspector: headers are kept within limits, credentials hidden", "[inspector]") {
  inspector::capture_limits limits;
  limits.header_fields = 3;
  limits.header_bytes = 60;
  inspector::header_fields into;
  SECTION("within") {
    CHECK(inspector::copy_headers(into, {{"Authorization", "AWS4-HMAC-SHA256 secret"}, {"Range", "bytes=0-"}},
                                  limits));
    CHECK(into == inspector::header_fields{{"Authorization", "(hidden)"}, {"Range", "bytes=0-"}});
  }
  SECTION("too many fields") {
    CHECK_FALSE(inspector::copy_headers(into, {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}, limits));
    CHECK(into.size() == 3);
  }
  SECTION("too many bytes") {
    CHECK_FALSE(
        inspector::copy_headers(into, {{"a", std::string(40, 'x')}, {"b", std::string(40, 'y')}}, limits));
    CHECK(into.size() == 1);
  }
}

TEST_CASE("inspector render: a row and its server-sent event", "[inspector]") {
  record r = make_record("media", 403, "http://a.example");
  r.id = 7;
  r.cors = "preflight refused: no match";
  const auto row = nlohmann::json::parse(inspector::row_json(r));
  CHECK(row["id"] == 7);
  CHECK(row["bucket"] == "media");
  CHECK(row["status"] == 403);
  CHECK(row["refused"] == true);
  CHECK(row["fault"].is_null());
  CHECK(row["edge_cache"].is_null());
  const std::string event = inspector::request_event(r);
  CHECK(event.starts_with("id: 7\nevent: request\ndata: {"));
  CHECK(event.ends_with("}\n\n"));
  CHECK(event.find('\n', 30) == event.size() - 2);  // the JSON is one line
  SECTION("strings that need escaping, and invalid UTF-8") {
    r.key = "caf\xc3\xa9 \"quoted\"\n\xff";
    const auto escaped = nlohmann::json::parse(inspector::row_json(r));
    CHECK(escaped["key"] == "caf\xc3\xa9 \"quoted\"\n\xef\xbf\xbd");
  }
  CHECK(inspector::dropped_event(3) == "event: dropped\ndata: {\"dropped\":3}\n\n");
}

TEST_CASE("inspector render: HAR 1.2 shape", "[inspector]") {
  capture c;
  record r = make_record("media", 200, "http://a.example", true);
  r.target = "/media/a.ts?x-id=GetObject&v=a%20b";
  r.duration_ms = 1.5;
  r.bytes = 400;
  c.publish(r);
  c.publish(make_record("media", 404));
  const auto records = c.snapshot({}, 10);
  const auto har = nlohmann::json::parse(inspector::har_json(records, "1.2.3"));
  CHECK(har["log"]["version"] == "1.2");
  CHECK(har["log"]["creator"]["name"] == "s3cors");
  CHECK(har["log"]["creator"]["version"] == "1.2.3");
  const auto& entries = har["log"]["entries"];
  REQUIRE(entries.size() == 2);
  const auto& e = entries[0];
  for (const char* field : {"startedDateTime", "time", "request", "response", "cache", "timings"})
    CHECK(e.contains(field));
  CHECK(e["request"]["url"] == "http://127.0.0.1:9000/media/a.ts?x-id=GetObject&v=a%20b");
  CHECK(e["request"]["queryString"] ==
        nlohmann::json::parse(R"([{"name":"x-id","value":"GetObject"},{"name":"v","value":"a b"}])"));
  CHECK(e["request"]["headers"][0] == nlohmann::json::parse(R"({"name":"Host","value":"127.0.0.1:9000"})"));
  for (const char* field :
       {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"})
    CHECK(e["request"].contains(field));
  for (const char* field : {"status", "statusText", "httpVersion", "cookies", "headers", "content",
                            "redirectURL", "headersSize", "bodySize"})
    CHECK(e["response"].contains(field));
  CHECK(e["response"]["statusText"] == "OK");
  CHECK(e["response"]["content"]["size"] == 188);
  CHECK(e["response"]["content"]["mimeType"] == "video/mp2t");
  CHECK(e["timings"]["wait"] == 1.5);
  CHECK(e["_s3cors"]["refused"] == false);
  CHECK(entries[1]["response"]["statusText"] == "Not Found");
  CHECK(nlohmann::json::parse(inspector::har_json({}, "x"))["log"]["entries"].empty());
}

TEST_CASE("inspector analysis: the explanation and the fix of a refused preflight", "[inspector]") {
  auto config = cors::parse_json(
      R"([{"AllowedOrigins":["http://player.example"],"AllowedMethods":["GET"],"AllowedHeaders":["range"]}])");
  REQUIRE(config.has_value());
  record r = make_record("media", 403, "http://player.example");
  r.method = "OPTIONS";
  r.request_headers.emplace_back("Access-Control-Request-Method", "GET");
  r.request_headers.emplace_back("Access-Control-Request-Headers", "x-session");
  const auto analysis = inspector::analyse(r, &*config);
  CHECK(analysis.preflight);
  CHECK(analysis.explanation.find("rule 0") != std::string::npos);
  CHECK(analysis.explanation.find("x-session") != std::string::npos);
  REQUIRE(analysis.has_suggestion);
  CHECK(analysis.summary.find("x-session") != std::string::npos);
  auto fixed = cors::parse_json(analysis.configuration_json);
  REQUIRE(fixed.has_value());
  const cors::cors_request req{"http://player.example", "OPTIONS", "GET", "x-session"};
  CHECK(cors::evaluate(*fixed, req, true).matched_rule.has_value());
  const auto detail = nlohmann::json::parse(inspector::detail_json(r, analysis));
  CHECK(detail["suggestion"]["summary"] == analysis.summary);
  CHECK(detail["request_headers"][0] == nlohmann::json::array({"Host", "127.0.0.1:9000"}));
  SECTION("a bucket without CORS configuration gets a new rule") {
    const auto none = inspector::analyse(r, nullptr);
    CHECK(none.explanation.find("no CORS configuration") != std::string::npos);
    CHECK(none.has_suggestion);
  }
  SECTION("an allowed request has no suggestion, a same-origin one no explanation") {
    CHECK_FALSE(inspector::analyse(make_record("media", 200, "http://player.example", true), &*config)
                    .has_suggestion);
    CHECK(inspector::analyse(make_record("media", 200), &*config).explanation.empty());
  }
}

TEST_CASE("inspector endpoints: HTTP Basic with a configured key pair", "[inspector]") {
  const auth::credential_set keys({auth::credential("AKIDEXAMPLE", "secret/key")});
  const auto with = [](std::string value) {
    request req;
    req.headers.add("Authorization", std::move(value));
    return req;
  };
  CHECK(
      inspector::has_basic_credentials(with("Basic " + hash::base64_encode("AKIDEXAMPLE:secret/key")), keys));
  CHECK(
      inspector::has_basic_credentials(with("basic " + hash::base64_encode("AKIDEXAMPLE:secret/key")), keys));
  CHECK_FALSE(
      inspector::has_basic_credentials(with("Basic " + hash::base64_encode("AKIDEXAMPLE:secret")), keys));
  CHECK_FALSE(
      inspector::has_basic_credentials(with("Basic " + hash::base64_encode("OTHER:secret/key")), keys));
  CHECK_FALSE(inspector::has_basic_credentials(with("Basic " + hash::base64_encode("AKIDEXAMPLE")), keys));
  CHECK_FALSE(inspector::has_basic_credentials(with("Basic !!!"), keys));
  CHECK_FALSE(inspector::has_basic_credentials(with("Bearer x"), keys));
  CHECK_FALSE(inspector::has_basic_credentials(request{}, keys));
}

TEST_CASE("inspector endpoints: paths, methods, and nothing readable cross-origin", "[inspector]") {
  capture c;
  cors::cors_registry registry;
  inspector::endpoint_options options;
  options.files = {{"index.html", "<!doctype html>"}, {"inspector.js", "'use strict';"}};
  const inspector::endpoints endpoints(c, registry, options);
  const auto get = [&](std::string target, method verb = method::get) {
    request req;
    req.verb = verb;
    req.method_name = std::string(to_string(verb));
    req.target = std::move(target);
    req.headers.add("Origin", "http://elsewhere.example");
    return endpoints.handle(req, {});
  };
  CHECK(inspector::is_inspector_path("/_s3cors/inspector"));
  CHECK(inspector::is_inspector_path("/_s3cors/inspector/events"));
  CHECK_FALSE(inspector::is_inspector_path("/_s3cors/inspectors"));
  CHECK_FALSE(inspector::is_inspector_path("/media/_s3cors/inspector"));
  const auto page = get("/_s3cors/inspector");
  CHECK(page.res.status == 200);
  CHECK(page.res.headers.find("Content-Type") == "text/html; charset=utf-8");
  CHECK(page.res.headers.find("Cross-Origin-Resource-Policy") == "same-origin");
  for (const auto& [name, value] : page.res.headers.fields()) CHECK_FALSE(name.starts_with("Access-Control"));
  CHECK(get("/_s3cors/inspector/inspector.js").res.headers.find("Content-Type") ==
        "text/javascript; charset=utf-8");
  CHECK(get("/_s3cors/inspector/nope.js").res.status == 404);
  CHECK(get("/_s3cors/inspector/requests/1").res.status == 404);
  CHECK(get("/_s3cors/inspector/requests/x").res.status == 404);
  CHECK(get("/_s3cors/inspector", method::put).res.status == 405);
  CHECK(get("/_s3cors/inspector", method::options).res.status == 405);
  const auto events = get("/_s3cors/inspector/events?refused=1");
  CHECK(events.res.headers.find("Content-Type") == "text/event-stream");
  REQUIRE(events.res.stream);
  CHECK_FALSE(c.is_active());
  events.res.stream->open([] {});
  CHECK(c.is_active());
  std::string out;
  events.res.stream->take(out);
  CHECK(out.starts_with("retry: 2000\n"));
  c.publish(make_record("media", 200, "http://a.example"));
  c.publish(make_record("media", 200, "http://a.example", true));  // not refused: filtered out
  out.clear();
  events.res.stream->take(out);
  CHECK(out.starts_with("id: 1\nevent: request\n"));
  CHECK(out.find("id: 2") == std::string::npos);
  events.res.stream->close();
  CHECK_FALSE(c.is_active());
  const auto har =
      nlohmann::json::parse(std::get<std::string>(get("/_s3cors/inspector/har?ids=2%2C1,9").res.body));
  CHECK(har["log"]["entries"].size() == 2);
  SECTION("off") {
    inspector::endpoint_options off = options;
    off.enabled = false;
    const inspector::endpoints disabled(c, registry, off);
    request req;
    req.target = "/_s3cors/inspector";
    const auto answer = disabled.handle(req, {});
    CHECK(answer.res.status == 404);
    CHECK(std::get<std::string>(answer.res.body).find("InspectorDisabled") != std::string::npos);
  }
}

TEST_CASE("config: loopback listen hosts", "[inspector][config]") {
  for (const std::string_view host :
       {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"})
    CHECK(config::is_loopback_host(host));
  for (const std::string_view host : {"0.0.0.0", "::", "[::]", "", "192.168.0.1", "example.com", "127.0.0",
                                      "127.0.0.1.5", "1127.0.0.1", "127.a.0.1"})
    CHECK_FALSE(config::is_loopback_host(host));
}

TEST_CASE("inspector handler: wrapping a handler keeps its media-fault hook", "[inspector]") {
  capture c;
  cors::cors_registry registry;
  const inspector::endpoints endpoints(c, registry, inspector::endpoint_options{});
  int decided = 0;
  net::request_handler inner;
  inner.start = [](const request&, const s3::request_context&) { return started_request{}; };
  inner.faults = [&decided](const request&, const s3::request_context&,
                            std::chrono::steady_clock::time_point) -> std::optional<faults::directive> {
    ++decided;
    return std::nullopt;
  };
  const net::request_handler wrapped = net::with_inspector(inner, endpoints);
  REQUIRE(wrapped.faults);
  request req;
  req.target = "/media/hls/master.m3u8";
  (void)wrapped.faults(req, s3::request_context{}, std::chrono::steady_clock::now());
  CHECK(decided == 1);
}
