#include "s3cors/faults/rules.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace {

using namespace s3cors::faults;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("faults rules: rates take bits with SI prefixes and bytes with SI or binary ones", "[faults]") {
  struct row {
    std::string_view text;
    std::optional<std::uint64_t> bytes_per_second;
  };
  const row rows[] = {
      {"100", 100},
      {"5Mbit", 625'000},
      {"5Mbit/s", 625'000},
      {"5Mbps", 625'000},
      {"5mbit", 625'000},
      {"5 Mbit", 625'000},
      {"500kbit", 62'500},
      {"500kbps", 62'500},
      {"1.5Mbit", 187'500},
      {"1Gbit", 125'000'000},
      {"8bit", 1},
      {"64kB/s", 64'000},
      {"64KB", 64'000},
      {"64KiB/s", 65'536},
      {"1MB/s", 1'000'000},
      {"1.5MiB/s", 1'572'864},
      {"100MB/s", 100'000'000},
      {"2GB", 2'000'000'000},
      {"unlimited", rate_step::unlimited},
      {"", std::nullopt},
      {"fast", std::nullopt},
      {"-5", std::nullopt},
      {"5Xbit", std::nullopt},
      {"1.2.3kB", std::nullopt},
      {".5MB", std::nullopt},
      {"5Mb", std::nullopt},  // ambiguous: neither "Mbit" nor "MB"
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto parsed = parse_rate(r.text);
    CHECK(parsed.has_value() == r.bytes_per_second.has_value());
    if (parsed && r.bytes_per_second) CHECK(*parsed == *r.bytes_per_second);
  }
}

TEST_CASE("faults rules: durations and sizes", "[faults]") {
  struct duration_row {
    std::string_view text;
    std::optional<std::chrono::nanoseconds> value;
  };
  const duration_row durations[] = {
      {"250", 250ms}, {"250ms", 250ms}, {"20s", 20s}, {"1.5s", 1500ms}, {"2m", 120s},    {"2min", 120s},
      {"1h", 3600s},  {"100us", 100us}, {"0", 0ns},   {"10ns", 10ns},   {"24h", 86400s}, {"25h", {}},
      {"2d", {}},     {"ms", {}},       {"", {}},     {"1,5s", {}},
  };
  for (const auto& r : durations) {
    CAPTURE(r.text);
    const auto parsed = parse_duration(r.text);
    CHECK(parsed.has_value() == r.value.has_value());
    if (parsed && r.value) CHECK(*parsed == *r.value);
  }
  struct size_row {
    std::string_view text;
    std::optional<std::uint64_t> value;
  };
  const size_row sizes[] = {
      {"0", 0},        {"100", 100},       {"100B", 100},       {"16KiB", 16384},
      {"16kB", 16000}, {"1MB", 1'000'000}, {"1MiB", 1'048'576}, {"1GiB", 1'073'741'824},
      {"1Mbit", {}},   {"x", {}},          {"-1", {}},
  };
  for (const auto& r : sizes) {
    CAPTURE(r.text);
    const auto parsed = parse_size(r.text);
    CHECK(parsed.has_value() == r.value.has_value());
    if (parsed && r.value) CHECK(*parsed == *r.value);
  }
}

TEST_CASE("faults rules: globs", "[faults]") {
  struct row {
    std::string_view pattern;
    std::string_view text;
    bool matches;
  };
  const row rows[] = {
      {"*", "", true},
      {"*", "a/b/c.ts", true},
      {"hls/*", "hls/640x360/seg_000.ts", true},  // '*' crosses '/'
      {"hls/*", "hls", false},
      {"*.ts", "hls/a.ts", true},
      {"*.ts", "hls/a.tsx", false},
      {"seg_00?.ts", "seg_001.ts", true},
      {"seg_00?.ts", "seg_01.ts", false},
      {"a*b*c", "aXbYbZc", true},
      {"a*b*c", "aXbYbZ", false},
      {"https://*.example.com", "https://app.example.com", true},
      {"https://*.example.com", "https://example.com", false},
      {"exact", "exact", true},
      {"exact", "Exact", false},
      {"", "", true},
      {"", "x", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.pattern, r.text);
    CHECK(glob_matches(r.pattern, r.text) == r.matches);
  }
}

TEST_CASE("faults rules: a rule with every selector and action", "[faults]") {
  const auto parsed = parse_rule(R"({
    "name": "everything", "enabled": false,
    "match": {"bucket": "media", "key": ["hls/*", "dash/*"], "method": ["get", "HEAD"],
              "kind": ["segment", "hls_key"],
              "rendition": {"bandwidth": {"min": "600kbit"}, "resolution": "640x360", "path": "*/640x360/*"},
              "segment": [1, 3], "sequence": {"max": 10}, "origin": "https://*.example.com",
              "client": {"header": "x-test-run", "value": "run-7"}, "probability": 0.25, "seed": 42},
    "action": {"latency": "1.5s", "throughput": "5Mbit",
               "timeline": {"steps": [{"rate": "5Mbit", "for": "20s"}, {"rate": "500kbit"}], "from": "request"},
               "error": {"code": "SlowDown", "message": "Please slow down."}, "cut_after": "16KiB", "reset": true},
    "when": {"every": 3}, "drop_cors": true, "response_header": true})");
  REQUIRE(parsed.has_value());
  const fault_rule& r = *parsed;
  CHECK(r.name == "everything");
  CHECK_FALSE(r.enabled);
  CHECK(r.match.buckets == std::vector<std::string>{"media"});
  CHECK(r.match.keys == std::vector<std::string>{"hls/*", "dash/*"});
  CHECK(r.match.methods == std::vector<std::string>{"GET", "HEAD"});
  CHECK(r.match.kinds == std::vector<media_kind>{media_kind::hls_media_segment,
                                                 media_kind::dash_media_segment, media_kind::hls_key});
  REQUIRE(r.match.rendition);
  CHECK(r.match.rendition->bandwidth == u64_range{600'000, std::numeric_limits<std::uint64_t>::max()});
  CHECK(r.match.rendition->width == 640u);
  CHECK(r.match.rendition->height == 360u);
  CHECK(r.match.rendition->path == "*/640x360/*");
  CHECK(r.match.segment == u64_range{1, 3});
  CHECK(r.match.sequence == u64_range{0, 10});
  CHECK(r.match.origins == std::vector<std::string>{"https://*.example.com"});
  REQUIRE(r.match.client);
  CHECK(r.match.client->from == client_tag::source::header);
  CHECK(r.match.client->name == "x-test-run");
  CHECK(r.match.client->value == "run-7");
  CHECK(r.match.probability == 0.25);
  CHECK(r.match.seed == 42);
  CHECK(r.action.latency == 1500ms);
  CHECK(r.action.throughput == 625'000u);
  REQUIRE(r.action.timeline);
  CHECK(r.action.timeline->steps == std::vector<rate_step>{{625'000, 20s}, {62'500, 0s}});
  CHECK_FALSE(r.action.timeline->loop);
  CHECK(r.action.timeline_from == timeline_origin::request);
  REQUIRE(r.action.error);
  CHECK(r.action.error->code == s3cors::s3::error::slow_down);
  CHECK(r.action.error->message == "Please slow down.");
  CHECK(r.action.cut_after == 16384u);
  CHECK(r.action.reset);
  CHECK_FALSE(r.action.stall);
  CHECK(r.when == schedule{schedule::kind::every, 3});
  CHECK(r.drop_cors);
  CHECK(r.response_header);

  SECTION("to_json gives it back in the form parse_rule reads") {
    const auto again = parse_rule(to_json(r));
    REQUIRE(again.has_value());
    CHECK(*again == r);
  }
}

TEST_CASE("faults rules: defaults and short forms", "[faults]") {
  const auto parsed = parse_rule(R"({"match": {"segment": 2}, "action": {"error": 503, "latency": 200,
                                    "timeline": [{"rate": 1000, "for": 500}, {"rate": "unlimited", "for": "1s"}]},
                                    "when": {"first": 1}})");
  REQUIRE(parsed.has_value());
  CHECK(parsed->name.empty());
  CHECK(parsed->enabled);
  CHECK(parsed->match.segment == u64_range{2, 2});
  CHECK(parsed->match.probability == 1.0);
  CHECK(parsed->action.error->code == s3cors::s3::error::slow_down);
  CHECK(parsed->action.latency == 200ms);
  CHECK(parsed->action.timeline->steps == std::vector<rate_step>{{1000, 500ms}, {rate_step::unlimited, 1s}});
  CHECK(parsed->action.timeline_from == timeline_origin::rule);
  CHECK(parsed->when == schedule{schedule::kind::first, 1});
  CHECK_FALSE(parsed->drop_cors);
  CHECK_FALSE(parsed->response_header);
  const auto again = parse_rule(to_json(*parsed));
  CAPTURE(to_json(*parsed));
  if (!again) FAIL(again.error().pointer + ": " + again.error().message);
  REQUIRE(again.has_value());
  CHECK(*again == *parsed);

  struct status_row {
    std::string_view json;
    s3cors::s3::error code;
  };
  const status_row statuses[] = {
      {R"({"action": {"error": 500}})", s3cors::s3::error::internal_error},
      {R"({"action": {"error": 403}})", s3cors::s3::error::access_denied},
      {R"({"action": {"error": 404}})", s3cors::s3::error::no_such_key},
      {R"({"action": {"error": "NoSuchBucket"}})", s3cors::s3::error::no_such_bucket},
      {R"({"action": {"error": {"status": 503}}})", s3cors::s3::error::slow_down},
      {R"({"action": {"error": {"code": "AccessDenied", "status": 403}}})", s3cors::s3::error::access_denied},
  };
  for (const auto& s : statuses) {
    CAPTURE(s.json);
    const auto r = parse_rule(s.json);
    REQUIRE(r.has_value());
    CHECK(r->action.error->code == s.code);
  }
}

TEST_CASE("faults rules: refusals name the JSON pointer of the bad value", "[faults]") {
  struct row {
    std::string_view json;
    std::string_view pointer;
    std::string_view message;  // a part of it
  };
  const row rows[] = {
      {"{", "", "not valid JSON"},
      {"[]", "", "expected an object"},
      {R"({"nmae": "x"})", "/nmae", "unknown field \"nmae\""},
      {R"({"name": "a b"})", "/name", "letters, digits"},
      {R"({"name": ""})", "/name", "letters, digits"},
      {R"({"match": {"buckets": "media"}})", "/match/buckets", "unknown field"},
      {R"({"match": {"bucket": 5}})", "/match/bucket", "expected a string or an array"},
      {R"({"match": {"key": []}})", "/match/key", "at least one"},
      {R"({"match": {"key": ["a", 1]}})", "/match/key/1", "expected a string"},
      {R"({"match": {"kind": "segments"}})", "/match/kind", "unknown kind \"segments\""},
      {R"({"match": {"kind": ["init", "x"]}})", "/match/kind/1", "unknown kind"},
      {R"({"match": {"rendition": {"bandwidth": [2, 1]}}})", "/match/rendition/bandwidth",
       "min is above max"},
      {R"({"match": {"rendition": {"resolution": "640"}}})", "/match/rendition/resolution", "WIDTHxHEIGHT"},
      {R"({"match": {"rendition": {"bitrate": 1}}})", "/match/rendition/bitrate", "unknown field"},
      {R"({"match": {"segment": -1}})", "/match/segment", "whole number"},
      {R"({"match": {"segment": [1]}})", "/match/segment", "[min, max]"},
      {R"({"match": {"sequence": {"from": 1}}})", "/match/sequence/from", "unknown field"},
      {R"({"match": {"client": {"value": "x"}}})", "/match/client", "one of \"header\" or \"query\""},
      {R"({"match": {"client": {"header": "a", "query": "b", "value": "x"}}})", "/match/client", "one of"},
      {R"({"match": {"client": {"header": "x-run"}}})", "/match/client", "expected \"value\""},
      {R"({"match": {"probability": 1.5}})", "/match/probability", "from 0 to 1"},
      {R"({"match": {"seed": "x"}})", "/match/seed", "whole number"},
      {R"({"action": {"latency": "soon"}})", "/action/latency", "expected a duration"},
      {R"({"action": {"latency": 1.5}})", "/action/latency", "a number or a string"},
      {R"({"action": {"throughput": "fast"}})", "/action/throughput", "expected a rate"},
      {R"({"action": {"throughput": 0}})", "/action/throughput", "use \"stall\""},
      {R"({"action": {"timeline": []}})", "/action/timeline", "non-empty array"},
      {R"({"action": {"timeline": [{"rate": "1Mbit"}, {"rate": "2Mbit"}]}})", "/action/timeline/0",
       "only the last step"},
      {R"({"action": {"timeline": [{"for": "1s"}]}})", "/action/timeline/0", "expected \"rate\""},
      {R"({"action": {"timeline": [{"rate": "1Mbit", "for": 0}]}})", "/action/timeline/0/for", "above 0"},
      {R"({"action": {"timeline": {"steps": [{"rate": 1}], "loop": true}}})", "/action/timeline", "looping"},
      {R"({"action": {"timeline": {"steps": [{"rate": 1}], "from": "now"}}})", "/action/timeline/from",
       "\"rule\" or \"request\""},
      {R"({"action": {"error": "Teapot"}})", "/action/error", "unknown S3 error code \"Teapot\""},
      {R"({"action": {"error": 418}})", "/action/error", "no S3 error for status 418"},
      {R"({"action": {"error": {"code": "SlowDown", "status": 500}}})", "/action/error/status",
       "S3 answers SlowDown with 503"},
      {R"({"action": {"error": {}}})", "/action/error", "expected \"code\" or \"status\""},
      {R"({"action": {"cut_after": "half"}})", "/action/cut_after", "expected a size"},
      {R"({"action": {"reset": "yes"}})", "/action/reset", "true or false"},
      {R"({"action": {"reset": true, "stall": true}})", "/action", "exclude each other"},
      {R"({"action": {"error": 503, "stall": true}})", "/action", "never sent"},
      {R"({"action": {"drop": true}})", "/action/drop", "unknown field"},
      {R"({"when": "sometimes"})", "/when", "expected \"always\""},
      {R"({"when": {"first": 0}})", "/when/first", "above 0"},
      {R"({"when": {"first": 1, "every": 2}})", "/when", "one of"},
      {R"({"when": {"last": 1}})", "/when/last", "unknown field"},
      {R"({"drop_cors": 1})", "/drop_cors", "true or false"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.json);
    const auto parsed = parse_rule(r.json);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().pointer == r.pointer);
    CHECK_THAT(parsed.error().message, Catch::Contains(std::string(r.message)));
  }
}

TEST_CASE("faults rules: lists name unnamed rules and refuse duplicate names", "[faults]") {
  const auto listed = parse_rules(R"([{"name": "a"}, {}, {"action": {"latency": 5}}])");
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[0].name == "a");
  CHECK((*listed)[1].name == "rule-2");
  CHECK((*listed)[2].name == "rule-3");
  const auto wrapped = parse_rules(R"({"rules": [{"name": "a"}]})");
  REQUIRE(wrapped.has_value());
  CHECK(wrapped->size() == 1);

  const auto duplicate = parse_rules(R"([{"name": "a"}, {"name": "a"}])");
  REQUIRE_FALSE(duplicate.has_value());
  CHECK(duplicate.error().pointer == "/1/name");
  const auto nested = parse_rules(R"({"rules": [{"match": {"kind": 1}}]})");
  REQUIRE_FALSE(nested.has_value());
  CHECK(nested.error().pointer == "/rules/0/match/kind");
  CHECK(parse_rules(R"({"rule": []})").error().pointer == "/rule");
  CHECK(parse_rules(R"("x")").error().pointer == "");
}
