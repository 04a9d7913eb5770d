// Keys a folder cannot hold as plain files, through the HTTP API: "photos/" (the S3
// console's "Create folder") and "a/b" beside "a/b/c" (docs/storage.md, "Folder keys").
#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using s3cors::test::header_fields;
using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {

// The text of every <name>...</name> in document order, joined with ','.
std::string all(const std::string& xml, const std::string& name) {
  std::string out;
  const std::string open = "<" + name + ">";
  const std::string close = "</" + name + ">";
  for (std::size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
    const std::size_t start = at + open.size();
    if (!out.empty()) out += ',';
    out += xml.substr(start, xml.find(close, start) - start);
  }
  return out;
}

}  // namespace

TEST_CASE("folder keys: 'photos/' is stored, listed, read and deleted as S3 does", "[integration][s3_api]") {
  server_fixture server;
  server.write("media/keep.txt", "k");
  const auto put =
      send_request(server.port(), "PUT", "/media/photos/", {{"Content-Type", "application/x-directory"}});
  CHECK(put.status == 200);
  CHECK(put.header("ETag") == "\"d41d8cd98f00b204e9800998ecf8427e\"");
  CHECK(send_request(server.port(), "PUT", "/media/photos/x.jpg", {}, "jpeg").status == 200);

  const auto get = send_request(server.port(), "GET", "/media/photos/");
  CHECK(get.status == 200);
  CHECK(get.body.empty());
  CHECK(get.header("Content-Type") == "application/x-directory");
  const auto head = send_request(server.port(), "HEAD", "/media/photos/");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "0");
  CHECK(send_request(server.port(), "GET", "/media/photos").status == 404);  // another key

  // With delimiter '/', "photos/" is a common prefix; under prefix "photos/" it is an object.
  const auto top = send_request(server.port(), "GET", "/media?list-type=2&delimiter=/");
  CHECK(all(top.body, "Key") == "keep.txt");
  CHECK(all(top.body, "Prefix") == "photos/");  // <CommonPrefixes><Prefix> (the request's is <Prefix/>)
  const auto inside = send_request(server.port(), "GET", "/media?list-type=2&delimiter=/&prefix=photos/");
  CHECK(all(inside.body, "Key") == "photos/,photos/x.jpg");
  const auto v1 = send_request(server.port(), "GET", "/media?marker=photos/");
  CHECK(all(v1.body, "Key") == "photos/x.jpg");

  CHECK(send_request(server.port(), "DELETE", "/media/photos/").status == 204);
  CHECK(send_request(server.port(), "GET", "/media/photos/").status == 404);
  CHECK(send_request(server.port(), "GET", "/media/photos/x.jpg").body == "jpeg");
  CHECK(send_request(server.port(), "DELETE", "/media/photos/x.jpg").status == 204);
  CHECK_FALSE(std::filesystem::exists(server.root().path() / "media/photos"));
}

