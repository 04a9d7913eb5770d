// The fault service beside the S3 service (docs/faults.md §7): the media index built from a
// store, the decision per request, and the control API's policy and errors.
#include "s3cors/cors/registry.hpp"
#include "s3cors/faults/fault_service.hpp"
#include "s3cors/s3/service.hpp"

#include "memory_store.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace faults = s3cors::faults;

namespace {

struct service_fixture {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  s3cors::s3::service service{store, cors, {}};
  faults::fault_service fs{store, service, {}};

  service_fixture() { store.add_bucket("media", {}); }
  void put(std::string key, std::string content) {
    store.put("media", std::move(key), std::move(content), {});
  }
};

s3cors::request make_request(s3cors::method verb, std::string name, std::string target) {
  s3cors::request req;
  req.verb = verb;
  req.method_name = std::move(name);
  req.target = std::move(target);
  req.headers.add("Host", "127.0.0.1");
  return req;
}

}  // namespace

TEST_CASE("fault service: the index holds the buckets' playlists and what they name, up to 1 MiB each",
          "[faults][fault_service]") {
  service_fixture f;
  f.put("hls/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nlow/media\n");
  // A media playlist without an extension, found through the multivariant playlist.
  f.put("hls/low/media", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n");
  f.put("big/index.m3u8", "#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n" + std::string(1 << 20, '#'));
  CHECK(f.fs.rebuild_index() == 2);
  const auto b = f.fs.media_of("media", "hls/low/b.ts");
  CHECK(b.kind == faults::media_kind::hls_media_segment);
  CHECK(b.segment_index == 1u);
  CHECK(b.media_sequence == 8u);
  REQUIRE(b.variant);
  CHECK(b.variant->height == 360);
  CHECK_FALSE(f.fs.media_of("media", "big/b.ts").segment_index);  // too large: by name only
  CHECK(f.fs.media_of("media", "big/b.ts").kind == faults::media_kind::hls_media_segment);
}

TEST_CASE("fault service: writes of playlists are followed, other writes are not",
          "[faults][fault_service]") {
  service_fixture f;
  f.put("hls/low/media", "#EXTM3U\n#EXTINF:4,\na.ts\n");
  f.put("hls/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/media\n");
  f.fs.rebuild_index();
  struct row {
    s3cors::method verb;
    std::string_view name;
    std::string_view target;
    bool followed;
  };
  const row rows[] = {
      {s3cors::method::put, "PUT", "/media/hls/index.m3u8", true},
      {s3cors::method::put, "PUT", "/media/dash/manifest.mpd", true},
      {s3cors::method::delete_, "DELETE", "/media/hls/low/media", true},  // indexed as a playlist
      {s3cors::method::post, "POST", "/media/hls/x.m3u8?uploadId=1", true},
      {s3cors::method::put, "PUT", "/media/hls/low/a.ts", false},
      {s3cors::method::get, "GET", "/media/hls/index.m3u8", false},
      {s3cors::method::put, "PUT", "/media", false},
  };
  for (const auto& r : rows) {
    INFO(r.target);
    CHECK(
        f.fs.playlist_written(make_request(r.verb, std::string(r.name), std::string(r.target))).has_value() ==
        r.followed);
  }
  f.put("hls/low/media", "#EXTM3U\n#EXTINF:4,\nz.ts\n");
  f.fs.refresh("media", "hls/low/media");
  CHECK(f.fs.media_of("media", "hls/low/z.ts").segment_index == 0u);
  CHECK_FALSE(f.fs.media_of("media", "hls/low/a.ts").segment_index);
}

TEST_CASE("fault service: control requests are never faulted, and the API answers loopback clients only",
          "[faults][fault_service]") {
  service_fixture f;
  REQUIRE(f.fs.engine().add(R"({"name": "all", "action": {"error": 500}})").has_value());
  s3cors::s3::request_context ctx;
  const auto now = std::chrono::steady_clock::now();
  CHECK_FALSE(f.fs.decide(make_request(s3cors::method::get, "GET", "/_s3cors/faults"), ctx, now));
  CHECK_FALSE(f.fs.decide(make_request(s3cors::method::get, "GET", "/_s3cors/health"), ctx, now));
  const auto d = f.fs.decide(make_request(s3cors::method::get, "GET", "/media/a.ts"), ctx, now);
  REQUIRE(d);
  REQUIRE(d->reply);
  CHECK(d->reply->res.status == 500);

  CHECK(faults::is_control_target("/_s3cors/faults"));
  CHECK(faults::is_control_target("/_s3cors/faults/x?y"));
  CHECK_FALSE(faults::is_control_target("/_s3cors/faultsx"));
  CHECK_FALSE(faults::is_control_target("/media/_s3cors/faults"));

  ctx.source_ip = "192.0.2.7";
  const auto refused = f.fs.control(make_request(s3cors::method::get, "GET", "/_s3cors/faults"), {}, ctx);
  CHECK(refused.res.status == 403);
  ctx.source_ip = "::1";
  CHECK(f.fs.control(make_request(s3cors::method::get, "GET", "/_s3cors/faults"), {}, ctx).res.status == 200);
}
