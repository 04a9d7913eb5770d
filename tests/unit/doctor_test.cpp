#include "s3cors/doctor/check.hpp"
#include "s3cors/doctor/model.hpp"
#include "s3cors/doctor/url.hpp"

#include "s3cors/cors/parse.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

// `s3cors doctor`: the player request model and the checks of its answers (docs/doctor.md).

namespace doctor = s3cors::doctor;
namespace cors = s3cors::cors;
using doctor::request_kind;
using doctor::verdict;

namespace {

const doctor::fetched_text master{"http://127.0.0.1:9000/media/hls/master.m3u8",
                                  "#EXTM3U\n"
                                  "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"audio/en.m3u8\"\n"
                                  "#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\"\n"
                                  "low/index.m3u8\n"
                                  "#EXT-X-STREAM-INF:BANDWIDTH=2\r\n"
                                  "../hls/high/index.m3u8?v=1\r\n"};

const doctor::fetched_text low{"http://127.0.0.1:9000/media/hls/low/index.m3u8",
                               "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                               "#EXT-X-KEY:METHOD=AES-128,URI=\"/keys/k1\",IV=0x1\n"
                               "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n"
                               "#EXTINF:2,\nseg0.m4s\n#EXTINF:2,\nseg1.m4s\n"
                               "#EXT-X-BYTERANGE:1000@720\n#EXTINF:2,\nall.mp4\n"
                               "#EXT-X-BYTERANGE:500\n#EXTINF:2,\nall.mp4\n"
                               "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://fairplay\"\n"
                               "#EXT-X-ENDLIST\n"};

std::vector<doctor::player_request> of_kind(const std::vector<doctor::player_request>& all, request_kind k) {
  std::vector<doctor::player_request> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [&](const auto& r) { return r.kind == k; });
  return out;
}

const doctor::header_read* reads(const doctor::player_request& r, std::string_view name) {
  for (const auto& h : r.reads)
    if (h.name == name) return &h;
  return nullptr;
}

const char* live_mpd_head = R"(<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="2024-01-01T00:00:00Z">
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-head:2014" value="/media/time"/>
  <Period>
    <AdaptationSet mimeType="video/mp4">
      <SegmentTemplate initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number%05d$.m4s" startNumber="7"/>
      <Representation id="v1" bandwidth="100"/>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <Representation id="a1" bandwidth="50">
        <BaseURL>audio.mp4</BaseURL>
        <SegmentBase indexRange="800-1299"><Initialization range="0-799"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>)";

}  // namespace

TEST_CASE("doctor model: URLs resolve as RFC 3986 §5.2 says", "[doctor]") {
  const std::string base = "http://h:1/media/hls/master.m3u8?x=1";
  CHECK(doctor::resolve_url(base, "low/a.m3u8") == "http://h:1/media/hls/low/a.m3u8");
  CHECK(doctor::resolve_url(base, "../b/./c.ts") == "http://h:1/media/b/c.ts");
  CHECK(doctor::resolve_url(base, "/keys/k?t=2") == "http://h:1/keys/k?t=2");
  CHECK(doctor::resolve_url(base, "//cdn/x.ts") == "http://cdn/x.ts");
  CHECK(doctor::resolve_url(base, "https://o/y.ts") == "https://o/y.ts");
  CHECK(doctor::resolve_url(base, "../../../../z") == "http://h:1/z");
}

