#include "s3cors/faults/media_kind.hpp"
#include "source_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using namespace s3cors::faults;

// The example stream (config/example-root/media), read as the caller would read it.
std::string example(std::string_view key) {
  std::ifstream in(s3cors::test::source_dir().string() + "/config/example-root/media/" + std::string(key),
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Indexes a playlist and every playlist it names, as the server will.
void index_stream(media_index& index, std::string_view bucket, std::string_view key) {
  for (const std::string& next : index.add(bucket, key, example(key))) index_stream(index, bucket, next);
}

}  // namespace

TEST_CASE("faults media: kind names round-trip", "[faults]") {
  for (const auto k : {media_kind::unknown, media_kind::hls_multivariant, media_kind::hls_media_playlist,
                       media_kind::hls_init_segment, media_kind::hls_media_segment, media_kind::hls_key,
                       media_kind::dash_mpd, media_kind::dash_init_segment, media_kind::dash_media_segment}) {
    CHECK(media_kind_from_string(to_string(k)) == k);
  }
  CHECK_FALSE(media_kind_from_string("segment").has_value());
}

TEST_CASE("faults media: URIs resolve against the playlist's key", "[faults]") {
  struct row {
    std::string_view base;
    std::string_view uri;
    std::optional<std::string> key;
  };
  const row rows[] = {
      {"hls/master.m3u8", "640x360/index.m3u8", "hls/640x360/index.m3u8"},
      {"master.m3u8", "a.m3u8", "a.m3u8"},
      {"hls/640x360/index.m3u8", "../keys/k1.key", "hls/keys/k1.key"},
      {"hls/640x360/index.m3u8", "./seg_0.ts?token=abc#t=1", "hls/640x360/seg_0.ts"},
      {"hls/index.m3u8", "../../escape.ts", std::nullopt},
      {"hls/index.m3u8", "/media/other/seg.ts", "other/seg.ts"},  // path-style, same bucket
      {"hls/index.m3u8", "/elsewhere/seg.ts", std::nullopt},      // another bucket
      {"hls/index.m3u8", "http://127.0.0.1:9000/media/x/seg%20one.ts", "x/seg one.ts"},
      {"hls/index.m3u8", "https://cdn.example.com/other/seg.ts", std::nullopt},
      {"hls/index.m3u8", "seg%2Fsub.ts", "hls/seg/sub.ts"},
      {"hls/index.m3u8", "", std::nullopt},
      {"a.mpd", "video/", "video/"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.base, r.uri);
    CHECK(resolve_uri("media", r.base, r.uri) == r.key);
  }
}

TEST_CASE("faults media: the example HLS stream is indexed from its playlists", "[faults]") {
  for (const std::string_view root : {"hls", "hls-fmp4"}) {
    CAPTURE(root);
    media_index index;
    const std::string master = std::string(root) + "/master.m3u8";
    const auto next = index.add("media", master, example(master));
    REQUIRE(next == std::vector<std::string>{std::string(root) + "/416x234/index.m3u8",
                                             std::string(root) + "/640x360/index.m3u8"});
    for (const auto& n : next) CHECK(index.add("media", n, example(n)).empty());

    const auto m = index.find("media", master);
    REQUIRE(m);
    CHECK(m->kind == media_kind::hls_multivariant);

    const auto low = index.find("media", std::string(root) + "/416x234/index.m3u8");
    REQUIRE(low);
    CHECK(low->kind == media_kind::hls_media_playlist);
    REQUIRE(low->variant);
    CHECK(low->variant->bandwidth == 327800);
    CHECK(low->variant->width == 416);
    CHECK(low->variant->height == 234);

    const std::string ext = root == "hls" ? ".ts" : ".m4s";
    const auto seg = index.find("media", std::string(root) + "/640x360/seg_002" + ext);
    REQUIRE(seg);
    CHECK(seg->kind == media_kind::hls_media_segment);
    CHECK(seg->segment_index == 2u);
    CHECK(seg->media_sequence == 2u);
    CHECK(seg->source == std::string(root) + "/640x360/index.m3u8");
    REQUIRE(seg->variant);
    CHECK(seg->variant->bandwidth == 657800);
    CHECK(seg->variant->path == std::string(root) + "/640x360/index.m3u8");

    const auto init = index.find("media", std::string(root) + "/640x360/init.mp4");
    CHECK(init.has_value() == (root == "hls-fmp4"));
    if (init) {
      CHECK(init->kind == media_kind::hls_init_segment);
      CHECK(init->variant->height == 360);
    }
    CHECK_FALSE(index.find("other-bucket", std::string(root) + "/640x360/seg_002" + ext));
    CHECK_FALSE(index.find("media", std::string(root) + "/640x360/seg_004" + ext));
  }
}

TEST_CASE("faults media: the order playlists are added in does not matter", "[faults]") {
  media_index index;
  CHECK(index.add("media", "hls/640x360/index.m3u8", example("hls/640x360/index.m3u8")).empty());
  auto seg = index.find("media", "hls/640x360/seg_001.ts");
  REQUIRE(seg);
  CHECK_FALSE(seg->variant);  // no multivariant playlist yet
  const auto next = index.add("media", "hls/master.m3u8", example("hls/master.m3u8"));
  CHECK(next == std::vector<std::string>{"hls/416x234/index.m3u8"});  // 640x360 is indexed already
  seg = index.find("media", "hls/640x360/seg_001.ts");
  REQUIRE(seg->variant);
  CHECK(seg->variant->bandwidth == 657800);

  SECTION("removing a playlist forgets what it named, not what others named") {
    index.remove("media", "hls/master.m3u8");
    seg = index.find("media", "hls/640x360/seg_001.ts");
    REQUIRE(seg);
    CHECK_FALSE(seg->variant);
    CHECK_FALSE(index.find("media", "hls/master.m3u8"));
  }
  SECTION("re-adding a playlist replaces what it named") {
    index.add("media", "hls/640x360/index.m3u8",
              "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2,\nseg_009.ts\n");
    CHECK_FALSE(index.find("media", "hls/640x360/seg_001.ts"));
    const auto s = index.find("media", "hls/640x360/seg_009.ts");
    REQUIRE(s);
    CHECK(s->segment_index == 0u);
    CHECK(s->media_sequence == 7u);
  }
}

TEST_CASE("faults media: HLS tags that name keys", "[faults]") {
  media_index index;
  const auto next = index.add("b", "live/master.m3u8", R"(#EXTM3U
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="keys/session.key"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English, US",URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"
#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud"
hi/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=150000,RESOLUTION=1280x720,URI="hi/iframes.m3u8"
)");
  CHECK(next == std::vector<std::string>{"live/audio/en.m3u8", "live/hi/index.m3u8", "live/hi/iframes.m3u8"});
  CHECK(index.find("b", "live/keys/session.key")->kind == media_kind::hls_key);
  CHECK(index.find("b", "live/audio/en.m3u8")->kind == media_kind::hls_media_playlist);
  CHECK(index.find("b", "live/hi/iframes.m3u8")->variant->bandwidth == 150000);

  index.add("b", "live/hi/index.m3u8", R"(#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:100
#EXT-X-KEY:METHOD=AES-128,URI="https://h/b/live/keys/k100.key",IV=0x01
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"
#EXTINF:4.0,
#EXT-X-BYTERANGE:1000@720
all.mp4
#EXTINF:4.0,
#EXT-X-BYTERANGE:1000@1720
all.mp4
#EXT-X-KEY:METHOD=NONE
#EXTINF:4.0,
s102.m4s
#EXT-X-PART:DURATION=1.0,URI="s103.part0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="s103.part1.m4s"
#EXT-X-RENDITION-REPORT:URI="../lo/index.m3u8",LAST-MSN=102,LAST-PART=0
)");
  const auto report = index.find("b", "live/lo/index.m3u8");
  REQUIRE(report);
  CHECK(report->kind == media_kind::hls_media_playlist);
  struct row {
    std::string_view key;
    media_kind kind;
    std::optional<std::uint64_t> index;
    std::optional<std::uint64_t> sequence;
  };
  const row rows[] = {
      {"live/keys/k100.key", media_kind::hls_key, {}, {}},
      {"live/hi/init.mp4", media_kind::hls_init_segment, {}, {}},
      {"live/hi/all.mp4", media_kind::hls_media_segment, 0, 100},  // byte ranges: the first names it
      {"live/hi/s102.m4s", media_kind::hls_media_segment, 2, 102},
      {"live/hi/s103.part0.m4s", media_kind::hls_media_segment, 3, 103},
      {"live/hi/s103.part1.m4s", media_kind::hls_media_segment, 3, 103},
  };
  for (const auto& r : rows) {
    CAPTURE(r.key);
    const auto found = index.find("b", r.key);
    REQUIRE(found);
    CHECK(found->kind == r.kind);
    CHECK(found->segment_index == r.index);
    CHECK(found->media_sequence == r.sequence);
    REQUIRE(found->variant);
    CHECK(found->variant->bandwidth == 2000000);
    CHECK(found->variant->width == 1280);
  }
}

TEST_CASE("faults media: DASH MPDs name init and media segments", "[faults]") {
  media_index index;
  const std::string mpd = R"(<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S">
  <BaseURL>dash/</BaseURL>
  <Period>
    <AdaptationSet mimeType="video/mp4" width="1280" height="720">
      <SegmentTemplate initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/seg-$Number%05d$.m4s" startNumber="1" duration="2" timescale="1"/>
      <Representation id="v720" bandwidth="3000000"/>
      <Representation id="v360" bandwidth="800000" width="640" height="360"/>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <Representation id="a1" bandwidth="128000">
        <SegmentTemplate initialization="audio/init-$Bandwidth$.mp4" media="audio/t$Time$.m4s" timescale="1000" startNumber="5">
          <SegmentTimeline><S t="0" d="2000" r="2"/><S d="1000"/></SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet mimeType="text/vtt">
      <Representation id="sub" bandwidth="100">
        <BaseURL>subs/</BaseURL>
        <SegmentList startNumber="0">
          <Initialization sourceURL="init.vtt"/>
          <SegmentURL media="s0.vtt"/><SegmentURL media="s1.vtt"/>
        </SegmentList>
      </Representation>
      <Representation id="one" bandwidth="90">
        <BaseURL>whole/one.mp4</BaseURL>
        <SegmentBase indexRange="800-1000"><Initialization range="0-799"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>)";
  CHECK(index.add("m", "vod/stream.mpd", mpd).empty());
  struct row {
    std::string_view key;
    media_kind kind;
    std::optional<std::uint64_t> index;
    std::optional<std::uint64_t> sequence;
    std::uint64_t bandwidth;
    unsigned height;
  };
  const row rows[] = {
      {"vod/stream.mpd", media_kind::dash_mpd, {}, {}, 0, 0},
      {"vod/dash/v720/init.mp4", media_kind::dash_init_segment, {}, {}, 3000000, 720},
      {"vod/dash/v720/seg-00001.m4s", media_kind::dash_media_segment, 0, 1, 3000000, 720},
      {"vod/dash/v360/seg-00004.m4s", media_kind::dash_media_segment, 3, 4, 800000, 360},
      {"vod/dash/v360/seg-123456.m4s", media_kind::dash_media_segment, 123455, 123456, 800000, 360},  // live
      {"vod/dash/audio/init-128000.mp4", media_kind::dash_init_segment, {}, {}, 128000, 0},
      {"vod/dash/audio/t4000.m4s", media_kind::dash_media_segment, 2, 7, 128000, 0},
      {"vod/dash/audio/t6000.m4s", media_kind::dash_media_segment, 3, 8, 128000, 0},
      {"vod/dash/subs/init.vtt", media_kind::dash_init_segment, {}, {}, 100, 0},
      {"vod/dash/subs/s1.vtt", media_kind::dash_media_segment, 1, 1, 100, 0},
      {"vod/dash/whole/one.mp4", media_kind::dash_media_segment, {}, {}, 90, 0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.key);
    const auto found = index.find("m", r.key);
    REQUIRE(found);
    CHECK(found->kind == r.kind);
    CHECK(found->segment_index == r.index);
    CHECK(found->media_sequence == r.sequence);
    CHECK(found->source == "vod/stream.mpd");
    if (r.bandwidth != 0) {
      REQUIRE(found->variant);
      CHECK(found->variant->bandwidth == r.bandwidth);
      CHECK(found->variant->height == r.height);
    }
  }
  // A $Time$ the timeline does not list still matches the template, without an index.
  const auto between = index.find("m", "vod/dash/audio/t5000.m4s");
  REQUIRE(between);
  CHECK_FALSE(between->segment_index);
  CHECK_FALSE(index.find("m", "vod/dash/v720/seg-x.m4s"));
  CHECK_FALSE(index.find("m", "vod/dash/v999/seg-00001.m4s"));

  index.remove("m", "vod/stream.mpd");
  CHECK(index.size() == 0);
  CHECK_FALSE(index.add_dash("m", "bad.mpd", "<MPD"));
  CHECK(index.find("m", "bad.mpd")->kind == media_kind::dash_mpd);
}

