// The inspector's records of a distribution's listener (docs/inspector.md §1): the two-layer
// explanation, the fix that names its layer, the response headers policy's decision, and what the
// gateway puts in the record.
#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/edge/gateway.hpp"
#include "s3cors/edge/response_headers.hpp"
#include "s3cors/inspector/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace s3cors;
using inspector::record;

namespace {

const char* player_rules =
    R"([{"AllowedOrigins":["https://player.example"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}])";

std::string distribution_json(std::string_view default_behavior) {
  return R"({"id": "E1", "origin": "media",
             "behaviors": [{"path_pattern": "/hls/*", "cache_policy": "CachingDisabled"}],
             "default_behavior": )" +
         std::string(default_behavior) + "}";
}

edge::distribution_config parse(const std::string& json) {
  auto parsed = edge::parse_distribution(json);
  if (!parsed) FAIL(parsed.error().pointer << ": " << parsed.error().message);
  return std::move(*parsed);
}

// A record as the session makes it for the listener of distribution "cdn".
record edge_record(std::string method, std::string target,
                   std::vector<std::pair<std::string, std::string>> headers, unsigned status,
                   std::string x_cache) {
  record r;
  r.time = "2026-01-02T03:04:05Z";
  r.listener = "cdn";
  r.distribution = "E1";
  r.method = std::move(method);
  r.target = std::move(target);
  r.bucket = "media";
  r.key = r.target.substr(1);
  r.status = status;
  r.request_headers = {{"Host", "127.0.0.1:8081"}};
  for (auto& h : headers) {
    if (h.first == "Origin") r.origin = h.second;
    r.request_headers.push_back(std::move(h));
  }
  r.edge_cache = std::move(x_cache);
  r.response_headers = {{"X-Cache", r.edge_cache}, {"Via", "1.1 e1.cloudfront.net (CloudFront)"}};
  return r;
}

// The configuration file's distribution after merging a suggested fragment into it.
nlohmann::json apply_fragment(nlohmann::json distribution, const nlohmann::json& fragment) {
  const auto& change = fragment.at("distributions").at("cdn");
  if (change.contains("default_behavior"))
    distribution["default_behavior"].merge_patch(change["default_behavior"]);
  if (change.contains("behaviors")) {
    for (const auto& entry : change["behaviors"]) {
      for (auto& b : distribution["behaviors"]) {
        if (b["path_pattern"] == entry["path_pattern"]) b.merge_patch(entry);
      }
    }
  }
  return distribution;
}

}  // namespace