TEST_CASE("doctor model: https bases, host names, ports and IPv6 literals resolve too", "[doctor]") {
  struct row {
    std::string_view base, reference, expected;
  };
  const auto row_ = GENERATE(values<row>({
      {"https://d111.cloudfront.net/hls/master.m3u8", "low/a.m3u8",
       "https://d111.cloudfront.net/hls/low/a.m3u8"},
      {"https://d111.cloudfront.net/hls/master.m3u8", "/keys/k", "https://d111.cloudfront.net/keys/k"},
      {"https://d111.cloudfront.net/hls/master.m3u8", "//cdn.example/x.ts", "https://cdn.example/x.ts"},
      {"https://d111.cloudfront.net/hls/master.m3u8", "https://other-host:8443/s/1.ts",
       "https://other-host:8443/s/1.ts"},
      {"https://d111.cloudfront.net/hls/master.m3u8", "http://plain/1.ts", "http://plain/1.ts"},
      {"https://localhost:8443/media/hls/master.m3u8?sig=a", "../x/./b.ts?sig=b",
       "https://localhost:8443/media/x/b.ts?sig=b"},
      {"http://[::1]:9000/media/hls/master.m3u8", "low/a.m3u8", "http://[::1]:9000/media/hls/low/a.m3u8"},
      {"https://[2001:db8::1]/a/b.mpd", "../c.m4s", "https://[2001:db8::1]/c.m4s"},
      // A ':' after '?' does not make a scheme: still relative.
      {"https://h/a/m.m3u8", "seg.ts?u=http://x/y", "https://h/a/seg.ts?u=http://x/y"},
      {"https://h/a/m.m3u8", "skd://fairplay", "skd://fairplay"},
      {"https://h/a/m.m3u8", "data:text/plain,k", "data:text/plain,k"},
  }));
  CAPTURE(row_.base, row_.reference);
  CHECK(doctor::resolve_url(row_.base, row_.reference) == row_.expected);
}

TEST_CASE("doctor url: http and https URLs parse into host, port, target and Host header", "[doctor]") {
  struct row {
    std::string_view url;
    bool tls;
    std::string_view host;
    unsigned port;
    std::string_view target, authority;
    bool ip;
  };
  const auto row_ = GENERATE(values<row>({
      {"http://127.0.0.1:9000/media/hls/master.m3u8", false, "127.0.0.1", 9000, "/media/hls/master.m3u8",
       "127.0.0.1:9000", true},
      {"https://d111.cloudfront.net/hls/master.m3u8?sig=1#t=5", true, "d111.cloudfront.net", 443,
       "/hls/master.m3u8?sig=1", "d111.cloudfront.net", false},
      {"HTTPS://CDN.Example:8443", true, "cdn.example", 8443, "/", "cdn.example:8443", false},
      {"https://localhost:443/a", true, "localhost", 443, "/a", "localhost", false},
      {"http://localhost:80/a", false, "localhost", 80, "/a", "localhost", false},
      {"http://localhost:/a", false, "localhost", 80, "/a", "localhost", false},
      {"https://localhost:8443/x", true, "localhost", 8443, "/x", "localhost:8443", false},
      {"http://[::1]:9000/media/x?cors", false, "::1", 9000, "/media/x?cors", "[::1]:9000", true},
      {"https://[2001:DB8::1]/m.mpd", true, "2001:db8::1", 443, "/m.mpd", "[2001:db8::1]", true},
      {"http://h?q=1", false, "h", 80, "/?q=1", "h", false},
      {"http://my_bucket.s3-website.local/k", false, "my_bucket.s3-website.local", 80, "/k",
       "my_bucket.s3-website.local", false},
      {"http://1.2.3/k", false, "1.2.3", 80, "/k", "1.2.3", false},  // not dotted-quad: a name
  }));
  CAPTURE(row_.url);
  const auto parsed = doctor::parse_http_url(row_.url);
  REQUIRE(parsed.has_value());
  CHECK(parsed->tls == row_.tls);
  CHECK(parsed->host == row_.host);
  CHECK(parsed->port == row_.port);
  CHECK(parsed->target == row_.target);
  CHECK(parsed->authority == row_.authority);
  CHECK(parsed->ip_literal == row_.ip);
}

TEST_CASE("doctor url: what cannot be fetched is refused with a reason", "[doctor]") {
  struct row {
    std::string_view url, reason;
  };
  const auto row_ = GENERATE(values<row>({
      {"ftp://h/x", "only http:// and https:// URLs"},
      {"h/x", "only http:// and https:// URLs"},
      {"https:///x", "no host"},
      {"https://:443/x", "no host"},
      {"https://user:pw@h/x", "user information"},
      {"http://[::1/x", "unclosed IPv6"},
      {"http://[zz::1]/x", "bad IPv6 address"},
      {"http://[::1]x/", "bad authority"},
      {"http://h:0/x", "bad port '0'"},
      {"http://h:65536/x", "bad port '65536'"},
      {"http://h:9a/x", "bad port '9a'"},
      {"http://h..example/x", "bad host"},
      {"http://h%41/x", "bad host"},
  }));
  CAPTURE(row_.url);
  const auto parsed = doctor::parse_http_url(row_.url);
  REQUIRE_FALSE(parsed.has_value());
  CHECK_THAT(parsed.error(), Catch::Contains(std::string(row_.reason)));
}

