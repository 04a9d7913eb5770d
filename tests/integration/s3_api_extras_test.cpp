// Tagging (object and bucket, kept on disk), ListObjectVersions, GetBucketVersioning,
// ListBuckets pagination, x-amz-expected-bucket-owner and non-ASCII metadata over HTTP.
#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using s3cors::test::raw_request;
using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

constexpr std::string_view tag_ab =
    "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></TagSet>"
    "</Tagging>";

}  // namespace

TEST_CASE("tagging: object tags are kept in the object's record, beside its metadata",
          "[integration][s3_api]") {
  server_fixture server;
  REQUIRE(send_request(
              server.port(), "PUT", "/media/t.txt",
              {{"Content-Type", "text/plain"}, {"x-amz-tagging", "a=1"}, {"x-amz-acl", "public-read"}}, "x")
              .status == 200);
  const auto head = send_request(server.port(), "HEAD", "/media/t.txt");
  CHECK(head.header("x-amz-tagging-count") == "1");
  REQUIRE(send_request(server.port(), "PUT", "/media/t.txt?tagging", {}, tag_ab).status == 200);
  const auto got = send_request(server.port(), "GET", "/media/t.txt?tagging");
  CHECK(got.status == 200);
  CHECK(contains(got.body,
                 "<TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>"));
  // Tagging leaves the metadata and the ACL alone.
  const auto after = send_request(server.port(), "GET", "/media/t.txt");
  CHECK(after.header("Content-Type") == "text/plain");
  CHECK(after.header("x-amz-tagging-count") == "2");
  CHECK(contains(send_request(server.port(), "GET", "/media/t.txt?acl").body, "AllUsers"));
  REQUIRE(send_request(server.port(), "DELETE", "/media/t.txt?tagging").status == 204);
  CHECK_FALSE(send_request(server.port(), "HEAD", "/media/t.txt").header("x-amz-tagging-count").has_value());
  // A new upload has the tags it was given, none here.
  REQUIRE(send_request(server.port(), "PUT", "/media/t.txt?tagging", {}, tag_ab).status == 200);
  REQUIRE(send_request(server.port(), "PUT", "/media/t.txt", {}, "y").status == 200);
  CHECK_FALSE(send_request(server.port(), "HEAD", "/media/t.txt").header("x-amz-tagging-count").has_value());
}

TEST_CASE("tagging: bucket tags are a bucket document", "[integration][s3_api]") {
  server_fixture server;
  CHECK(send_request(server.port(), "GET", "/media?tagging").status == 404);
  REQUIRE(send_request(server.port(), "PUT", "/media?tagging", {}, tag_ab).status == 204);
  CHECK(contains(send_request(server.port(), "GET", "/media?tagging").body, "<Key>b</Key><Value>2</Value>"));
  // Never an object of the bucket.
  CHECK_FALSE(contains(send_request(server.port(), "GET", "/media?list-type=2").body, "tagging"));
  REQUIRE(send_request(server.port(), "DELETE", "/media?tagging").status == 204);
  CHECK(send_request(server.port(), "GET", "/media?tagging").status == 404);
}

TEST_CASE("versions: ListObjectVersions and GetBucketVersioning on a bucket never versioned",
          "[integration][s3_api]") {
  server_fixture server;
  REQUIRE(send_request(server.port(), "PUT", "/media/v/one", {}, "1").status == 200);
  const auto listed = send_request(server.port(), "GET", "/media?versions&prefix=v/");
  CHECK(listed.status == 200);
  CHECK(
      contains(listed.body, "<Version><Key>v/one</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"));
  const auto versioning = send_request(server.port(), "GET", "/media?versioning");
  CHECK(versioning.status == 200);
  CHECK(contains(versioning.body,
                 "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"));
}

TEST_CASE("owner: x-amz-expected-bucket-owner must name the owner's account", "[integration][s3_api]") {
  server_fixture server;
  REQUIRE(send_request(server.port(), "PUT", "/media/o", {}, "o").status == 200);
  CHECK(send_request(server.port(), "GET", "/media/o", {{"x-amz-expected-bucket-owner", "123456789012"}})
            .status == 200);
  const auto other =
      send_request(server.port(), "GET", "/media/o", {{"x-amz-expected-bucket-owner", "999999999999"}});
  CHECK(other.status == 403);
  CHECK(contains(other.body, "<Code>AccessDenied</Code>"));
}

TEST_CASE("metadata: non-ASCII values sent as raw UTF-8 come back RFC 2047-encoded",
          "[integration][s3_api]") {
  server_fixture server;
  const auto put = raw_request(server.port(),
                               "PUT /media/u HTTP/1.1\r\nHost: localhost\r\nx-amz-meta-name: caf\xC3\xA9\r\n"
                               "Content-Length: 1\r\nConnection: close\r\n\r\nx");
  REQUIRE(put.starts_with("HTTP/1.1 200"));
  CHECK(send_request(server.port(), "HEAD", "/media/u").header("x-amz-meta-name") == "=?UTF-8?B?Y2Fmw6k=?=");
}

TEST_CASE("listing: ListBuckets pages", "[integration][s3_api]") {
  server_fixture server;
  REQUIRE(send_request(server.port(), "PUT", "/zz-second").status == 200);
  const auto page = send_request(server.port(), "GET", "/?max-buckets=1");
  CHECK(page.status == 200);
  CHECK(contains(page.body, "<ContinuationToken>"));
  CHECK(contains(send_request(server.port(), "GET", "/?prefix=zz").body, "<Name>zz-second</Name>"));
}
