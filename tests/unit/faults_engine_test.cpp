#include "s3cors/faults/engine.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace s3cors::faults;
using namespace std::chrono_literals;
using s3cors::header_list;

std::string example(std::string_view key) {
  std::ifstream in(std::string(S3CORS_SOURCE_DIR) + "/config/example-root/media/" + std::string(key),
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The example stream, indexed as the server will index it (bucket "media").
const media_index& example_index() {
  static const media_index index = [] {
    media_index i;
    for (const std::string_view root : {"hls/master.m3u8", "hls-fmp4/master.m3u8"}) {
      for (const std::string& next : i.add("media", root, example(root))) i.add("media", next, example(next));
    }
    return i;
  }();
  return index;
}

// A request for `key` in "media", its media looked up in the example index.
struct request_builder {
  std::string bucket = "media";
  std::string key;
  std::string method = "GET";
  header_list headers;
  std::vector<std::pair<std::string, std::string>> query;
  steady_time now{};

  fault_request get() const {
    fault_request r;
    r.bucket = bucket;
    r.key = key;
    r.method = method;
    r.headers = &headers;
    r.query = &query;
    r.media = lookup(example_index(), bucket, key);
    r.now = now;
    return r;
  }
};

request_builder req(std::string key) {
  request_builder b;
  b.key = std::move(key);
  return b;
}

fault_rule rule(std::string_view json) {
  auto parsed = parse_rule(json);
  if (!parsed) FAIL(parsed.error().pointer + ": " + parsed.error().message);
  return *parsed;
}

}  // namespace

TEST_CASE("faults engine: selectors against the example stream", "[faults]") {
  request_builder with_origin = req("hls/640x360/seg_001.ts");
  with_origin.headers.add("Origin", "https://player.example.com");
  request_builder tagged = req("hls/640x360/seg_001.ts");
  tagged.headers.add("X-Test-Run", "run-7");
  request_builder queried = req("hls/640x360/seg_001.ts");
  queried.query = {{"fault", "a"}, {"x-id", "GetObject"}};
  request_builder head = req("hls/640x360/seg_001.ts");
  head.method = "HEAD";
  request_builder other_bucket = req("hls/640x360/seg_001.ts");
  other_bucket.bucket = "other";

  struct row {
    std::string_view match;
    const request_builder* request;
    bool selects;
  };
  const request_builder master = req("hls/master.m3u8");
  const request_builder playlist = req("hls/416x234/index.m3u8");
  const request_builder seg0 = req("hls/640x360/seg_000.ts");
  const request_builder seg2 = req("hls/640x360/seg_002.ts");
  const request_builder low2 = req("hls/416x234/seg_002.ts");
  const request_builder init = req("hls-fmp4/640x360/init.mp4");
  const request_builder fmp4seg = req("hls-fmp4/416x234/seg_003.m4s");
  const request_builder loose = req("other/clip.ts");
  const row rows[] = {
      {R"({})", &seg0, true},
      {R"({"bucket": "media"})", &seg0, true},
      {R"({"bucket": "media"})", &other_bucket, false},
      {R"({"key": "hls/640x360/*"})", &seg2, true},
      {R"({"key": "hls/640x360/*"})", &low2, false},
      {R"({"key": ["x", "*.m3u8"]})", &master, true},
      {R"({"method": "GET"})", &seg0, true},
      {R"({"method": "GET"})", &head, false},
      {R"({"method": ["get", "head"]})", &head, true},
      {R"({"kind": "hls_multivariant"})", &master, true},
      {R"({"kind": "hls_multivariant"})", &playlist, false},
      {R"({"kind": "playlist"})", &playlist, true},
      {R"({"kind": "manifest"})", &playlist, false},
      {R"({"kind": "segment"})", &seg2, true},
      {R"({"kind": "segment"})", &init, false},
      {R"({"kind": "init"})", &init, true},
      {R"({"kind": "segment"})", &loose, true},  // by its extension
      {R"({"segment": 2})", &seg2, true},
      {R"({"segment": 2})", &seg0, false},
      {R"({"segment": 2})", &loose, false},  // no index known
      {R"({"segment": [1, 3]})", &fmp4seg, true},
      {R"({"segment": 2})", &master, false},
      {R"({"sequence": {"min": 2}})", &seg2, true},
      {R"({"sequence": {"min": 3}})", &seg2, false},
      {R"({"rendition": {"bandwidth": {"min": 600000}}})", &seg2, true},
      {R"({"rendition": {"bandwidth": {"min": 600000}}})", &low2, false},
      {R"({"rendition": {"bandwidth": {"max": "400kbit"}}})", &low2, true},
      {R"({"rendition": {"resolution": "640x360"}})", &init, true},
      {R"({"rendition": {"height": 234}})", &fmp4seg, true},
      {R"({"rendition": {"height": 234}})", &seg2, false},
      {R"({"rendition": {"path": "*/416x234/*"}})", &playlist, true},
      {R"({"rendition": {"path": "*"}})", &master, false},  // the multivariant playlist has none
      {R"({"rendition": {"path": "*"}})", &loose, false},
      {R"({"origin": "https://*.example.com"})", &with_origin, true},
      {R"({"origin": "https://other.example"})", &with_origin, false},
      {R"({"origin": "*"})", &seg0, false},  // no Origin header
      {R"({"client": {"header": "x-test-run", "value": "run-7"}})", &tagged, true},
      {R"({"client": {"header": "x-test-run", "value": "run-8"}})", &tagged, false},
      {R"({"client": {"header": "x-test-run", "value": "run-7"}})", &seg0, false},
      {R"({"client": {"query": "fault", "value": "a"}})", &queried, true},
      {R"({"client": {"query": "Fault", "value": "a"}})", &queried, false},
      {R"({"client": {"query": "fault", "value": "a"}})", &seg0, false},
      {R"({"kind": "segment", "segment": 1, "rendition": {"height": 360}, "bucket": "media"})", &with_origin,
       true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.match, r.request->key);
    const fault_rule fr = rule(std::string(R"({"match": )") + std::string(r.match) + "}");
    CHECK(selects(fr.match, r.request->get()) == r.selects);
  }
}

TEST_CASE("faults engine: schedules count the matches of each rule", "[faults]") {
  struct row {
    std::string_view when;
    std::string_view fired;  // one character per match: x fired, . did not
  };
  const row rows[] = {
      {R"("always")", "xxxxxxx"},     {R"({"first": 1})", "x......"}, {R"({"first": 3})", "xxx...."},
      {R"({"every": 3})", "..x..x."}, {R"({"every": 1})", "xxxxxxx"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.when);
    fault_engine engine;
    REQUIRE(engine
                .add(rule(std::string(R"({"name": "r", "match": {"kind": "segment"}, "action": {"error": 503},
                                             "when": )") +
                          std::string(r.when) + "}"))
                .has_value());
    std::string fired;
    for (std::size_t i = 0; i < r.fired.size(); ++i) {
      // A request the rule does not select is not counted.
      CHECK(engine.decide(req("hls/master.m3u8").get()).empty());
      fired += engine.decide(req("hls/640x360/seg_001.ts").get()).empty() ? '.' : 'x';
    }
    CHECK(fired == r.fired);
  }
}

TEST_CASE("faults engine: probability is drawn from the seed and the match number", "[faults]") {
  auto run = [](std::string_view json, std::size_t n) {
    fault_engine engine;
    REQUIRE(engine.add(rule(json)).has_value());
    std::string fired;
    for (std::size_t i = 0; i < n; ++i)
      fired += engine.decide(req("hls/640x360/seg_001.ts").get()).empty() ? '.' : 'x';
    return fired;
  };
  const std::string a = run(R"({"name": "p", "match": {"probability": 0.3, "seed": 7}})", 10000);
  CHECK(a == run(R"({"name": "p", "match": {"probability": 0.3, "seed": 7}})", 10000));  // repeatable
  CHECK(a != run(R"({"name": "p", "match": {"probability": 0.3, "seed": 8}})", 10000));
  CHECK(a != run(R"({"name": "q", "match": {"probability": 0.3, "seed": 7}})", 10000));  // per rule
  const auto hits = static_cast<double>(std::count(a.begin(), a.end(), 'x'));
  CHECK(hits / 10000 == Approx(0.3).margin(0.02));
  CHECK(run(R"({"match": {"probability": 0}})", 1000) == std::string(1000, '.'));
  CHECK(run(R"({"match": {"probability": 1}})", 1000) == std::string(1000, 'x'));
  // The schedule comes first: of the first 10 matches, about half fire.
  const std::string first =
      run(R"({"name": "f", "match": {"probability": 0.5, "seed": 1}, "when": {"first": 10}})", 20);
  CHECK(first.substr(10) == std::string(10, '.'));
  for (std::uint64_t n = 0; n < 1000; ++n) {
    const double d = draw(42, "x", n);
    CHECK(d >= 0.0);
    CHECK(d < 1.0);
  }
}

TEST_CASE("faults engine: fired rules merge into one plan", "[faults]") {
  fault_engine engine;
  REQUIRE(engine.add(rule(R"({"name": "slow", "action": {"latency": "100ms", "throughput": "1MB/s"}})"))
              .has_value());
  REQUIRE(engine
              .add(rule(R"({"name": "bad", "match": {"segment": 2},
                            "action": {"latency": 50, "throughput": "64kB/s", "error": "SlowDown", "cut_after": 1000},
                            "drop_cors": true, "response_header": true})"))
              .has_value());
  REQUIRE(engine
              .add(rule(R"({"name": "worse", "match": {"segment": 2},
                              "action": {"error": 500, "cut_after": 10, "stall": true}})"))
              .has_value());
  REQUIRE(engine.add(rule(R"({"name": "off", "enabled": false, "action": {"reset": true}})")).has_value());

  const fault_plan plain = engine.decide(req("hls/640x360/seg_001.ts").get());
  CHECK(plain.rules == std::vector<std::string>{"slow"});
  CHECK(plain.log_field() == "slow");
  CHECK(plain.delay == 100ms);
  CHECK(plain.throughput == 1'000'000u);
  CHECK_FALSE(plain.error);
  CHECK_FALSE(plain.response_header);

  const fault_plan bad = engine.decide(req("hls/640x360/seg_002.ts").get());
  CHECK(bad.rules == std::vector<std::string>{"slow", "bad", "worse"});
  CHECK(bad.log_field() == "slow,bad,worse");
  CHECK(bad.delay == 150ms);
  CHECK(bad.throughput == 64'000u);
  REQUIRE(bad.error);
  CHECK(bad.error->code == s3cors::s3::error::slow_down);  // the first error wins
  CHECK(bad.drop_cors);
  CHECK(bad.cut_after == 10u);
  CHECK(bad.stall);
  CHECK_FALSE(bad.reset);
  CHECK(bad.response_header);

  // A reset and a stall: the reset.
  REQUIRE(engine
              .add(rule(
                  R"({"name": "rst", "match": {"segment": 2}, "action": {"cut_after": 20, "reset": true}})"))
              .has_value());
  const fault_plan both = engine.decide(req("hls/640x360/seg_002.ts").get());
  CHECK(both.reset);
  CHECK_FALSE(both.stall);

  CHECK(fault_plan{}.log_field() == "-");
  CHECK(fault_plan{}.empty());
}

TEST_CASE("faults engine: injected errors are S3's", "[faults]") {
  const s3cors::s3::request_context ctx(std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000)), "REQ1",
                                        "HOST1");
  fault_plan plan;
  plan.rules = {"r1", "r2"};
  plan.error = injected_error{s3cors::s3::error::slow_down, {}};
  plan.response_header = true;
  const auto res = make_fault_response(plan, ctx, "media", "hls/a.ts", false);
  CHECK(res.status == 503);
  CHECK(res.headers.find("x-s3cors-fault") == "r1,r2");
  CHECK(res.headers.find("Content-Type") == "application/xml");
  CHECK(res.headers.find("x-amz-request-id") == "REQ1");
  const std::string body = std::get<std::string>(res.body);
  CHECK_THAT(body,
             Catch::Contains("<Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"));

  plan.error = injected_error{s3cors::s3::error::no_such_key, "gone"};
  plan.response_header = false;
  const auto missing = make_fault_response(plan, ctx, "media", "hls/a.ts", false);
  CHECK(missing.status == 404);
  CHECK_FALSE(missing.headers.find("x-s3cors-fault"));
  CHECK_THAT(std::get<std::string>(missing.body),
             Catch::Contains("<Code>NoSuchKey</Code><Message>gone</Message><Key>hls/a.ts</Key>"));

  plan.error = injected_error{s3cors::s3::error::no_such_bucket, {}};
  CHECK_THAT(std::get<std::string>(make_fault_response(plan, ctx, "media", "k", false).body),
             Catch::Contains("<BucketName>media</BucketName>"));
  const auto head = make_fault_response(plan, ctx, "media", "k", true);
  CHECK(head.status == 404);
  CHECK(head.content_length == 0);

  s3cors::response ok;
  plan.response_header = true;
  annotate(ok, plan);
  CHECK(ok.headers.find("x-s3cors-fault") == "r1,r2");
}

TEST_CASE("faults engine: a rule's timeline runs from its first firing", "[faults]") {
  fault_engine engine;
  REQUIRE(engine
              .add(rule(R"({"name": "drop", "match": {"kind": "segment"},
                            "action": {"timeline": [{"rate": "5Mbit", "for": "20s"}, {"rate": "500kbit"}]}})"))
              .has_value());
  REQUIRE(engine
              .add(rule(R"({"name": "each", "match": {"kind": "init"},
                            "action": {"timeline": {"steps": [{"rate": "5Mbit", "for": "1s"}], "from": "request"},
                                       "throughput": "1Mbit"}})"))
              .has_value());
  const steady_time t0 = steady_time{} + 1000s;
  request_builder first = req("hls/640x360/seg_000.ts");
  first.now = t0;
  const fault_plan p0 = engine.decide(first.get());
  REQUIRE(p0.timeline_origin);
  CHECK(*p0.timeline_origin == t0);
  request_builder later = req("hls/640x360/seg_003.ts");
  later.now = t0 + 25s;
  const fault_plan p1 = engine.decide(later.get());
  REQUIRE(p1.timeline_origin);
  CHECK(*p1.timeline_origin == t0);  // the same timeline: 20 s in, the rate has dropped
  auto th = p1.make_throttle(later.now);
  REQUIRE(th);
  CHECK(th->rate_at(later.now) == 62'500);
  CHECK(th->rate_at(t0 + 1s) == 625'000);

  request_builder init = req("hls-fmp4/640x360/init.mp4");
  init.now = t0 + 30s;
  const fault_plan p2 = engine.decide(init.get());
  CHECK_FALSE(p2.timeline_origin);  // from the body's start
  auto ti = p2.make_throttle(init.now + 5s);
  REQUIRE(ti);
  CHECK(ti->rate_at(init.now + 5s) == 125'000);  // the cap bounds the 5 Mbit/s step
  CHECK(ti->rate_at(init.now + 7s) == 125'000);  // and holds after the timeline
  CHECK_FALSE(fault_plan{}.make_throttle(t0).has_value());
  fault_plan capped;
  capped.throughput = 1000;
  CHECK(capped.make_throttle(t0)->rate_at(t0 + 1h) == 1000);
}

TEST_CASE("faults engine: add, remove, clear, list and replace", "[faults]") {
  fault_engine engine;
  CHECK(engine.empty());
  CHECK(engine.list_json() == R"({"rules":[]})");
  const auto a = engine.add(R"({"name": "a", "match": {"kind": "segment"}, "action": {"error": 404}})");
  REQUIRE(a.has_value());
  CHECK(*a == "a");
  const auto unnamed = engine.add(R"({"action": {"latency": 10}})");
  REQUIRE(unnamed.has_value());
  CHECK(*unnamed == "rule-1");
  const auto duplicate = engine.add(R"({"name": "a"})");
  REQUIRE_FALSE(duplicate.has_value());
  CHECK(duplicate.error().pointer == "/name");
  const auto bad = engine.add(R"({"action": {"error": "Nope"}})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().pointer == "/action/error");
  CHECK_FALSE(engine.empty());

  (void)engine.decide(req("hls/640x360/seg_000.ts").get());
  (void)engine.decide(req("hls/master.m3u8").get());
  const auto listed = nlohmann::json::parse(engine.list_json());
  REQUIRE(listed["rules"].size() == 2);
  CHECK(listed["rules"][0]["name"] == "a");
  CHECK(listed["rules"][0]["matches"] == 1);
  CHECK(listed["rules"][0]["fired"] == 1);
  CHECK(listed["rules"][0]["action"]["error"]["code"] == "NoSuchKey");
  CHECK(listed["rules"][1]["name"] == "rule-1");
  CHECK(listed["rules"][1]["matches"] == 2);

  SECTION("replace keeps the counters of unchanged rules") {
    auto next = parse_rules(R"([{"name": "a", "match": {"kind": "segment"}, "action": {"error": 404}},
                                {"name": "rule-1", "action": {"latency": 20}}])");
    REQUIRE(next.has_value());
    engine.replace(std::move(*next));
    const auto after = nlohmann::json::parse(engine.list_json());
    CHECK(after["rules"][0]["matches"] == 1);
    CHECK(after["rules"][1]["matches"] == 0);  // changed: counted afresh
  }
  SECTION("remove and clear") {
    CHECK(engine.remove("a"));
    CHECK_FALSE(engine.remove("a"));
    CHECK(engine.rules().size() == 1);
    engine.clear();
    CHECK(engine.empty());
    CHECK(engine.decide(req("hls/640x360/seg_000.ts").get()).empty());
  }
}

TEST_CASE("faults engine: counters hold under concurrent requests", "[faults]") {
  fault_engine engine;
  REQUIRE(
      engine
          .add(
              R"({"name": "once", "match": {"kind": "segment"}, "action": {"error": 503}, "when": {"first": 5}})")
          .has_value());
  REQUIRE(engine.add(R"({"name": "third", "match": {"kind": "segment"}, "when": {"every": 3}})").has_value());
  std::atomic<int> once{0};
  std::atomic<int> third{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      const request_builder r = req("hls/640x360/seg_001.ts");
      for (int i = 0; i < 300; ++i) {
        const fault_plan p = engine.decide(r.get());
        if (std::find(p.rules.begin(), p.rules.end(), "once") != p.rules.end()) ++once;
        if (std::find(p.rules.begin(), p.rules.end(), "third") != p.rules.end()) ++third;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(once == 5);
  CHECK(third == 400);
  const auto listed = nlohmann::json::parse(engine.list_json());
  CHECK(listed["rules"][0]["matches"] == 1200);
  CHECK(listed["rules"][0]["fired"] == 5);
}

TEST_CASE("faults engine: a preflight is selected only by rules naming OPTIONS", "[faults]") {
  using namespace s3cors::faults;
  fault_engine engine;
  REQUIRE(engine.add(R"({"name": "all", "action": {"latency": 1}})").has_value());
  REQUIRE(engine.add(R"({"name": "get", "match": {"method": "GET"}, "action": {"latency": 1}})").has_value());
  REQUIRE(engine.add(R"({"name": "opt", "match": {"method": ["get", "options"]}, "action": {"latency": 1}})")
              .has_value());
  fault_request r;
  r.bucket = "media";
  r.key = "a.ts";
  r.method = "OPTIONS";
  r.preflight = true;
  CHECK(engine.decide(r).rules == std::vector<std::string>{"opt"});
  r.preflight = false;  // an OPTIONS that is not a preflight is an ordinary request
  CHECK(engine.decide(r).rules == std::vector<std::string>{"all", "opt"});
}

TEST_CASE("faults engine: expose_fault_header lists the header for browsers when CORS headers are there",
          "[faults]") {
  using namespace s3cors::faults;
  struct row {
    bool cors;
    std::optional<std::string> exposed;
    bool has_fault;
    std::optional<std::string> expected;
  };
  const row rows[] = {
      {true, std::nullopt, true, "x-s3cors-fault"},
      {true, "ETag", true, "ETag, x-s3cors-fault"},
      {true, "ETag, X-S3cors-Fault", true, "ETag, X-S3cors-Fault"},
      {true, "*", true, "*"},
      {false, std::nullopt, true, std::nullopt},  // no CORS: nothing to expose
      {true, "ETag", false, "ETag"},              // no fault header
  };
  for (const auto& r : rows) {
    s3cors::response res;
    if (r.cors) res.headers.add("Access-Control-Allow-Origin", "*");
    if (r.exposed) res.headers.add("Access-Control-Expose-Headers", *r.exposed);
    if (r.has_fault) res.headers.add(std::string(fault_header), "rule");
    expose_fault_header(res);
    const auto got = res.headers.find("Access-Control-Expose-Headers");
    CHECK((got ? std::optional<std::string>(*got) : std::nullopt) == r.expected);
  }
}