TEST_CASE("doctor model: players by name, MPD detection", "[doctor]") {
  CHECK(doctor::parse_player("hls.js") == doctor::player::hls_js);
  CHECK(doctor::parse_player("vhs") == doctor::player::video_js);
  CHECK(doctor::parse_player("shaka") == doctor::player::shaka);
  CHECK(doctor::parse_player("dash.js") == doctor::player::dash_js);
  CHECK_FALSE(doctor::parse_player("flash"));
  CHECK(doctor::is_mpd("<?xml version=\"1.0\"?>\n<!-- c -->\n<MPD type=\"static\">"));
  CHECK(doctor::is_mpd("<dash:MPD>"));
  CHECK_FALSE(doctor::is_mpd("#EXTM3U\n"));
  CHECK_FALSE(doctor::is_mpd("<html>"));
}

TEST_CASE("doctor model: a master playlist's renditions", "[doctor]") {
  CHECK(doctor::variant_playlists(master) == std::vector<std::string>{
                                                 "http://127.0.0.1:9000/media/hls/audio/en.m3u8",
                                                 "http://127.0.0.1:9000/media/hls/low/index.m3u8",
                                                 "http://127.0.0.1:9000/media/hls/high/index.m3u8?v=1",
                                             });
  CHECK(doctor::variant_playlists(low).empty());
}

TEST_CASE("doctor model: the HLS requests per player (keys, init, byte ranges)", "[doctor]") {
  struct row {
    doctor::player p;
    bool reads_content_range;
  };
  for (const row& r : {row{doctor::player::hls_js, true}, row{doctor::player::video_js, false},
                       row{doctor::player::shaka, false}}) {
    SECTION(std::string(doctor::to_string(r.p))) {
      const auto all = doctor::enumerate_requests(r.p, {}, master, {low});
      REQUIRE(all.has_value());
      CHECK(all->front().kind == request_kind::manifest);
      CHECK(of_kind(*all, request_kind::media_playlist).size() == 3);
      const auto keys = of_kind(*all, request_kind::key);
      REQUIRE(keys.size() == 1);  // skd:// is not fetched over HTTP
      CHECK(keys[0].url == "http://127.0.0.1:9000/keys/k1");
      const auto init = of_kind(*all, request_kind::init_segment);
      REQUIRE(init.size() == 1);
      CHECK(init[0].range == "bytes=0-719");
      const auto segments = of_kind(*all, request_kind::segment);
      REQUIRE(segments.size() == 1);  // one of each form stands for the rest
      CHECK(segments[0].url == "http://127.0.0.1:9000/media/hls/low/seg0.m4s");
      CHECK_FALSE(segments[0].range);
      const auto ranged = of_kind(*all, request_kind::byte_range_segment);
      REQUIRE(ranged.size() == 1);
      CHECK(ranged[0].range == "bytes=720-1719");
      CHECK((reads(ranged[0], "Content-Range") != nullptr) == r.reads_content_range);
      CHECK(std::all_of(all->begin(), all->end(),
                        [](const auto& q) { return q.method == "GET" && !q.source.empty(); }));
    }
  }
  SECTION("dash.js does not play HLS; hls.js does not play DASH") {
    CHECK_FALSE(doctor::enumerate_requests(doctor::player::dash_js, {}, master, {}).has_value());
    CHECK_FALSE(doctor::enumerate_requests(doctor::player::hls_js, {}, {"http://h/a.mpd", live_mpd_head}, {})
                    .has_value());
  }
}

