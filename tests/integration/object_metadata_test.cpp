// Metadata set at upload is returned by GET/HEAD; CopyObject keeps or replaces it; checksums
// come back with x-amz-checksum-mode; UploadPartCopy copies (ranges of) objects into parts.
#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using s3cors::test::send_request;
using s3cors::test::server_fixture;

TEST_CASE("metadata: headers set at upload come back from GET and HEAD", "[integration][s3_api]") {
  server_fixture server;
  const auto put = send_request(server.port(), "PUT", "/media/clip.bin",
                                {{"Content-Type", "video/mp4"},
                                 {"Cache-Control", "max-age=300"},
                                 {"Content-Disposition", "attachment; filename=\"clip.mp4\""},
                                 {"Content-Language", "en"},
                                 {"Expires", "Wed, 21 Oct 2026 07:28:00 GMT"},
                                 {"X-Amz-Meta-Camera", "North Gate"}},
                                "clip");
  REQUIRE(put.status == 200);
  for (const char* verb : {"GET", "HEAD"}) {
    CAPTURE(verb);
    const auto got = send_request(server.port(), verb, "/media/clip.bin");
    CHECK(got.status == 200);
    CHECK(got.header("Content-Type") == "video/mp4");  // not the extension's binary/octet-stream
    CHECK(got.header("Cache-Control") == "max-age=300");
    CHECK(got.header("Content-Disposition") == "attachment; filename=\"clip.mp4\"");
    CHECK(got.header("Content-Language") == "en");
    CHECK(got.header("Expires") == "Wed, 21 Oct 2026 07:28:00 GMT");
    CHECK(got.header("x-amz-meta-camera") == "North Gate");
  }
  // response-* overrides still win over stored metadata.
  const auto overridden =
      send_request(server.port(), "GET", "/media/clip.bin?response-cache-control=no-cache");
  CHECK(overridden.header("Cache-Control") == "no-cache");

  // A file dropped in by hand has no metadata: type from its extension, nothing else.
  server.write("media/dropped.m3u8", "#EXTM3U\n");
  const auto dropped = send_request(server.port(), "GET", "/media/dropped.m3u8");
  CHECK(dropped.header("Content-Type") == "application/vnd.apple.mpegurl");
  CHECK_FALSE(dropped.header("Cache-Control").has_value());

  // Overwritten by hand, the object loses the metadata of its previous version.
  server.write("media/clip.bin", "replaced by hand");
  const auto replaced = send_request(server.port(), "HEAD", "/media/clip.bin");
  CHECK(replaced.header("Content-Type") == "binary/octet-stream");
  CHECK_FALSE(replaced.header("x-amz-meta-camera").has_value());
}

TEST_CASE("metadata: CopyObject keeps it with COPY and replaces it with REPLACE", "[integration][s3_api]") {
  server_fixture server;
  REQUIRE(send_request(server.port(), "PUT", "/media/src.txt",
                       {{"Content-Type", "text/plain"}, {"x-amz-meta-origin", "camera-1"}}, "source")
              .status == 200);
  REQUIRE(send_request(server.port(), "PUT", "/media/copy.txt", {{"x-amz-copy-source", "/media/src.txt"}})
              .status == 200);
  const auto copied = send_request(server.port(), "HEAD", "/media/copy.txt");
  CHECK(copied.header("Content-Type") == "text/plain");
  CHECK(copied.header("x-amz-meta-origin") == "camera-1");

  REQUIRE(send_request(server.port(), "PUT", "/media/replaced.txt",
                       {{"x-amz-copy-source", "/media/src.txt"},
                        {"x-amz-metadata-directive", "REPLACE"},
                        {"Content-Type", "text/csv"},
                        {"x-amz-meta-note", "new"}})
              .status == 200);
  const auto replaced = send_request(server.port(), "HEAD", "/media/replaced.txt");
  CHECK(replaced.header("Content-Type") == "text/csv");
  CHECK(replaced.header("x-amz-meta-note") == "new");
  CHECK_FALSE(replaced.header("x-amz-meta-origin").has_value());

  // Self-copy with REPLACE is how S3 clients change an object's metadata in place.
  REQUIRE(send_request(server.port(), "PUT", "/media/src.txt",
                       {{"x-amz-copy-source", "/media/src.txt"},
                        {"x-amz-metadata-directive", "REPLACE"},
                        {"Content-Type", "application/json"}})
              .status == 200);
  const auto in_place = send_request(server.port(), "GET", "/media/src.txt");
  CHECK(in_place.body == "source");
  CHECK(in_place.header("Content-Type") == "application/json");
}

