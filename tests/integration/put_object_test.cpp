#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using s3cors::test::send_request;
using s3cors::test::server_fixture;

TEST_CASE("put_object: PUT stores, GET reads back, DELETE removes", "[integration][s3_api]") {
  server_fixture server;
  const auto put = send_request(server.port(), "PUT", "/media/dir/new.m3u8", {}, "#EXTM3U\n");
  CHECK(put.status == 200);
  CHECK(put.header("ETag") == "\"a7674c694607b169e57593a4952ea26f\"");  // md5("#EXTM3U\n")
  const auto get = send_request(server.port(), "GET", "/media/dir/new.m3u8");
  CHECK(get.status == 200);
  CHECK(get.body == "#EXTM3U\n");
  CHECK(get.header("ETag") == put.header("ETag"));
  CHECK(get.header("Content-Type") == "application/vnd.apple.mpegurl");

  CHECK(send_request(server.port(), "PUT", "/media/dir/new.m3u8", {}, "replaced").status == 200);
  CHECK(send_request(server.port(), "GET", "/media/dir/new.m3u8").body == "replaced");

  CHECK(send_request(server.port(), "DELETE", "/media/dir/new.m3u8").status == 204);
  CHECK(send_request(server.port(), "DELETE", "/media/dir/new.m3u8").status == 204);  // S3: 204 either way
  CHECK(send_request(server.port(), "GET", "/media/dir/new.m3u8").status == 404);
  CHECK_FALSE(std::filesystem::exists(server.root().path() / "media/dir"));  // emptied folders go too
  // Nothing half-written is left where objects live.
  CHECK(std::filesystem::is_empty(server.root().path() / "media"));
}

TEST_CASE("put_object: Content-MD5 is verified and a bad digest stores nothing", "[integration][s3_api]") {
  server_fixture server;
  const auto wrong = send_request(server.port(), "PUT", "/media/a.txt",
                                  {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}}, "not empty");
  CHECK(wrong.status == 400);
  CHECK_THAT(wrong.body, Catch::Contains("<Code>BadDigest</Code>"));
  const auto invalid =
      send_request(server.port(), "PUT", "/media/a.txt", {{"Content-MD5", "not base64!"}}, "not empty");
  CHECK_THAT(invalid.body, Catch::Contains("<Code>InvalidDigest</Code>"));
  CHECK(send_request(server.port(), "GET", "/media/a.txt").status == 404);
  // md5("hello") = 5d41402abc4b2a76b9719d911017c592 → base64 XUFAKrxLKna5cZ2REBfFkg==
  CHECK(send_request(server.port(), "PUT", "/media/a.txt", {{"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="}},
                     "hello")
            .status == 200);
}