TEST_CASE("doctor model: options, live playlists and shaka's HEAD probe", "[doctor]") {
  const doctor::player_options options{true, {"X-Session"}};
  const doctor::fetched_text live{"http://h/live/index.m3u8", "#EXTM3U\n#EXTINF:2,\ns1.ts\n"};
  const auto hls = doctor::enumerate_requests(doctor::player::hls_js, options, live, {});
  REQUIRE(hls.has_value());
  REQUIRE(hls->size() == 2);
  CHECK(hls->at(0).credentials);
  CHECK(hls->at(0).headers == std::vector<std::string>{"X-Session"});
  CHECK(reads(hls->at(0), "Age") != nullptr);  // a live playlist: hls.js reads Age

  const auto shaka =
      doctor::enumerate_requests(doctor::player::shaka, {}, {"http://h/live/stream", live.text}, {});
  REQUIRE(shaka.has_value());
  CHECK(shaka->at(0).kind == request_kind::probe);
  CHECK(shaka->at(0).method == "HEAD");
  CHECK(shaka->at(1).kind == request_kind::manifest);
}

TEST_CASE("doctor model: a live MPD (clock sync HEAD, templates, SegmentBase)", "[doctor]") {
  const doctor::fetched_text mpd{"http://h/media/dash/live.mpd", live_mpd_head};
  const auto all = doctor::enumerate_requests(doctor::player::dash_js, {}, mpd, {});
  REQUIRE(all.has_value());
  const auto clock = of_kind(*all, request_kind::clock_sync);
  REQUIRE(clock.size() == 1);
  CHECK(clock[0].method == "HEAD");
  CHECK(clock[0].url == "http://h/media/time");
  REQUIRE(reads(clock[0], "Date"));
  CHECK(reads(clock[0], "Date")->required);
  const auto init = of_kind(*all, request_kind::init_segment);
  REQUIRE(init.size() == 2);
  CHECK(init[0].url == "http://h/media/dash/v1/init.mp4");
  CHECK(init[1].url == "http://h/media/dash/audio.mp4");
  CHECK(init[1].range == "bytes=0-799");
  const auto segments = of_kind(*all, request_kind::segment);
  REQUIRE(segments.size() == 1);
  CHECK(segments[0].url == "http://h/media/dash/v1/00007.m4s");
  const auto index = of_kind(*all, request_kind::byte_range_segment);
  REQUIRE(index.size() == 1);
  CHECK(index[0].range == "bytes=800-1299");

  SECTION("without UTCTiming dash.js and video.js fall back to the MPD's Date header") {
    std::string text = live_mpd_head;
    text.erase(text.find("  <UTCTiming"), text.find("<Period>") - text.find("  <UTCTiming"));
    for (const auto p : {doctor::player::dash_js, doctor::player::video_js}) {
      const auto r = doctor::enumerate_requests(p, {}, {mpd.url, text}, {});
      REQUIRE(r.has_value());
      CHECK(of_kind(*r, request_kind::clock_sync).empty());
      REQUIRE(reads(r->front(), "Date"));
      CHECK_FALSE(reads(r->front(), "Date")->required);
    }
    const auto shaka = doctor::enumerate_requests(doctor::player::shaka, {}, {mpd.url, text}, {});
    REQUIRE(shaka.has_value());
    CHECK_FALSE(reads(shaka->front(), "Date"));
  }
}

// ---------------------------------------------------------------------------------------------
// checks