TEST_CASE("faults media: without a playlist, the extension, type and first bytes decide", "[faults]") {
  struct row {
    std::string_view key;
    std::string_view type;
    std::string_view head;
    media_kind kind;
  };
  const row rows[] = {
      {"a/master.m3u8", "", "", media_kind::hls_multivariant},
      {"a/index.m3u8", "", "", media_kind::hls_media_playlist},
      {"a/index.M3U8", "", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nx.m3u8\n", media_kind::hls_multivariant},
      {"a/master.m3u8", "", "#EXTM3U\n#EXTINF:2,\nx.ts\n", media_kind::hls_media_playlist},
      {"a/s.mpd", "", "", media_kind::dash_mpd},
      {"a/seg_1.ts", "", "", media_kind::hls_media_segment},
      {"a/audio.aac", "", "", media_kind::hls_media_segment},
      {"a/k.key", "", "", media_kind::hls_key},
      {"a/seg_1.m4s", "", "", media_kind::dash_media_segment},
      {"a/init.mp4", "", "", media_kind::dash_init_segment},
      {"a/video_init.m4s", "", "", media_kind::dash_init_segment},
      {"a/playlist", "application/vnd.apple.mpegurl", "", media_kind::hls_media_playlist},
      {"a/playlist", "Application/X-MpegURL; charset=utf-8", "#EXT-X-STREAM-INF",
       media_kind::hls_multivariant},
      {"a/manifest", "application/dash+xml", "", media_kind::dash_mpd},
      {"a/blob", "video/MP2T", "", media_kind::hls_media_segment},
      {"a/blob", "video/iso.segment", "", media_kind::dash_media_segment},
      {"a/blob", "application/octet-stream", "#EXTM3U\n", media_kind::hls_media_playlist},
      {"a/blob", "application/octet-stream", "", media_kind::unknown},
      {"a/readme.txt", "text/plain", "", media_kind::unknown},
      {"", "", "", media_kind::unknown},
  };
  for (const auto& r : rows) {
    CAPTURE(r.key, r.type, r.head);
    const media_info info = classify(r.key, r.type, r.head);
    CHECK(info.kind == r.kind);
    CHECK_FALSE(info.segment_index);
  }
  media_index index;
  index_stream(index, "media", "hls/master.m3u8");
  CHECK(lookup(index, "media", "hls/640x360/seg_003.ts").segment_index == 3u);
  CHECK(lookup(index, "media", "hls/other.ts").kind == media_kind::hls_media_segment);
  CHECK_FALSE(lookup(index, "media", "hls/other.ts").segment_index);
}
