#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <thread>

using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {
// md5("hello world\n")
constexpr const char* hello_etag = "\"6f5902ac237024bdd0c176cb93063dc4\"";
}  // namespace

TEST_CASE("get_object: GET serves the file with S3's headers", "[integration]") {
  server_fixture server;
  server.write("media/hls/master.m3u8", "hello world\n");

  const auto res = send_request(server.port(), "GET", "/media/hls/master.m3u8");
  CHECK(res.status == 200);
  CHECK(res.body == "hello world\n");
  CHECK(res.header("Content-Length") == "12");
  CHECK(res.header("Content-Type") == "application/vnd.apple.mpegurl");
  CHECK(res.header("ETag") == hello_etag);
  CHECK(res.header("Accept-Ranges") == "bytes");
  CHECK(res.header("Last-Modified").value_or("").ends_with(" GMT"));
  CHECK(res.header("x-amz-request-id").value_or("").size() == 16);
  CHECK(res.header("x-amz-id-2").has_value());
  CHECK(res.header("Date").has_value());
  CHECK(res.header("Server") == "AmazonS3");
  CHECK_FALSE(res.header("Access-Control-Allow-Origin").has_value());
}

TEST_CASE("get_object: HEAD has GET's headers and no body", "[integration]") {
  server_fixture server;
  server.write("media/seg.ts", "hello world\n");
  const auto res = send_request(server.port(), "HEAD", "/media/seg.ts");
  CHECK(res.status == 200);
  CHECK(res.body.empty());
  CHECK(res.header("Content-Length") == "12");
  CHECK(res.header("Content-Type") == "video/mp2t");
  CHECK(res.header("ETag") == hello_etag);
}

TEST_CASE("get_object: a file dropped in while running is served without restart", "[integration]") {
  server_fixture server;
  CHECK(send_request(server.port(), "GET", "/media/late.txt").status == 404);
  server.write("media/late.txt", "hello world\n");
  const auto res = send_request(server.port(), "GET", "/media/late.txt");
  CHECK(res.status == 200);
  CHECK(res.body == "hello world\n");
  server.write("newbucket/x.json", "{}");
  CHECK(send_request(server.port(), "GET", "/newbucket/x.json").status == 200);
}