namespace {

constexpr std::string_view origin = "http://localhost:8080";

doctor::player_request get(std::string url, std::optional<std::string> range = std::nullopt) {
  doctor::player_request r;
  r.kind = range ? request_kind::byte_range_segment : request_kind::segment;
  r.url = std::move(url);
  r.range = std::move(range);
  r.source = "test";
  return r;
}

doctor::http_response allowed(unsigned status = 200,
                              std::vector<std::pair<std::string, std::string>> extra = {}) {
  doctor::http_response r{status,
                          {{"Access-Control-Allow-Origin", std::string(origin)},
                           {"Access-Control-Allow-Credentials", "true"},
                           {"Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
                           {"Date", "Sun, 06 Dec 2026 05:00:00 GMT"}}};
  for (auto& e : extra) r.headers.push_back(std::move(e));
  return r;
}

cors::cors_configuration rules(std::string_view json) {
  auto parsed = cors::parse_json(json);
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

TEST_CASE("doctor checks: Range values the Fetch standard safelists", "[doctor]") {
  CHECK(doctor::is_safelisted_range("bytes=0-"));
  CHECK(doctor::is_safelisted_range("bytes=10-20"));
  CHECK_FALSE(doctor::is_safelisted_range("bytes=-500"));
  CHECK_FALSE(doctor::is_safelisted_range("bytes=0-1,5-6"));
  CHECK_FALSE(doctor::is_safelisted_range("items=0-1"));
  auto r = get("http://h/b/x", "bytes=0-9");
  r.headers = {"X-B", "x-a"};
  CHECK(doctor::preflight_headers(r) == "range,x-a,x-b");
  CHECK(doctor::needs_preflight(r));
  r.headers.clear();
  CHECK_FALSE(doctor::needs_preflight(r));
  r.range = "bytes=-5";
  CHECK(doctor::needs_preflight(r));
}

TEST_CASE("doctor checks: one verdict per broken check, with the fix", "[doctor]") {
  const auto config =
      rules(R"({"CORSRules":[{"AllowedOrigins":["http://localhost:8080"],"AllowedMethods":["GET"]}]})");

  SECTION("missing HEAD") {
    auto r = get("http://h/media/time");
    r.method = "HEAD";
    const auto c =
        doctor::check_request(r, {std::nullopt, doctor::http_response{200, {}}, {}}, origin, &config);
    CHECK(c.level == verdict::fail);
    REQUIRE(c.findings.size() == 1);
    CHECK(c.findings[0].check == "head");
    REQUIRE(c.findings[0].suggestion);
    CHECK(c.findings[0].suggestion->summary == "add HEAD to rule 0's AllowedMethods");
  }
  SECTION("\"*\" with credentials") {
    const auto any = rules(R"({"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}]})");
    auto r = get("http://h/media/a.ts");
    r.credentials = true;
    const auto c = doctor::check_request(
        r, {std::nullopt, doctor::http_response{200, {{"Access-Control-Allow-Origin", "*"}}}, {}}, origin,
        &any);
    CHECK(c.level == verdict::fail);
    REQUIRE(c.findings.size() == 1);
    CHECK(c.findings[0].check == "credentials");
    REQUIRE(c.findings[0].suggestion);
    const auto fixed = cors::suggested_configuration(*c.findings[0].suggestion);
    REQUIRE(fixed);
    CHECK(fixed->rules[0].allowed_origins == std::vector<std::string>{"http://localhost:8080"});
  }
  SECTION("a header the player reads is not exposed: required fails, optional warns") {
    auto r = get("http://h/media/time");
    r.reads = {{"Date", true, "t"}, {"Content-Length", true, "t"}};
    auto c = doctor::check_request(r, {std::nullopt, allowed(), {}}, origin, &config);
    CHECK(c.level == verdict::fail);
    REQUIRE(c.findings.size() == 1);  // Content-Length is safelisted
    CHECK(c.findings[0].check == "expose");
    REQUIRE(c.findings[0].suggestion);
    CHECK(c.findings[0].suggestion->summary == "add Date to rule 0's ExposeHeaders");
    r.reads[0].required = false;
    c = doctor::check_request(r, {std::nullopt, allowed(), {}}, origin, &config);
    CHECK(c.level == verdict::warn);
    auto exposed = allowed();
    exposed.headers.emplace_back("Access-Control-Expose-Headers", "ETag, date");
    CHECK(doctor::check_request(r, {std::nullopt, exposed, {}}, origin, &config).level == verdict::ok);
  }
  SECTION("missing Vary: Origin behind a cache") {
    doctor::http_response cached{200,
                                 {{"Access-Control-Allow-Origin", std::string(origin)}, {"X-Cache", "Hit"}}};
    auto c = doctor::check_request(get("http://h/a.ts"), {std::nullopt, cached, {}}, origin, nullptr);
    CHECK(c.level == verdict::fail);
    REQUIRE(c.findings.size() == 1);
    CHECK(c.findings[0].check == "vary");
    cached.headers.emplace_back("Vary", "Accept-Encoding, Origin");
    CHECK(doctor::check_request(get("http://h/a.ts"), {std::nullopt, cached, {}}, origin, nullptr).level ==
          verdict::ok);
    // No cache in front: nothing can mix origins up.
    doctor::http_response direct{200, {{"Access-Control-Allow-Origin", std::string(origin)}}};
    CHECK(doctor::check_request(get("http://h/a.ts"), {std::nullopt, direct, {}}, origin, nullptr).level ==
          verdict::ok);
  }
  SECTION("200 where 206 is needed") {
    const auto r = get("http://h/a.mp4", "bytes=0-99");
    auto c = doctor::check_request(r, {std::nullopt, allowed(200), {}}, origin, nullptr);
    CHECK(c.level == verdict::fail);
    REQUIRE(c.findings.size() == 1);
    CHECK(c.findings[0].check == "range");
    CHECK(doctor::check_request(r, {std::nullopt, allowed(206), {}}, origin, nullptr).level == verdict::ok);
  }
  SECTION("a preflight refused for a header the page sends fails; for a simple Range it warns") {
    auto r = get("http://h/a.ts");
    r.headers = {"X-Session"};
    const doctor::http_response refused{403, {}};
    auto c = doctor::check_request(r, {refused, std::nullopt, {}}, origin, &config);
    CHECK(c.level == verdict::fail);
    REQUIRE(c.findings.size() == 1);
    CHECK(c.findings[0].check == "preflight");
    REQUIRE(c.findings[0].suggestion);
    CHECK(c.findings[0].suggestion->summary == "add x-session to rule 0's AllowedHeaders");

    const auto ranged = get("http://h/a.mp4", "bytes=0-99");
    c = doctor::check_request(ranged, {refused, allowed(206), {}}, origin, &config);
    CHECK(c.level == verdict::warn);
    REQUIRE(c.findings.size() == 1);
    CHECK(c.findings[0].suggestion->summary == "add range to rule 0's AllowedHeaders");
  }
  SECTION("a refused GET and an error status") {
    auto c = doctor::check_request(get("http://h/a.ts"), {std::nullopt, doctor::http_response{200, {}}, {}},
                                   "http://evil.example", &config);
    CHECK(c.level == verdict::fail);
    CHECK(c.findings[0].check == "cors");
    CHECK(c.findings[0].suggestion->summary == "add rule 1 allowing GET from origin http://evil.example");
    c = doctor::check_request(get("http://h/a.ts"), {std::nullopt, allowed(404), {}}, origin, &config);
    CHECK(c.findings[0].check == "status");
    c = doctor::check_request(get("http://h/a.ts"), {std::nullopt, std::nullopt, "connection refused"},
                              origin, &config);
    CHECK(c.level == verdict::fail);
  }
}

TEST_CASE("doctor report: combined fix, text and JSON", "[doctor]") {
  const auto config = rules(R"({"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}]})");
  auto head = get("http://h/media/time");
  head.kind = request_kind::clock_sync;
  head.method = "HEAD";
  head.credentials = true;
  head.reads = {{"Date", true, "dash.js TimeSyncController._httpHeadHandler"}};
  doctor::report report;
  report.url = "http://h/media/live.mpd";
  report.origin = std::string(origin);
  report.p = doctor::player::dash_js;
  report.rules_known = true;
  report.checks.push_back(
      doctor::check_request(head, {std::nullopt, doctor::http_response{200, {}}, {}}, origin, &config));
  report.combined = doctor::combine_fixes(config, report.checks, origin);
  CHECK(report.overall() == verdict::fail);
  REQUIRE(report.combined);
  // Applied, the combined configuration allows the credentialed HEAD for the exact origin.
  const auto fixed = cors::suggested_configuration(*report.combined);
  REQUIRE(fixed);
  const auto d = cors::evaluate(*fixed, {origin, "HEAD", std::nullopt, std::nullopt}, false);
  REQUIRE(d.matched_rule);
  CHECK(fixed->rules[*d.matched_rule].allowed_origins == std::vector<std::string>{std::string(origin)});
  CHECK(fixed->rules[*d.matched_rule].expose_headers == std::vector<std::string>{"Date"});
  const std::string text = doctor::to_text(report);
  CHECK(text.find("[fail] clock sync (1 request)") != std::string::npos);
  CHECK(text.find("fail head:") != std::string::npos);
  const std::string json = doctor::to_json(report);
  CHECK(json.find("\"verdict\": \"fail\"") != std::string::npos);
  CHECK(json.find("\"CORSRules\"") != std::string::npos);
}