TEST_CASE("put_object: aws-chunked bodies are decoded, truncated ones refused", "[integration][s3_api]") {
  server_fixture server;
  const s3cors::test::header_fields chunked{{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                                            {"Content-Encoding", "aws-chunked"},
                                            {"x-amz-decoded-content-length", "11"},
                                            {"x-amz-trailer", "x-amz-checksum-crc32"}};
  const auto put = send_request(server.port(), "PUT", "/media/c.txt", chunked,
                                "6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
  CHECK(put.status == 200);
  CHECK(send_request(server.port(), "GET", "/media/c.txt").body == "hello world");
  const auto truncated = send_request(server.port(), "PUT", "/media/d.txt", chunked, "6\r\nhel");
  CHECK(truncated.status == 400);
  CHECK_THAT(truncated.body, Catch::Contains("<Code>IncompleteBody</Code>"));
  CHECK(send_request(server.port(), "GET", "/media/d.txt").status == 404);
}

TEST_CASE("buckets: CreateBucket, GetBucketLocation, DeleteBucket", "[integration][s3_api]") {
  server_fixture server;
  const auto created = send_request(server.port(), "PUT", "/fresh-bucket");
  CHECK(created.status == 200);
  CHECK(created.header("Location") == "/fresh-bucket");
  const auto again = send_request(server.port(), "PUT", "/fresh-bucket");
  CHECK(again.status == 409);
  CHECK_THAT(again.body, Catch::Contains("<Code>BucketAlreadyOwnedByYou</Code>"));
  CHECK(send_request(server.port(), "PUT", "/Bad_Name").status == 400);

  const auto location = send_request(server.port(), "GET", "/fresh-bucket?location");
  CHECK(location.status == 200);
  CHECK_THAT(location.body,
             Catch::Contains("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"));

  CHECK(send_request(server.port(), "PUT", "/fresh-bucket/k", {}, "x").status == 200);
  const auto not_empty = send_request(server.port(), "DELETE", "/fresh-bucket");
  CHECK(not_empty.status == 409);
  CHECK_THAT(not_empty.body, Catch::Contains("<Code>BucketNotEmpty</Code>"));
  CHECK(send_request(server.port(), "DELETE", "/fresh-bucket/k").status == 204);
  CHECK(send_request(server.port(), "DELETE", "/fresh-bucket").status == 204);
  CHECK(send_request(server.port(), "HEAD", "/fresh-bucket").status == 404);
  CHECK(send_request(server.port(), "DELETE", "/fresh-bucket").status == 404);
}

TEST_CASE("put_object: keys that cannot be files are refused and write nothing outside",
          "[integration][s3_api]") {
  server_fixture server;
  const auto dots = s3cors::test::raw_request(
      server.port(),
      "PUT /media/%2e%2e/escape.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
  CHECK_THAT(dots, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_FALSE(std::filesystem::exists(server.root().path() / "escape.txt"));
  const s3cors::test::temp_dir outside;
  std::filesystem::create_directory_symlink(outside.path(), server.root().path() / "media/linked");
  CHECK(send_request(server.port(), "PUT", "/media/linked/x.txt", {}, "x").status == 403);
  CHECK(std::filesystem::is_empty(outside.path()));
}

TEST_CASE("put_object: Expect: 100-continue is answered before the body is sent", "[integration][s3_api]") {
  server_fixture server;
  // The client waits with its body until it sees 100 Continue (botocore: up to one second).
  const auto interim = s3cors::test::raw_exchange(
      server.port(),
      "PUT /media/e.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
      std::chrono::milliseconds(500));
  CHECK_THAT(interim.received, Catch::StartsWith("HTTP/1.1 100 Continue\r\n\r\n"));
}

TEST_CASE("list_objects: GET on a bucket lists keys as ListObjectsV2 and v1 do", "[integration][s3_api]") {
  server_fixture server;
  server.write("media/hls/master.m3u8", "m");
  server.write("media/hls/seg0.ts", "s");
  server.write("media/poster.jpg", "p");
  const auto v2 =
      send_request(server.port(), "GET", "/media?list-type=2&delimiter=/", {{"Origin", "https://x"}});
  CHECK(v2.status == 200);
  CHECK(v2.header("Content-Type") == "application/xml");
  CHECK_THAT(v2.body, Catch::Contains("<KeyCount>2</KeyCount>"));
  CHECK_THAT(v2.body, Catch::Contains("<Key>poster.jpg</Key>"));
  CHECK_THAT(v2.body, Catch::Contains("<CommonPrefixes><Prefix>hls/</Prefix></CommonPrefixes>"));
  const auto page = send_request(server.port(), "GET", "/media?list-type=2&max-keys=1&prefix=hls/");
  CHECK_THAT(page.body, Catch::Contains("<IsTruncated>true</IsTruncated>"));
  CHECK_THAT(page.body, Catch::Contains("<NextContinuationToken>"));
  const auto v1 = send_request(server.port(), "GET", "/media");
  CHECK_THAT(v1.body, Catch::Contains("<Key>hls/seg0.ts</Key>"));
  CHECK_THAT(v1.body, Catch::Contains("<Marker></Marker>"));
  const auto missing = send_request(server.port(), "GET", "/nothere?list-type=2");
  CHECK(missing.status == 404);
  CHECK_THAT(missing.body, Catch::Contains("<Code>NoSuchBucket</Code>"));
  const auto bad = send_request(server.port(), "GET", "/media?list-type=2&max-keys=abc");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("<Code>InvalidArgument</Code>"));
}

TEST_CASE("copy_object: x-amz-copy-source copies, percent-encoded, with S3's self-copy rule",
          "[integration][s3_api]") {
  server_fixture server;
  server.write("media/a b.ts", "0123456789");
  const auto copy =
      send_request(server.port(), "PUT", "/media/copies/c.ts", {{"x-amz-copy-source", "/media/a%20b.ts"}});
  CHECK(copy.status == 200);
  CHECK_THAT(copy.body,
             Catch::Contains("<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
  CHECK_THAT(copy.body, Catch::Contains("<ETag>&quot;781e5e245d69b566979b86e28d23f2c7&quot;</ETag>"));
  CHECK(send_request(server.port(), "GET", "/media/copies/c.ts").body == "0123456789");

  const auto self =
      send_request(server.port(), "PUT", "/media/a%20b.ts", {{"x-amz-copy-source", "media/a%20b.ts"}});
  CHECK(self.status == 400);
  CHECK_THAT(self.body, Catch::Contains("<Code>InvalidRequest</Code>"));
  CHECK(send_request(server.port(), "PUT", "/media/a%20b.ts",
                     {{"x-amz-copy-source", "media/a%20b.ts"}, {"x-amz-metadata-directive", "REPLACE"}})
            .status == 200);
  CHECK(send_request(server.port(), "PUT", "/media/x.ts", {{"x-amz-copy-source", "/media/missing.ts"}})
            .status == 404);
  const auto failed =
      send_request(server.port(), "PUT", "/media/y.ts",
                   {{"x-amz-copy-source", "/media/a%20b.ts"}, {"x-amz-copy-source-if-match", "\"0\""}});
  CHECK(failed.status == 412);
}

TEST_CASE("delete_objects: the XML batch, verbose and quiet", "[integration][s3_api]") {
  server_fixture server;
  server.write("media/a.ts", "a");
  server.write("media/b/c.ts", "c");
  const std::string body =
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a.ts</Key></Object>"
      "<Object><Key>b/c.ts</Key></Object><Object><Key>never.ts</Key></Object></Delete>";
  const auto verbose = send_request(server.port(), "POST", "/media?delete", {}, body);
  CHECK(verbose.status == 200);
  CHECK_THAT(verbose.body,
             Catch::Contains("<Deleted><Key>a.ts</Key></Deleted><Deleted><Key>b/c.ts</Key></Deleted>"));
  CHECK_THAT(verbose.body,
             Catch::Contains("<Deleted><Key>never.ts</Key></Deleted>"));  // S3: missing keys too
  CHECK(send_request(server.port(), "GET", "/media/a.ts").status == 404);

  server.write("media/d.ts", "d");
  const auto quiet = send_request(server.port(), "POST", "/media?delete", {},
                                  "<Delete><Quiet>true</Quiet><Object><Key>d.ts</Key></Object></Delete>");
  CHECK(quiet.status == 200);
  CHECK_THAT(quiet.body, !Catch::Contains("<Deleted>"));
  const auto malformed = send_request(server.port(), "POST", "/media?delete", {}, "<Delete><Object>");
  CHECK(malformed.status == 400);
  CHECK_THAT(malformed.body, Catch::Contains("<Code>MalformedXML</Code>"));
}

TEST_CASE("put_object: x-amz-checksum-* headers and trailers are verified and echoed",
          "[integration][s3_api]") {
  server_fixture server;
  // CRC-32("hello world") = 0x0D4A1185; SHA-256("hello world") below.
  const auto good = send_request(server.port(), "PUT", "/media/h.txt", {{"x-amz-checksum-crc32", "DUoRhQ=="}},
                                 "hello world");
  CHECK(good.status == 200);
  CHECK(good.header("x-amz-checksum-crc32") == "DUoRhQ==");
  const auto sha = send_request(server.port(), "PUT", "/media/s.txt",
                                {{"x-amz-checksum-sha256", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="}},
                                "hello world");
  CHECK(sha.status == 200);
  const auto bad = send_request(server.port(), "PUT", "/media/b.txt", {{"x-amz-checksum-crc32", "AAAAAA=="}},
                                "hello world");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("<Code>BadDigest</Code>"));
  CHECK_THAT(bad.body, Catch::Contains("The CRC32 you specified did not match the calculated checksum."));
  CHECK(send_request(server.port(), "GET", "/media/b.txt").status == 404);
  const auto bad_trailer = send_request(
      server.port(), "PUT", "/media/t.txt",
      {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, {"Content-Encoding", "aws-chunked"}},
      "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
  CHECK(bad_trailer.status == 400);
  CHECK(send_request(server.port(), "GET", "/media/t.txt").status == 404);
}
