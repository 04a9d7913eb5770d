#include "s3cors/mime/mime.hpp"

#include <catch2/catch.hpp>

#include <string_view>

namespace {

struct row {
  std::string_view key;
  std::string_view expected;
};

void check(const row& r) {
  CAPTURE(r.key);
  CHECK(s3cors::mime::content_type_for_key(r.key) == r.expected);
}

}  // namespace

TEST_CASE("mime: streaming media types", "[mime]") {
  check(GENERATE(values<row>({
      {"live/master.m3u8", "application/vnd.apple.mpegurl"},
      {"live/seg-00001.ts", "video/mp2t"},
      {"dash/chunk-1.m4s", "video/iso.segment"},
      {"dash/manifest.mpd", "application/dash+xml"},
      {"vod/movie.mp4", "video/mp4"},
      {"vod/movie.m4v", "video/mp4"},
      {"vod/audio.m4a", "audio/mp4"},
      {"vod/audio.aac", "audio/aac"},
      {"cmaf/video.cmfv", "video/mp4"},
      {"cmaf/audio.cmfa", "audio/mp4"},
      {"subs/en.vtt", "text/vtt"},
      {"subs/en.ttml", "application/ttml+xml"},
      {"subs/en.srt", "application/x-subrip"},
      {"keys/aes128.key", "application/octet-stream"},
      {"clip.webm", "video/webm"},
      {"clip.mov", "video/quicktime"},
      {"song.mp3", "audio/mpeg"},
      {"song.ogg", "audio/ogg"},
      {"song.opus", "audio/ogg"},
      {"song.wav", "audio/wav"},
      {"song.flac", "audio/flac"},
  })));
}

TEST_CASE("mime: web asset types", "[mime]") {
  check(GENERATE(values<row>({
      {"index.html", "text/html"},
      {"index.htm", "text/html"},
      {"app.js", "text/javascript"},
      {"app.mjs", "text/javascript"},
      {"site.css", "text/css"},
      {"data.json", "application/json"},
      {"feed.xml", "application/xml"},
      {"readme.txt", "text/plain"},
      {"logo.png", "image/png"},
      {"photo.jpg", "image/jpeg"},
      {"photo.jpeg", "image/jpeg"},
      {"anim.gif", "image/gif"},
      {"icon.svg", "image/svg+xml"},
      {"photo.webp", "image/webp"},
      {"favicon.ico", "image/x-icon"},
      {"photo.avif", "image/avif"},
      {"module.wasm", "application/wasm"},
      {"doc.pdf", "application/pdf"},
      {"bundle.zip", "application/zip"},
      {"archive.tar.gz", "application/gzip"},
      {"font.woff", "font/woff"},
      {"font.woff2", "font/woff2"},
  })));
}

TEST_CASE("mime: extension matching is case-insensitive", "[mime]") {
  check(GENERATE(values<row>({
      {"LIVE/MASTER.M3U8", "application/vnd.apple.mpegurl"},
      {"Seg.Ts", "video/mp2t"},
      {"INDEX.HTML", "text/html"},
      {"Font.WOFF2", "font/woff2"},
  })));
}

TEST_CASE("mime: unknown or missing extensions get S3's default", "[mime]") {
  CHECK(s3cors::mime::default_content_type == "binary/octet-stream");
  check(GENERATE(values<row>({
      {"", "binary/octet-stream"},              // empty key
      {"README", "binary/octet-stream"},        // no dot
      {"file.", "binary/octet-stream"},         // empty extension
      {"file.unknown", "binary/octet-stream"},  // not in the table
      {"file.tsx", "binary/octet-stream"},      // a longer neighbour of a known one
      {"file.t", "binary/octet-stream"},        // a shorter one
      {"file.verylongextension", "binary/octet-stream"},
      {"dir.ts/file", "binary/octet-stream"},  // only the last segment counts
      {"dir.ts/", "binary/octet-stream"},      // a "directory" key
      {".ts", "binary/octet-stream"},          // a dotfile has no extension
      {"dir/.html", "binary/octet-stream"},    //
      {"...", "binary/octet-stream"},          //
      {"file.m3u8 ", "binary/octet-stream"},   // trailing space is part of the extension
      {std::string_view{"file.m3u8\0", 10}, "binary/octet-stream"},  // NUL is not stripped
  })));
}

TEST_CASE("mime: only the last extension of the last segment counts", "[mime]") {
  check(GENERATE(values<row>({
      {"a.b.c/seg.1.ts", "video/mp2t"},
      {"dir.html/page.json", "application/json"},
      {"..hidden.css", "text/css"},
      {"a//b.png", "image/png"},
      {"/leading/slash.vtt", "text/vtt"},
      {"data.json.gz", "application/gzip"},
  })));
}