TEST_CASE("get_object: large objects stream completely (sendfile path)", "[integration]") {
  server_fixture server;
  std::string big(3 * 1024 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
  server.write("media/big.mp4", big);
  const auto res = send_request(server.port(), "GET", "/media/big.mp4");
  CHECK(res.status == 200);
  CHECK(res.body.size() == big.size());
  CHECK(res.body == big);
  const auto part =
      send_request(server.port(), "GET", "/media/big.mp4", {{"Range", "bytes=1000000-2999999"}});
  CHECK(part.status == 206);
  CHECK(part.header("Content-Range") == "bytes 1000000-2999999/" + std::to_string(big.size()));
  CHECK(part.body == big.substr(1000000, 2000000));
}

TEST_CASE("get_object: keys are percent-decoded once", "[integration]") {
  server_fixture server;
  server.write("media/a b+c.txt", "plus");
  server.write("media/100%25.txt", "percent");
  CHECK(send_request(server.port(), "GET", "/media/a%20b%2Bc.txt").body == "plus");
  CHECK(send_request(server.port(), "GET", "/media/a%20b+c.txt").body == "plus");
  // "%2525" decodes once to "%25", which is the literal file name "100%25.txt".
  CHECK(send_request(server.port(), "GET", "/media/100%2525.txt").body == "percent");
  CHECK(send_request(server.port(), "GET", "/media/%zz").status == 400);
}

TEST_CASE("get_object: virtual-hosted-style addressing", "[integration]") {
  server_fixture server;
  server.write("media/v.vtt", "WEBVTT\n");
  const auto res = send_request(server.port(), "GET", "/v.vtt",
                                {{"Host", "media.localhost:" + std::to_string(server.port())}});
  CHECK(res.status == 200);
  CHECK(res.header("Content-Type") == "text/vtt");
  CHECK(res.body == "WEBVTT\n");
}

TEST_CASE("errors: S3 error documents with the right status", "[integration]") {
  server_fixture server;
  server.write("media/x.txt", "x");

  const auto no_key = send_request(server.port(), "GET", "/media/missing.ts");
  CHECK(no_key.status == 404);
  CHECK(no_key.header("Content-Type") == "application/xml");
  CHECK_THAT(no_key.body, Catch::Contains("<Code>NoSuchKey</Code>"));
  CHECK_THAT(no_key.body, Catch::Contains("<Key>missing.ts</Key>"));
  CHECK_THAT(no_key.body, Catch::Contains("<Resource>/media/missing.ts</Resource>"));
  CHECK_THAT(no_key.body,
             Catch::Contains("<RequestId>" + no_key.header("x-amz-request-id").value() + "</RequestId>"));

  const auto no_bucket = send_request(server.port(), "GET", "/nobucket/x.txt");
  CHECK(no_bucket.status == 404);
  CHECK_THAT(no_bucket.body, Catch::Contains("<Code>NoSuchBucket</Code>"));

  const auto head_missing = send_request(server.port(), "HEAD", "/media/missing.ts");
  CHECK(head_missing.status == 404);
  CHECK(head_missing.body.empty());

  const auto bad_name = send_request(server.port(), "GET", "/Bad_Bucket/x");
  CHECK(bad_name.status == 400);
  CHECK_THAT(bad_name.body, Catch::Contains("<Code>InvalidBucketName</Code>"));

  const auto post = send_request(server.port(), "POST", "/media/new.txt?restore", {}, "data");
  CHECK(post.status == 501);
  CHECK_THAT(post.body, Catch::Contains("<Code>NotImplemented</Code>"));

  const auto legal_hold = send_request(server.port(), "GET", "/media/x.txt?legal-hold");
  CHECK(legal_hold.status == 501);

  const auto patch = send_request(server.port(), "PATCH", "/media/x.txt");
  CHECK(patch.status == 405);
  CHECK_THAT(patch.body, Catch::Contains("<Code>MethodNotAllowed</Code>"));
}

TEST_CASE("list_buckets: GET / lists the bucket directories", "[integration]") {
  server_fixture server;
  server.write("alpha/x", "1");
  server.root().make_dir("zeta");
  server.root().make_dir(".hidden");
  server.write("loose-file", "not a bucket");
  const auto res = send_request(server.port(), "GET", "/");
  CHECK(res.status == 200);
  CHECK_THAT(res.body, Catch::StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  CHECK_THAT(res.body, Catch::Contains("<Bucket><Name>alpha</Name><CreationDate>"));
  CHECK_THAT(res.body, Catch::Contains("<Name>media</Name>"));
  CHECK_THAT(res.body, Catch::Contains("<Name>zeta</Name>"));
  CHECK_THAT(res.body, !Catch::Contains("hidden"));
  CHECK_THAT(res.body, !Catch::Contains("loose-file"));
  CHECK(send_request(server.port(), "HEAD", "/alpha").status == 200);
  CHECK(send_request(server.port(), "HEAD", "/nothere").status == 404);
}

TEST_CASE("preconditions: 304 and 412 as S3 answers them", "[integration]") {
  server_fixture server;
  server.write("media/p.ts", "hello world\n");
  const auto not_modified =
      send_request(server.port(), "GET", "/media/p.ts", {{"If-None-Match", hello_etag}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.body.empty());
  CHECK(not_modified.header("ETag") == hello_etag);
  CHECK(not_modified.header("Last-Modified").has_value());

  const auto failed = send_request(server.port(), "GET", "/media/p.ts", {{"If-Match", "\"0000\""}});
  CHECK(failed.status == 412);
  CHECK_THAT(failed.body, Catch::Contains("<Code>PreconditionFailed</Code>"));
  CHECK_THAT(failed.body, Catch::Contains("<Condition>If-Match</Condition>"));

  const auto both =
      send_request(server.port(), "GET", "/media/p.ts",
                   {{"If-Match", hello_etag}, {"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}});
  CHECK(both.status == 200);
}

TEST_CASE("range: 206, 416 and ignored syntax", "[integration]") {
  server_fixture server;
  server.write("media/r.ts", "0123456789");
  const auto probe = send_request(server.port(), "GET", "/media/r.ts", {{"Range", "bytes=0-1"}});
  CHECK(probe.status == 206);
  CHECK(probe.body == "01");
  CHECK(probe.header("Content-Range") == "bytes 0-1/10");
  CHECK(probe.header("Content-Length") == "2");

  const auto open_ended = send_request(server.port(), "GET", "/media/r.ts", {{"Range", "bytes=0-"}});
  CHECK(open_ended.status == 206);
  CHECK(open_ended.body == "0123456789");

  const auto suffix = send_request(server.port(), "GET", "/media/r.ts", {{"Range", "bytes=-3"}});
  CHECK(suffix.status == 206);
  CHECK(suffix.body == "789");

  const auto clamped = send_request(server.port(), "GET", "/media/r.ts", {{"Range", "bytes=8-100"}});
  CHECK(clamped.status == 206);
  CHECK(clamped.header("Content-Range") == "bytes 8-9/10");

  const auto beyond = send_request(server.port(), "GET", "/media/r.ts", {{"Range", "bytes=10-"}});
  CHECK(beyond.status == 416);
  CHECK(beyond.header("Content-Range") == "bytes */10");
  CHECK_THAT(beyond.body, Catch::Contains("<Code>InvalidRange</Code>"));

  const auto several = send_request(server.port(), "GET", "/media/r.ts", {{"Range", "bytes=0-1,4-5"}});
  CHECK(several.status == 200);
  CHECK(several.body == "0123456789");
}

TEST_CASE("get_object: response-* overrides cannot inject header lines", "[integration]") {
  server_fixture server;
  server.write("media/x.txt", "x");
  const std::string answer = s3cors::test::raw_request(
      server.port(),
      "GET /media/x.txt?response-content-type=text/plain%0D%0ASet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n");
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(answer, Catch::Contains("Content-Type: text/plain  Set-Cookie: a=b\r\n"));
  CHECK_THAT(answer, !Catch::Contains("\r\nSet-Cookie"));
  CHECK_THAT(answer, Catch::Contains("Connection: close\r\n"));
}
