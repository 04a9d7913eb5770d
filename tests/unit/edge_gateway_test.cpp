// The gateway without a transport (docs/edge.md §9): a fake origin, requests as values.
#include "s3cors/edge/gateway.hpp"
#include "s3cors/store/object_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace edge = s3cors::edge;
using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds t0{seconds(1'700'000'000)};

// Answers every request with a fixed 200 text body and Cache-Control; counts the calls.
class fake_origin final : public edge::origin {
 public:
  mutable std::atomic<int> calls{0};
  std::string cache_control = "max-age=60";
  std::chrono::milliseconds delay{0};
  unsigned status = 200;
  [[nodiscard]] s3cors::started_request fetch(const edge::origin_fetch& fetch,
                                              const s3cors::s3::request_context&) const override {
    ++calls;
    std::this_thread::sleep_for(delay);
    s3cors::response res;
    res.headers.add("Content-Type", "text/plain");
    res.headers.add("Cache-Control", cache_control);
    res.headers.add("ETag", "\"abc\"");
    res.status = status;
    res.set_text_body(status == 200 ? "body of " + std::string(fetch.bucket) + std::string(fetch.path)
                                    : std::string("origin error"));
    s3cors::started_request out;
    out.reply = std::move(res);
    return out;
  }
};

s3cors::request make_request(std::string method, std::string target,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
  s3cors::request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::move(method);
  req.target = std::move(target);
  for (auto& [name, value] : headers) req.headers.add(std::move(name), std::move(value));
  return req;
}

edge::distribution_config distribution(
    std::string_view behavior = R"({"cache_policy": "CachingOptimized"})") {
  auto parsed = edge::parse_distribution(R"({"id": "E1", "origin": "media", "default_behavior": )" +
                                         std::string(behavior) + "}");
  REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

std::string text_of(const s3cors::response& res) {
  if (const auto* text = std::get_if<std::string>(&res.body)) return *text;
  if (const auto* slice = std::get_if<s3cors::file_slice>(&res.body)) {
    std::string out(slice->length, '\0');
    REQUIRE(slice->object->read_if_resident(slice->offset, std::span<char>(out.data(), out.size())));
    return out;
  }
  return {};
}

}  // namespace

TEST_CASE("edge gateway: try_start answers hits only and counts no miss; start fetches", "[edge]") {
  fake_origin origin;
  sys_seconds now = t0;
  edge::gateway_options options;
  options.clock = [&now] { return now; };
  edge::gateway gateway(distribution(), origin, options);
  s3cors::s3::request_context ctx(t0, "REQ", std::string(76, 'h'));
  const auto get = make_request("GET", "/a.txt?x=1");

  CHECK_FALSE(gateway.try_start(get, ctx).has_value());
  CHECK(gateway.cache().stats().misses == 0);
  const auto miss = gateway.start(get, ctx);
  CHECK(miss.reply.res.headers.find("X-Cache") == "Miss from cloudfront");
  CHECK(text_of(miss.reply.res) == "body of media/a.txt");  // the query is not forwarded
  CHECK(origin.calls == 1);

  now += seconds(3);
  const auto hit = gateway.try_start(get, ctx);
  REQUIRE(hit.has_value());
  CHECK(hit->reply.res.headers.find("X-Cache") == "Hit from cloudfront");
  CHECK(hit->reply.res.headers.find("Age") == "3");
  CHECK(text_of(hit->reply.res) == "body of media/a.txt");
  const auto head = gateway.try_start(make_request("HEAD", "/a.txt"), ctx);
  REQUIRE(head.has_value());
  CHECK(std::holds_alternative<std::monostate>(head->reply.res.body));
  CHECK(head->reply.res.content_length == 19);
  CHECK(origin.calls == 1);
  CHECK(gateway.cache().stats().hits == 2);
  CHECK(gateway.cache().stats().misses == 1);

  now += seconds(60);  // max-age=60: expired
  CHECK_FALSE(gateway.try_start(get, ctx).has_value());
}

TEST_CASE("edge gateway: a method the behaviour does not allow is CloudFront's 403, without the origin",
          "[edge]") {
  fake_origin origin;
  edge::gateway gateway(distribution(), origin, {});
  s3cors::s3::request_context ctx(t0, "REQ", "HOST");
  for (const char* method : {"PUT", "DELETE", "POST", "OPTIONS"}) {
    CAPTURE(method);
    const auto refused = gateway.try_start(make_request(method, "/a.txt"), ctx);
    REQUIRE(refused.has_value());
    CHECK(refused->reply.res.status == 403);
    CHECK(refused->reply.res.headers.find("X-Cache") == "Error from cloudfront");
  }
  CHECK(origin.calls == 0);
}

TEST_CASE("edge gateway: control targets", "[edge]") {
  using edge::parse_control_target;
  CHECK(parse_control_target("/_s3cors/distributions/cdn/stats") ==
        std::pair{std::string_view("cdn"), std::string_view("stats")});
  CHECK(parse_control_target("/_s3cors/distributions/cdn/invalidation") ==
        std::pair{std::string_view("cdn"), std::string_view("invalidation")});
  CHECK_FALSE(parse_control_target("/_s3cors/distributions/cdn").has_value());
  CHECK_FALSE(parse_control_target("/_s3cors/distributions//stats").has_value());
  CHECK_FALSE(parse_control_target("/media/_s3cors/distributions/cdn/stats").has_value());
}

TEST_CASE("edge gateway: invalidation bodies in JSON and CloudFront's XML", "[edge]") {
  using edge::parse_invalidation_body;
  const std::vector<std::pair<std::string, std::vector<std::string>>> good = {
      {R"({"paths": ["/a/*", "/b.txt"]})", {"/a/*", "/b.txt"}},
      {R"({"Paths": {"Quantity": 1, "Items": ["/x"]}})", {"/x"}},
      {R"({"InvalidationBatch": {"Paths": {"Items": ["/y"]}, "CallerReference": "r"}})", {"/y"}},
      {"<InvalidationBatch><Paths><Quantity>2</Quantity><Items><Path>/a</Path><Path>/b*</Path></Items></"
       "Paths>"
       "<CallerReference>r</CallerReference></InvalidationBatch>",
       {"/a", "/b*"}},
  };
  for (const auto& [body, paths] : good) {
    CAPTURE(body);
    const auto parsed = parse_invalidation_body(body);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == paths);
  }
  for (const char* body : {"", "nonsense", "{}", R"({"paths": []})", R"({"paths": [1]})",
                           R"({"paths": "/a"})", "<Other/>", "<InvalidationBatch><Paths>"}) {
    CAPTURE(body);
    CHECK_FALSE(parse_invalidation_body(body).has_value());
  }
}

TEST_CASE("edge gateway: control answers stats, invalidations and flushes; loopback clients only", "[edge]") {
  fake_origin origin;
  edge::gateway_options options;
  options.name = "cdn";
  edge::gateway gateway(distribution(), origin, options);
  s3cors::s3::request_context ctx(t0, "REQ", "HOST");
  ctx.source_ip = "127.0.0.1";
  (void)gateway.start(make_request("GET", "/a.txt"), ctx);
  (void)gateway.start(make_request("GET", "/b.txt"), ctx);
  CHECK(gateway.cache().stats().entries == 2);

  const auto stats =
      gateway.control(make_request("GET", "/_s3cors/distributions/cdn/stats"), "stats", "", ctx);
  CHECK(stats.res.status == 200);
  CHECK(stats.res.headers.find("Content-Type") == "application/json");

  const auto done = gateway.control(make_request("POST", "/_s3cors/distributions/cdn/invalidation"),
                                    "invalidation", R"({"paths": ["/a.txt"]})", ctx);
  CHECK(done.res.status == 201);
  CHECK(gateway.cache().stats().entries == 1);
  const auto invalid = gateway.control(make_request("POST", "/_s3cors/distributions/cdn/invalidation"),
                                       "invalidation", R"({"paths": ["no-slash"]})", ctx);
  CHECK(invalid.res.status == 400);
  CHECK(gateway.cache().stats().entries == 1);

  s3cors::s3::request_context remote = ctx;
  remote.source_ip = "192.0.2.7";
  CHECK(gateway.control(make_request("POST", "/_s3cors/distributions/cdn/flush"), "flush", "", remote)
            .res.status == 403);
  CHECK(gateway.cache().stats().entries == 1);
  CHECK(gateway.control(make_request("POST", "/_s3cors/distributions/cdn/flush"), "flush", "", ctx)
            .res.status == 200);
  CHECK(gateway.cache().stats().entries == 0);
  CHECK(gateway.control(make_request("GET", "/x"), "nothing", "", ctx).res.status == 404);
}

TEST_CASE("edge gateway: a request target that is not a path is refused, never appended to the bucket",
          "[edge]") {
  fake_origin origin;
  edge::gateway gateway(distribution(), origin, {});
  s3cors::s3::request_context ctx(t0, "REQ", "HOST");
  // "-private/secret" after "/media" would name bucket "media-private".
  for (const char* target : {"-private/secret", "", "*", "http://example.com/a.txt", "?x=1"}) {
    CAPTURE(target);
    const auto quick = gateway.try_start(make_request("GET", target), ctx);
    REQUIRE(quick.has_value());
    CHECK(quick->reply.res.status == 400);
    CHECK(quick->reply.res.headers.find("X-Cache") == "Error from cloudfront");
    CHECK(gateway.start(make_request("GET", target), ctx).reply.res.status == 400);
  }
  CHECK(origin.calls == 0);
}

TEST_CASE("edge gateway: simultaneous misses for one key are collapsed into one origin request", "[edge]") {
  fake_origin origin;
  origin.delay = std::chrono::milliseconds(300);
  edge::gateway gateway(distribution(), origin, {});
  const s3cors::s3::request_context ctx(t0, "REQ", "HOST");
  std::vector<std::thread> viewers;
  std::atomic<int> hits{0};
  std::atomic<int> misses{0};
  for (int i = 0; i < 5; ++i) {
    viewers.emplace_back([&] {
      const auto res = gateway.start(make_request("GET", "/hot.ts"), ctx).reply.res;
      if (res.headers.find("X-Cache") == "Hit from cloudfront") ++hits;
      if (res.headers.find("X-Cache") == "Miss from cloudfront") ++misses;
      CHECK(text_of(res) == "body of media/hot.ts");
    });
  }
  for (auto& viewer : viewers) viewer.join();
  CHECK(origin.calls == 1);
  CHECK(misses == 1);
  CHECK(hits == 4);
  CHECK(gateway.cache().stats().misses == 1);
  CHECK(gateway.cache().stats().hits == 4);

  SECTION("not with a policy that keeps nothing") {
    edge::gateway disabled(distribution(R"({"cache_policy": "CachingDisabled"})"), origin, {});
    origin.calls = 0;
    std::vector<std::thread> more;
    for (int i = 0; i < 3; ++i)
      more.emplace_back([&] { (void)disabled.start(make_request("GET", "/hot.ts"), ctx); });
    for (auto& viewer : more) viewer.join();
    CHECK(origin.calls == 3);
  }
}

TEST_CASE("edge gateway: an expired entry is served when the origin answers 5xx", "[edge]") {
  fake_origin origin;
  sys_seconds now = t0;
  edge::gateway_options options;
  options.clock = [&now] { return now; };
  edge::gateway gateway(distribution(), origin, options);
  const s3cors::s3::request_context ctx(t0, "REQ", "HOST");
  const auto get = make_request("GET", "/a.txt");
  CHECK(gateway.start(get, ctx).reply.res.status == 200);
  now += seconds(120);  // max-age=60: expired
  origin.status = 503;
  const auto stale = gateway.start(get, ctx).reply.res;
  CHECK(stale.status == 200);
  CHECK(text_of(stale) == "body of media/a.txt");
  CHECK(stale.headers.find("Age") == "120");
  CHECK(origin.calls == 2);
  origin.status = 404;  // a 4xx replaces it
  const auto gone = gateway.start(get, ctx).reply.res;
  CHECK(gone.status == 404);
  CHECK(gone.headers.find("X-Cache") == "Error from cloudfront");
}