TEST_CASE("metadata: checksums stored at upload are returned with x-amz-checksum-mode",
          "[integration][s3_api]") {
  server_fixture server;
  // crc32("hello world") = 0x0d4a1185 -> DUoRhQ==
  REQUIRE(send_request(server.port(), "PUT", "/media/c.txt", {{"x-amz-checksum-crc32", "DUoRhQ=="}},
                       "hello world")
              .status == 200);
  const auto plain = send_request(server.port(), "GET", "/media/c.txt");
  CHECK_FALSE(plain.header("x-amz-checksum-crc32").has_value());
  const auto asked = send_request(server.port(), "GET", "/media/c.txt", {{"x-amz-checksum-mode", "ENABLED"}});
  CHECK(asked.header("x-amz-checksum-crc32") == "DUoRhQ==");
  const auto head = send_request(server.port(), "HEAD", "/media/c.txt", {{"x-amz-checksum-mode", "ENABLED"}});
  CHECK(head.header("x-amz-checksum-crc32") == "DUoRhQ==");
  // A range is not the whole object: its checksum would not describe the bytes sent.
  const auto range = send_request(server.port(), "GET", "/media/c.txt",
                                  {{"x-amz-checksum-mode", "ENABLED"}, {"Range", "bytes=0-4"}});
  CHECK(range.status == 206);
  CHECK_FALSE(range.header("x-amz-checksum-crc32").has_value());
}

namespace {

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return {};
  const auto end = text.find(close, start + open.size());
  std::string value = text.substr(start + open.size(), end - start - open.size());
  // S3 escapes the ETag's quotes in XML.
  for (auto at = value.find("&quot;"); at != std::string::npos; at = value.find("&quot;")) {
    value.replace(at, 6, "\"");
  }
  return value;
}

}  // namespace

TEST_CASE("multipart: UploadPartCopy copies whole objects and byte ranges into parts",
          "[integration][s3_api]") {
  server_fixture server;
  const std::string five_mib(5 * 1024 * 1024, 'a');
  server.write("media/source.bin", five_mib + "0123456789");
  const auto created = send_request(server.port(), "POST", "/media/joined.bin?uploads",
                                    {{"Content-Type", "application/x-joined"}});
  REQUIRE(created.status == 200);
  const std::string upload_id = between(created.body, "<UploadId>", "</UploadId>");
  REQUIRE_FALSE(upload_id.empty());
  const std::string base = "/media/joined.bin?uploadId=" + upload_id;

  const auto part1 = send_request(
      server.port(), "PUT", base + "&partNumber=1",
      {{"x-amz-copy-source", "media/source.bin"}, {"x-amz-copy-source-range", "bytes=0-5242879"}});
  REQUIRE(part1.status == 200);
  CHECK_THAT(part1.body, Catch::Contains("<CopyPartResult"));
  const std::string etag1 = between(part1.body, "<ETag>", "</ETag>");
  CHECK(etag1.size() == 34);  // quoted MD5

  const auto part2 = send_request(
      server.port(), "PUT", base + "&partNumber=2",
      {{"x-amz-copy-source", "/media/source.bin"}, {"x-amz-copy-source-range", "bytes=5242880-5242889"}});
  REQUIRE(part2.status == 200);
  const std::string etag2 = between(part2.body, "<ETag>", "</ETag>");

  const auto out_of_range = send_request(
      server.port(), "PUT", base + "&partNumber=3",
      {{"x-amz-copy-source", "/media/source.bin"}, {"x-amz-copy-source-range", "bytes=5242880-6000000"}});
  CHECK(out_of_range.status == 400);
  CHECK_THAT(out_of_range.body,
             Catch::Contains("Range specified is not valid for source object of size: 5242890"));
  const auto malformed =
      send_request(server.port(), "PUT", base + "&partNumber=3",
                   {{"x-amz-copy-source", "/media/source.bin"}, {"x-amz-copy-source-range", "bytes=-10"}});
  CHECK(malformed.status == 400);
  CHECK_THAT(malformed.body, Catch::Contains("<Code>InvalidArgument</Code>"));
  const auto missing = send_request(server.port(), "PUT", base + "&partNumber=3",
                                    {{"x-amz-copy-source", "/media/nothere.bin"}});
  CHECK(missing.status == 404);
  CHECK_THAT(missing.body, Catch::Contains("<Code>NoSuchKey</Code>"));
  const auto unmet =
      send_request(server.port(), "PUT", base + "&partNumber=3",
                   {{"x-amz-copy-source", "/media/source.bin"}, {"x-amz-copy-source-if-match", "\"0000\""}});
  CHECK(unmet.status == 412);

  const std::string complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag1 +
                               "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + etag2 +
                               "</ETag></Part></CompleteMultipartUpload>";
  const auto completed = send_request(server.port(), "POST", base, {}, complete);
  REQUIRE(completed.status == 200);
  const auto joined = send_request(server.port(), "GET", "/media/joined.bin");
  CHECK(joined.body == five_mib + "0123456789");
  CHECK(joined.header("Content-Type") == "application/x-joined");
  CHECK_THAT(*joined.header("ETag"), Catch::EndsWith("-2\""));
}