TEST_CASE("inspector analysis of a distribution's record: both layers, and the layer to change",
          "[inspector][edge]") {
  auto rules = cors::parse_json(player_rules);
  REQUIRE(rules.has_value());
  const auto bucket_rules = std::make_shared<const cors::cors_configuration>(std::move(*rules));
  const edge::bucket_cors_lookup lookup = [&](std::string_view bucket) {
    return bucket == "media" ? bucket_rules : nullptr;
  };
  const std::pair<std::string, std::string> player{"Origin", "https://player.example"};
  const std::pair<std::string, std::string> other{"Origin", "https://other.example"};
  struct row {
    const char* name;
    const char* behavior;  // default_behavior
    record r;
    const char* layer;  // "" : no suggestion
    std::vector<const char*> in_summary;
    std::vector<const char*> in_explanation;
    const char* in_fragment;  // "" : no fragment
  };
  std::vector<row> rows{
      {"Origin not forwarded: S3 sends no CORS headers",
       R"({"cache_policy": "CachingOptimized"})",
       edge_record("GET", "/video.mp4", {player}, 200, "Miss from cloudfront"),
       "distribution",
       {"distribution cdn: forward the Origin header", "CORS-S3Origin", "DefaultCacheBehavior",
        "invalidate /video.mp4"},
       {"Origin is not forwarded to the bucket", "S3 sends no CORS headers", "DefaultCacheBehavior (*)",
        "BLOCKED: no Access-Control-Allow-Origin"},
       R"("origin_request_policy": "CORS-S3Origin")"},
      {"a behaviour of CacheBehaviors is named by its path pattern",
       R"({"cache_policy": "CachingOptimized"})",
       edge_record("GET", "/hls/a.m3u8", {player}, 200, "Miss from cloudfront"),
       "distribution",
       {"CacheBehaviors[0] (PathPattern \"/hls/*\")"},
       {"CacheBehaviors[0], PathPattern \"/hls/*\""},
       R"("path_pattern": "/hls/*")"},
      {"a preflight the behaviour does not allow is refused at the edge",
       R"({"allowed_methods": ["GET", "HEAD"], "origin_request_policy": "CORS-S3Origin"})",
       edge_record("OPTIONS", "/video.mp4", {player, {"Access-Control-Request-Method", "GET"}}, 403,
                   "Error from cloudfront"),
       "distribution",
       {"allow OPTIONS in the cache behaviour DefaultCacheBehavior", "allows only GET, HEAD", "preflight"},
       {"not among the allowed methods", "It did not reach the bucket"},
       R"("OPTIONS")"},
      {"the preflight's Access-Control-Request-Method is not forwarded (CORS-CustomOrigin forwards Origin "
       "only)",
       R"({"allowed_methods": ["GET", "HEAD", "OPTIONS"], "origin_request_policy": "CORS-CustomOrigin"})",
       edge_record("OPTIONS", "/video.mp4", {player, {"Access-Control-Request-Method", "GET"}}, 403,
                   "Error from cloudfront"),
       "distribution",
       {"forward the Access-Control-Request-Method header", "instead of CORS-CustomOrigin"},
       {"2. The bucket media"},
       R"("origin_request_policy": "CORS-S3Origin")"},
      {"the bucket's rules refuse the forwarded Origin: the bucket's fix",
       R"({"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"})",
       edge_record("GET", "/video.mp4", {other}, 200, "Miss from cloudfront"),
       "bucket",
       {"bucket media: "},
       {"2. The bucket media, for the request as the edge forwarded it", "rule 0", "origin"},
       "https://other.example"},
      {"a hit from an entry stored without Origin: Origin into the cache key",
       R"({"cache_policy": "CachingOptimized", "origin_request_policy": "CORS-S3Origin"})",
       [&] {
         auto r = edge_record("GET", "/video.mp4", {player}, 200, "Hit from cloudfront");
         r.cache_entry = "a request with no Origin";
         return r;
       }(),
       "distribution",
       {"put Origin in the cache policy's key", "a request with no Origin", "invalidate /video.mp4"},
       {"answered from the entry stored for a request with no Origin", "This answer came from the cache",
        "rule 0: matched"},
       R"("CachingOptimized-with-Origin")"},
      {"the response headers policy adds the CORS headers: allowed, no suggestion",
       R"({"cache_policy": "CachingOptimized", "response_headers_policy": "SimpleCORS"})",
       [&] {
         auto r = edge_record("GET", "/video.mp4", {player}, 200, "Hit from cloudfront");
         r.response_headers.emplace_back("Access-Control-Allow-Origin", "*");
         r.response_headers_policy = "SimpleCORS: added Access-Control-Allow-Origin: *";
         r.cache_entry = "a request with no Origin";
         return r;
       }(),
       "",
       {},
       {"response headers policy SimpleCORS: CORS for origins *, OriginOverride false",
        "this answer: SimpleCORS: added Access-Control-Allow-Origin: *",
        "allowed: Access-Control-Allow-Origin: *"},
       ""},
  };
  for (const auto& t : rows) {
    SECTION(t.name) {
      const std::string json = distribution_json(t.behavior);
      const auto config = parse(json);
      const auto a = inspector::analyse_edge(t.r, "cdn", config, lookup);
      INFO(a.explanation);
      INFO(a.summary);
      // In the order the request went.
      const auto edge_at = a.explanation.find("1. The distribution cdn (E1) in front of bucket media");
      const auto bucket_at = a.explanation.find("2. The bucket media");
      const auto browser_at = a.explanation.find("3. The browser");
      CHECK(edge_at == 0);
      CHECK(edge_at < bucket_at);
      CHECK(bucket_at < browser_at);
      CHECK(browser_at != std::string::npos);
      for (const char* text : t.in_explanation) CHECK(a.explanation.find(text) != std::string::npos);
      CHECK(a.has_suggestion == (std::string_view(t.layer) != ""));
      if (!a.has_suggestion) continue;
      CHECK(a.layer == t.layer);
      for (const char* text : t.in_summary) CHECK(a.summary.find(text) != std::string::npos);
      CHECK(a.configuration_json.find(t.in_fragment) != std::string::npos);
      if (a.layer == "bucket") {
        // The bucket's fix: the whole changed configuration, which then allows the request.
        auto fixed = cors::parse_json(a.configuration_json);
        REQUIRE(fixed.has_value());
        CHECK(cors::evaluate(*fixed, cors::cors_request{t.r.origin, t.r.method, {}, {}}, false).matched_rule);
        continue;
      }
      // The distribution's fix: a fragment of the configuration file, which parses once merged and
      // leaves the distribution nothing more to fix for this request.
      const auto merged =
          apply_fragment(nlohmann::json::parse(json), nlohmann::json::parse(a.configuration_json));
      const auto fixed = parse(merged.dump());
      const auto again = inspector::analyse_edge(t.r, "cdn", fixed, lookup);
      CHECK_FALSE((again.has_suggestion && again.layer == "distribution"));
    }
  }
}

TEST_CASE("inspector detail of a distribution's record: its fields and the suggestion's layer",
          "[inspector][edge]") {
  const auto config = parse(distribution_json(R"({"cache_policy": "CachingOptimized"})"));
  auto r =
      edge_record("GET", "/video.mp4", {{"Origin", "https://player.example"}}, 200, "Miss from cloudfront");
  r.response_headers_policy = "";
  const auto a = inspector::analyse_edge(r, "cdn", config, {});
  const auto detail = nlohmann::json::parse(inspector::detail_json(r, a));
  CHECK(detail["distribution"] == "E1");
  CHECK(detail["listener"] == "cdn");
  CHECK(detail["bucket"] == "media");
  CHECK(detail["key"] == "video.mp4");
  CHECK(detail["edge_cache"] == "Miss from cloudfront");
  CHECK(detail["response_headers_policy"].is_null());
  CHECK(detail["suggestion"]["layer"] == "distribution");
  CHECK(nlohmann::json::parse(std::string(
            detail["suggestion"]["configuration_json"]))["distributions"]["cdn"]["default_behavior"]
                                                        ["origin_request_policy"] == "CORS-S3Origin");
  const auto row = nlohmann::json::parse(inspector::row_json(r));
  CHECK(row["distribution"] == "E1");
  SECTION("without Origin: no explanation, no suggestion") {
    const auto none = inspector::analyse_edge(
        edge_record("GET", "/video.mp4", {}, 200, "Hit from cloudfront"), "cdn", config, {});
    CHECK(none.explanation.empty());
    CHECK_FALSE(none.has_suggestion);
  }
}

TEST_CASE("edge: what a response headers policy did to the CORS headers, in one line", "[inspector][edge]") {
  auto custom = edge::parse_response_headers_policy(R"({"Name": "mine", "CorsConfig": {
      "AccessControlAllowOrigins": {"Items": ["https://player.example"]},
      "AccessControlAllowHeaders": {"Items": ["*"]}, "AccessControlAllowMethods": {"Items": ["GET"]},
      "AccessControlAllowCredentials": false, "OriginOverride": true}})");
  REQUIRE(custom.has_value());
  const auto& simple = *edge::find_managed_response_headers_policy("SimpleCORS");
  const auto& security = *edge::find_managed_response_headers_policy("SecurityHeadersPolicy");
  const std::vector<edge::header_field> player{{"Origin", "https://player.example"}};
  const std::vector<edge::header_field> other{{"Origin", "https://other.example"}};
  const std::vector<edge::header_field> from_bucket{
      {"Access-Control-Allow-Origin", "https://player.example"}};
  struct row {
    const edge::response_headers_policy* policy;
    const std::vector<edge::header_field>* request;
    std::vector<edge::header_field> before;
    const char* expected;
  };
  const std::vector<row> rows{
      {&simple, &player, {}, "SimpleCORS: added Access-Control-Allow-Origin: *"},
      {&simple, &player, from_bucket,
       "SimpleCORS: kept the origin's Access-Control-Allow-Origin: https://player.example (OriginOverride "
       "false)"},
      {&*custom,
       &player,
       {{"Access-Control-Allow-Origin", "*"}},
       "mine: replaced the origin's Access-Control-Allow-Origin: * with https://player.example "
       "(OriginOverride)"},
      {&*custom,
       &other,
       {},
       "mine: Origin https://other.example is not among its AccessControlAllowOrigins: no CORS "
       "headers added"},
      {&simple, nullptr, {}, "SimpleCORS: no Origin in the request: no CORS headers added"},
      {&security,
       &player,
       {},
       "SecurityHeadersPolicy: no CORS settings (the origin's CORS headers pass as they are)"},
  };
  for (const auto& t : rows) {
    const std::vector<edge::header_field> none;
    const edge::request_view view{"GET", "/video.mp4", "", t.request ? *t.request : none};
    std::vector<edge::header_field> after = t.before;
    edge::apply_response_headers_policy(*t.policy, view, after);
    CHECK(edge::describe_cors_outcome(*t.policy, view, t.before, after) == t.expected);
  }
}

namespace {

// An origin that answers 200 with the bucket's CORS headers only for https://player.example.
class fake_origin final : public edge::origin {
 public:
  [[nodiscard]] started_request fetch(const edge::origin_fetch& fetch,
                                      const s3::request_context&) const override {
    response res;
    res.headers.add("Content-Type", "video/mp4");
    for (const auto& [name, value] : fetch.request.headers) {
      if (iequals(name, "Origin") && value == "https://player.example")
        res.headers.add("Access-Control-Allow-Origin", value);
    }
    res.set_text_body("video");
    started_request out;
    out.reply = std::move(res);
    return out;
  }
};

}  // namespace

TEST_CASE(
    "edge gateway: with log details, the answer's note names the origin bucket and key, the policy's "
    "decision and the cache entry",
    "[inspector][edge]") {
  const fake_origin origin;
  edge::gateway gateway(
      parse(distribution_json(
          R"({"cache_policy": "CachingOptimized", "response_headers_policy": "SimpleCORS"})")),
      origin, {});
  const s3::request_context ctx(std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000)), "REQ1",
                                "host-id");
  request req;
  req.verb = method::get;
  req.method_name = "GET";
  req.target = "/a%20b/video.mp4";
  req.log_details = true;
  auto miss = gateway.start(req, ctx);
  CHECK(miss.reply.log.bucket == "media");
  CHECK(miss.reply.log.key == "a b/video.mp4");
  CHECK(miss.reply.log.edge.distribution == "E1");
  CHECK(miss.reply.log.edge.response_headers_policy ==
        "SimpleCORS: no Origin in the request: no CORS headers added");
  CHECK(miss.reply.log.edge.cache_entry.empty());
  req.headers.add("Origin", "https://player.example");
  auto hit = gateway.try_start(req, ctx);
  REQUIRE(hit);
  CHECK(hit->reply.res.headers.find("X-Cache") == "Hit from cloudfront");
  CHECK(hit->reply.log.bucket == "media");
  CHECK(hit->reply.log.edge.cache_entry == "a request with no Origin");
  CHECK(hit->reply.log.edge.response_headers_policy == "SimpleCORS: added Access-Control-Allow-Origin: *");
  SECTION("without log details (no inspector page, text log) nothing is noted") {
    req.log_details = false;
    auto quiet = gateway.try_start(req, ctx);
    REQUIRE(quiet);
    CHECK(quiet->reply.log.bucket.empty());
    CHECK(quiet->reply.log.edge.distribution.empty());
    CHECK(quiet->reply.log.edge.response_headers_policy.empty());
  }
}
