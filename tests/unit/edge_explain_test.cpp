// `s3cors edge explain`'s logic (docs/edge.md §10): the requests file, the routing part, the
// browser's CORS check, the replay of a sequence, and the gateway's refused-from-cache warning.
#include "s3cors/cors/parse.hpp"
#include "s3cors/edge/explain.hpp"
#include "s3cors/edge/gateway.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

namespace edge = s3cors::edge;
using edge::browser_verdict;
using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds t0{seconds(1'700'000'000)};

// A bucket whose CORS rules allow https://player.example: the headers S3 adds only when the
// request carries a matching Origin (and Vary: Origin only then).
class cors_origin final : public edge::origin {
 public:
  mutable int calls = 0;
  [[nodiscard]] s3cors::started_request fetch(const edge::origin_fetch& fetch,
                                              const s3cors::s3::request_context&) const override {
    ++calls;
    s3cors::response res;
    res.headers.add("Content-Type", "video/mp4");
    res.headers.add("ETag", "\"v1\"");
    for (const auto& [name, value] : fetch.request.headers) {
      if (s3cors::iequals(name, "Origin") && value == "https://player.example") {
        res.headers.add("Access-Control-Allow-Origin", value);
        res.headers.add("Access-Control-Allow-Methods", "GET, HEAD");
        res.headers.add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
      }
    }
    res.set_text_body("video");
    s3cors::started_request out;
    out.reply = std::move(res);
    return out;
  }
};

edge::distribution_config distribution(std::string_view behavior) {
  auto parsed = edge::parse_distribution(
      R"({"id": "E1", "origin": "media", "behaviors": [{"path_pattern": "/hls/*", "cache_policy": "CachingDisabled"}],
          "default_behavior": )" +
      std::string(behavior) + "}");
  REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

edge::explain_request get(std::string target, std::vector<edge::header_field> headers = {},
                          std::int64_t at = 0) {
  edge::explain_request r;
  r.target = std::move(target);
  r.headers = std::move(headers);
  r.at = at;
  return r;
}

const edge::header_field player{"Origin", "https://player.example"};

constexpr std::string_view caching_optimized =
    R"({"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"})";

}  // namespace

TEST_CASE("edge explain: requests file", "[edge][explain]") {
  auto parsed = edge::parse_explain_requests(R"([
    {"path": "/video.mp4"},
    {"method": "HEAD", "path": "/video.mp4?x=1", "headers": {"Origin": "https://player.example"}, "at": 5},
    {"path": "/a", "headers": ["Range: bytes=0-1", "X-Test:  v "]}
  ])");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 3);
  CHECK((*parsed)[0].method == "GET");
  CHECK((*parsed)[0].at == 0);
  CHECK((*parsed)[1].method == "HEAD");
  CHECK((*parsed)[1].path() == "/video.mp4");
  CHECK((*parsed)[1].query() == "x=1");
  CHECK((*parsed)[1].header("origin") == "https://player.example");
  CHECK((*parsed)[2].at == 5);  // the previous request's
  CHECK((*parsed)[2].header("X-Test") == "v");
  CHECK(edge::parse_explain_requests(R"({"requests": [{"path": "/x"}]})").has_value());

  const auto [text, error] = GENERATE(table<std::string, std::string>({
      {"not json", "not valid JSON"},
      {"[]", "non-empty array"},
      {R"([{"method": "GET"}])", "request 1: \"path\""},
      {R"([{"path": "x"}])", "must start with '/'"},
      {R"([{"path": "/x", "headers": ["NoColon"]}])", "Name: value"},
      {R"([{"path": "/x", "headers": {"A": 1}}])", "header A"},
      {R"([{"path": "/x", "at": 5}, {"path": "/x", "at": 4}])", "request 2: \"at\""},
      {R"([{"path": "/x", "at": 1.5}])", "whole seconds"},
  }));
  CAPTURE(text);
  const auto bad = edge::parse_explain_requests(text);
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error(), Catch::Matchers::Contains(error));
}

TEST_CASE("edge explain: header lines", "[edge][explain]") {
  CHECK(edge::parse_header_line("Origin: https://a.example") ==
        edge::header_field{"Origin", "https://a.example"});
  CHECK(edge::parse_header_line(" X :y") == edge::header_field{"X", "y"});
  CHECK_FALSE(edge::parse_header_line("no colon"));
  CHECK_FALSE(edge::parse_header_line(": value"));
}

TEST_CASE("edge explain: behaviour, cache key and origin request", "[edge][explain]") {
  const auto d = distribution(caching_optimized);
  const auto hls = edge::route_request(d, get("/hls/a.ts", {player}));
  REQUIRE(hls.behavior_index == 0);
  CHECK(hls.behavior->path_pattern == "/hls/*");
  const auto video = edge::route_request(d, get("/video.mp4?token=1", {player, {"X-Other", "1"}}));
  CHECK_FALSE(video.behavior_index);
  CHECK(video.cached);
  // CachingOptimized: no Origin and no query string in the key; CORS-S3Origin forwards Origin
  // (and the Access-Control-Request-* headers), not X-Other, and no query string.
  CHECK(video.key == edge::route_request(d, get("/video.mp4")).key);
  REQUIRE(video.to_origin.headers.size() == 1);
  CHECK(video.to_origin.headers[0] == player);
  CHECK(video.to_origin.query.empty());

  auto post = get("/video.mp4");
  post.method = "POST";
  const auto refused = edge::route_request(d, post);
  CHECK_FALSE(refused.allowed);
  CHECK_FALSE(refused.cached);
}

TEST_CASE("edge explain: the browser's CORS check", "[edge][explain]") {
  using kind = browser_verdict::kind;
  struct row {
    std::string method;
    std::vector<edge::header_field> request;
    int status;
    std::vector<edge::header_field> response;
    kind expected;
    std::string reason;
  };
  const auto r = GENERATE(values<row>({
      {"GET", {}, 200, {}, kind::not_cors, "no Origin"},
      {"GET", {player}, 200, {}, kind::blocked, "no Access-Control-Allow-Origin"},
      {"GET", {player}, 200, {{"Access-Control-Allow-Origin", "*"}}, kind::allowed, "*"},
      {"GET", {player}, 200, {{"access-control-allow-origin", "https://player.example"}}, kind::allowed, ""},
      {"GET",
       {player},
       200,
       {{"Access-Control-Allow-Origin", "https://other.example"}},
       kind::blocked,
       "not https://player.example"},
      // A 404 with the right headers passes the CORS check (the page then sees the 404).
      {"GET", {player}, 404, {{"Access-Control-Allow-Origin", "*"}}, kind::allowed, ""},
      // Preflights: ok status, method, headers.
      {"OPTIONS",
       {player, {"Access-Control-Request-Method", "GET"}},
       403,
       {{"Access-Control-Allow-Origin", "*"}},
       kind::blocked,
       "403"},
      {"OPTIONS",
       {player, {"Access-Control-Request-Method", "GET"}},
       200,
       {{"Access-Control-Allow-Origin", "*"}},
       kind::allowed,
       "preflight allowed"},
      {"OPTIONS",
       {player, {"Access-Control-Request-Method", "PUT"}},
       200,
       {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Methods", "GET, HEAD"}},
       kind::blocked,
       "does not list PUT"},
      {"OPTIONS",
       {player, {"Access-Control-Request-Method", "PUT"}},
       200,
       {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Methods", "GET, PUT"}},
       kind::allowed,
       ""},
      {"OPTIONS",
       {player,
        {"Access-Control-Request-Method", "GET"},
        {"Access-Control-Request-Headers", "range, accept"}},
       200,
       {{"Access-Control-Allow-Origin", "*"}},
       kind::blocked,
       "does not list range"},
      {"OPTIONS",
       {player, {"Access-Control-Request-Method", "GET"}, {"Access-Control-Request-Headers", "Range"}},
       200,
       {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Headers", "range"}},
       kind::allowed,
       ""},
  }));
  CAPTURE(r.method, r.status, r.reason);
  const s3cors::edge::request_view view{r.method, "/x", "", r.request};
  const auto verdict = edge::judge_as_browser(view, r.status, r.response);
  CHECK(verdict.outcome == r.expected);
  CHECK_THAT(verdict.reason, Catch::Matchers::Contains(r.reason));
}

TEST_CASE("edge explain: replay of the poisoned cache with CachingOptimized", "[edge][explain]") {
  cors_origin origin;
  const auto d = distribution(caching_optimized);
  const std::vector<edge::explain_request> requests{get("/video.mp4"), get("/video.mp4", {player}, 5),
                                                    get("/video.mp4", {player}, 90'000)};
  const auto steps = edge::replay(d, origin, requests, t0);
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].x_cache == "Miss from cloudfront");
  CHECK(steps[0].stored);
  CHECK(steps[0].entry_from == 0);
  CHECK(steps[0].ttl == 86400);
  CHECK_FALSE(steps[0].entry_origin);
  CHECK(steps[0].verdict.outcome == browser_verdict::kind::not_cors);

  CHECK(steps[1].x_cache == "Hit from cloudfront");
  CHECK(steps[1].age == "5");
  CHECK_FALSE(steps[1].stored);
  CHECK(steps[1].entry_from == 0);
  CHECK(steps[1].cors.empty());
  CHECK(steps[1].verdict.outcome == browser_verdict::kind::blocked);

  // After the TTL, the entry is revalidated for the browser's request: the origin answers 200
  // with its CORS headers (the fake sends no 304), which replaces the entry.
  CHECK(steps[2].status == 200);
  CHECK(steps[2].stored);
  CHECK(steps[2].entry_from == 2);
  CHECK(steps[2].entry_origin == "https://player.example");
  CHECK(steps[2].verdict.outcome == browser_verdict::kind::allowed);

  const std::string text = edge::render_explanation("cdn", d, requests, steps);
  CHECK_THAT(text, Catch::Matchers::Contains("DefaultCacheBehavior (*)"));
  CHECK_THAT(text, Catch::Matchers::Contains("cache key:   E1 | GET | /video.mp4"));
  CHECK_THAT(text, Catch::Matchers::Contains("this response populated the entry (request with no Origin"));
  CHECK_THAT(text, Catch::Matchers::Contains("answered from the entry request #1 populated"));
  CHECK_THAT(text, Catch::Matchers::Contains("BLOCKED"));
  CHECK_THAT(text, Catch::Matchers::Contains("fix:"));
  CHECK_THAT(text, Catch::Matchers::Contains("Summary: 3 request(s), 2 cross-origin, 1 blocked"));
}

TEST_CASE("edge explain: replay with either fix allows the browser in any order", "[edge][explain]") {
  const auto fix = GENERATE(
      std::string(R"({"cache_policy": {"Name": "origin-in-key", "MinTTL": 1, "DefaultTTL": 86400,
        "MaxTTL": 31536000, "ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": true,
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Origin"]},
        "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}}})"),
      std::string(R"({"cache_policy": "CachingOptimized", "response_headers_policy": "SimpleCORS"})"));
  CAPTURE(fix);
  cors_origin origin;
  const auto d = distribution(fix);
  const auto steps = edge::replay(d, origin, {get("/video.mp4"), get("/video.mp4", {player}, 1)}, t0);
  REQUIRE(steps.size() == 2);
  CHECK(steps[1].verdict.outcome == browser_verdict::kind::allowed);
  CHECK_THAT(edge::render_explanation("cdn", d, {get("/video.mp4"), get("/video.mp4", {player}, 1)}, steps),
             Catch::Matchers::Contains("0 blocked"));
}

TEST_CASE("edge explain: uncached methods and the routing of a CacheBehavior", "[edge][explain]") {
  cors_origin origin;
  const auto d = distribution(caching_optimized);
  auto post = get("/video.mp4");
  post.method = "POST";
  const std::vector<edge::explain_request> requests{get("/hls/a.ts", {player}), get("/hls/a.ts", {player}),
                                                    post};
  const auto steps = edge::replay(d, origin, requests, t0);
  REQUIRE(steps.size() == 3);
  // CachingDisabled: each request reaches the origin and nothing is stored.
  CHECK(steps[0].x_cache == "Miss from cloudfront");
  CHECK(steps[1].x_cache == "Miss from cloudfront");
  CHECK_FALSE(steps[1].entry_from);
  CHECK(origin.calls == 2);
  CHECK(steps[2].status == 403);
  const std::string text = edge::render_explanation("cdn", d, requests, steps);
  CHECK_THAT(text, Catch::Matchers::Contains("CacheBehaviors[0], PathPattern \"/hls/*\""));
  CHECK_THAT(text, Catch::Matchers::Contains("not among the allowed methods"));
}

TEST_CASE("edge gateway: a cross-origin request refused from cache is reported, once a minute per cache key",
          "[edge][explain]") {
  cors_origin origin;
  sys_seconds now = t0;
  std::vector<std::string> lines;
  edge::gateway_options options;
  options.name = "cdn";
  options.clock = [&now] { return now; };
  options.warn = [&lines](const std::string& line) { lines.push_back(line); };
  edge::gateway gateway(distribution(caching_optimized), origin, options);
  const s3cors::s3::request_context ctx(t0, "REQ", "host");
  auto send = [&](std::vector<std::pair<std::string, std::string>> headers) {
    s3cors::request req;
    req.method_name = "GET";
    req.target = "/video.mp4";
    for (auto& [name, value] : headers) req.headers.add(name, value);
    return gateway.start(req, ctx).reply.res;
  };
  send({});  // the miss without Origin populates the entry
  CHECK(lines.empty());
  send({});  // a hit without Origin: not a CORS request
  CHECK(lines.empty());
  send({{"Origin", "https://player.example"}});  // refused
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Matchers::Contains("edge cdn:"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("GET /video.mp4 from Origin https://player.example"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("(Hit from cloudfront, key E1 | GET | /video.mp4 | ?)"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("stored for a request with no Origin"));
  CHECK_THAT(lines[0], Catch::Matchers::Contains("invalidate /video.mp4"));
  now += seconds(30);
  send({{"Origin", "https://player.example"}});
  CHECK(lines.size() == 1);  // rate-limited
  now += seconds(31);
  send({{"Origin", "https://player.example"}});
  CHECK(lines.size() == 2);
  // An Origin the entry's headers allow is not reported: with SimpleCORS nothing is refused.
  edge::gateway fixed(
      distribution(R"({"cache_policy": "CachingOptimized", "response_headers_policy": "SimpleCORS"})"),
      origin, options);
  s3cors::request req;
  req.method_name = "GET";
  req.target = "/video.mp4";
  (void)fixed.start(req, ctx);
  req.headers.add("Origin", "https://player.example");
  const auto res = fixed.start(req, ctx).reply.res;
  CHECK(res.headers.find("X-Cache") == "Hit from cloudfront");
  CHECK(lines.size() == 2);
}

TEST_CASE("edge explain: what the bucket's CORS rules make of the origin request", "[edge][explain]") {
  auto rules = s3cors::cors::parse_any(
      R"([{"AllowedOrigins": ["https://player.example"], "AllowedMethods": ["GET", "HEAD"]}])");
  REQUIRE(rules.has_value());
  const auto config = std::make_shared<const s3cors::cors::cors_configuration>(std::move(*rules));
  const auto forwarded = distribution(caching_optimized);
  const auto not_forwarded = distribution(R"({"cache_policy": "CachingOptimized"})");
  struct row {
    bool forward;
    edge::explain_request request;
    bool with_config;
    std::string expected;
  };
  const auto r = GENERATE(values<row>({
      {false, get("/video.mp4", {player}), true, "Origin is not forwarded to the bucket"},
      {true, get("/video.mp4", {player}), false, "no CORS configuration"},
      {true, get("/video.mp4", {player}), true,
       "matched rule 0: S3 sends Access-Control-Allow-Origin: https://player.example"},
      {true, get("/video.mp4", {{"Origin", "https://evil.example"}}), true,
       "no match: rule 0 origin_mismatch"},
  }));
  CAPTURE(r.expected);
  const auto routing = edge::route_request(r.forward ? forwarded : not_forwarded, r.request);
  CHECK_THAT(
      edge::bucket_cors_judgement(r.with_config ? config.get() : nullptr, r.request, routing.to_origin),
      Catch::Matchers::Contains(r.expected));

  // replay() fills it for requests with Origin only, from the lookup.
  cors_origin origin;
  const auto steps = edge::replay(forwarded, origin, {get("/video.mp4"), get("/video.mp4", {player})}, t0,
                                  [&config](std::string_view bucket) {
                                    CHECK(bucket == "media");
                                    return config;
                                  });
  REQUIRE(steps.size() == 2);
  CHECK_FALSE(steps[0].bucket_rules);
  REQUIRE(steps[1].bucket_rules);
  CHECK_THAT(*steps[1].bucket_rules, Catch::Matchers::Contains("matched rule 0"));
}

TEST_CASE("edge explain: a copy cached for another Origin is explained too", "[edge][explain]") {
  // The bucket allows every origin and echoes it; CORS-S3Origin forwards Origin, CachingOptimized
  // leaves it out of the key: the second origin gets the first one's Access-Control-Allow-Origin.
  class echo_origin final : public edge::origin {
   public:
    [[nodiscard]] s3cors::started_request fetch(const edge::origin_fetch& fetch,
                                                const s3cors::s3::request_context&) const override {
      s3cors::response res;
      for (const auto& [name, value] : fetch.request.headers) {
        if (s3cors::iequals(name, "Origin")) res.headers.add("Access-Control-Allow-Origin", value);
      }
      res.set_text_body("video");
      s3cors::started_request out;
      out.reply = std::move(res);
      return out;
    }
  } origin;
  const auto d = distribution(caching_optimized);
  const std::vector<edge::explain_request> requests{get("/video.mp4", {{"Origin", "https://a.example"}}),
                                                    get("/video.mp4", {{"Origin", "https://b.example"}}, 1)};
  const auto steps = edge::replay(d, origin, requests, t0);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].verdict.outcome == browser_verdict::kind::allowed);
  CHECK(steps[1].verdict.outcome == browser_verdict::kind::blocked);
  CHECK_THAT(steps[1].verdict.reason,
             Catch::Matchers::Contains("is https://a.example, not https://b.example"));
  const std::string text = edge::render_explanation("cdn", d, requests, steps);
  CHECK_THAT(text, Catch::Matchers::Contains("came from request #1, with Origin https://a.example"));
  CHECK_THAT(text, Catch::Matchers::Contains("fix:"));
}