TEST_CASE("folder keys: 'a/b' and 'a/b/c' are both objects, written in either order",
          "[integration][s3_api]") {
  server_fixture server;
  const bool shorter_first = GENERATE(true, false);
  CAPTURE(shorter_first);
  const std::string first = shorter_first ? "/media/a/b" : "/media/a/b/c";
  const std::string second = shorter_first ? "/media/a/b/c" : "/media/a/b";
  CHECK(send_request(server.port(), "PUT", first, {{"x-amz-meta-which", first}}, first).status == 200);
  CHECK(send_request(server.port(), "PUT", second, {{"x-amz-meta-which", second}}, second).status == 200);
  for (const std::string& path : {first, second}) {
    const auto got = send_request(server.port(), "GET", path);
    CHECK(got.status == 200);
    CHECK(got.body == path);
    CHECK(got.header("x-amz-meta-which") == path);
    const auto ranged = send_request(server.port(), "GET", path, {{"Range", "bytes=1-5"}});
    CHECK(ranged.status == 206);
    CHECK(ranged.body == path.substr(1, 5));
    CHECK(send_request(server.port(), "GET", path + "?acl").status == 200);
  }
  const auto listed = send_request(server.port(), "GET", "/media?list-type=2");
  CHECK(all(listed.body, "Key") == "a/b,a/b/c");
  const auto rolled = send_request(server.port(), "GET", "/media?list-type=2&prefix=a/&delimiter=/");
  CHECK(all(rolled.body, "Key") == "a/b");
  CHECK(all(rolled.body, "Prefix") == "a/,a/b/");

  // DeleteObjects of the longer key leaves the shorter one readable.
  const auto deleted = send_request(server.port(), "POST", "/media?delete", {},
                                    "<Delete><Object><Key>a/b/c</Key></Object></Delete>");
  CHECK(deleted.status == 200);
  CHECK(send_request(server.port(), "GET", "/media/a/b").body == "/media/a/b");
  CHECK(send_request(server.port(), "GET", "/media/a/b/c").status == 404);
  CHECK(send_request(server.port(), "DELETE", "/media/a/b").status == 204);
  CHECK(send_request(server.port(), "GET", "/media/a/b").status == 404);
  CHECK(std::filesystem::is_empty(server.root().path() / "media"));
}

TEST_CASE("folder keys: CopyObject, multipart and POST uploads write folder keys too",
          "[integration][s3_api]") {
  server_fixture server;
  server.write("media/src.txt", "source");
  CHECK(send_request(server.port(), "PUT", "/media/docs", {{"x-amz-copy-source", "/media/src.txt"}}).status ==
        200);
  CHECK(
      send_request(server.port(), "PUT", "/media/docs/", {{"x-amz-copy-source", "/media/src.txt"}}).status ==
      200);
  CHECK(send_request(server.port(), "PUT", "/media/copy", {{"x-amz-copy-source", "/media/docs/"}}).status ==
        200);

  const auto created = send_request(server.port(), "POST", "/media/docs/big?uploads");
  REQUIRE(created.status == 200);
  const std::string upload_id = all(created.body, "UploadId");
  const auto part =
      send_request(server.port(), "PUT", "/media/docs/big?partNumber=1&uploadId=" + upload_id, {}, "parts");
  REQUIRE(part.status == 200);
  const auto completed =
      send_request(server.port(), "POST", "/media/docs/big?uploadId=" + upload_id, {},
                   "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                       part.header("ETag").value_or("") + "</ETag></Part></CompleteMultipartUpload>");
  CHECK(completed.status == 200);

  const header_fields form{{"Content-Type", "multipart/form-data; boundary=BOUNDARY"}};
  const std::string body =
      "--BOUNDARY\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ndocs/big/\r\n"
      "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nposted\r\n"
      "--BOUNDARY--\r\n";
  CHECK(send_request(server.port(), "POST", "/media", form, body).status == 204);

  CHECK(send_request(server.port(), "GET", "/media/docs").body == "source");
  CHECK(send_request(server.port(), "GET", "/media/docs/").body == "source");
  CHECK(send_request(server.port(), "GET", "/media/copy").body == "source");
  CHECK(send_request(server.port(), "GET", "/media/docs/big").body == "parts");
  CHECK(send_request(server.port(), "GET", "/media/docs/big/").body == "posted");
  const auto listed = send_request(server.port(), "GET", "/media?list-type=2");
  CHECK(all(listed.body, "Key") == "copy,docs,docs/,docs/big,docs/big/,src.txt");
}

TEST_CASE("folder keys: keys that still cannot name a file get 400 InvalidArgument",
          "[integration][s3_api]") {
  server_fixture server;
  for (const std::string path : {"/media/a//b", "/media/a/.s3cors-object", "/media/a/.s3cors-folder/x"}) {
    CAPTURE(path);
    const auto put = send_request(server.port(), "PUT", path, {}, "x");
    CHECK(put.status == 400);
    CHECK_THAT(put.body, Catch::Contains("<Code>InvalidArgument</Code>"));
  }
}
