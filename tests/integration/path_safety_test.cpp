#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using s3cors::test::raw_request;
using s3cors::test::send_request;
using s3cors::test::server_fixture;
using s3cors::test::temp_dir;

// No request may read outside its bucket directory, whatever the encoding.
TEST_CASE("path safety: traversal attempts get an S3 error, never the file", "[integration]") {
  server_fixture server;
  server.write("media/ok.txt", "ok");
  server.write("private/secret.txt", "TOP-SECRET");
  const temp_dir outside;
  outside.write("passwd", "TOP-SECRET");

  const std::string targets[] = {
      "/media/%2e%2e/private/secret.txt",
      "/media/%2E%2E/%2E%2E/etc/passwd",
      "/media/..%2fprivate%2fsecret.txt",
      "/media/a/../../private/secret.txt",
      "/media/./ok.txt",
      "/media//ok.txt",
      "/media/%2fetc%2fpasswd",
      "/media/ok.txt%00.jpg",
      "/media/..%5cprivate%5csecret.txt",
      "/media/" + outside.path().string() + "/passwd",
  };
  for (const auto& target : targets) {
    CAPTURE(target);
    // raw: a client library would normalise the dots away before sending.
    const std::string answer = raw_request(
        server.port(), "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 4"));
    CHECK_THAT(answer, Catch::Contains("<Error><Code>"));
    CHECK_THAT(answer, !Catch::Contains("TOP-SECRET"));
  }
}

TEST_CASE("path safety: symlinks leaving the root are refused, inside ones are served", "[integration]") {
  server_fixture server;
  const temp_dir outside;
  outside.write("secret.txt", "TOP-SECRET");
  outside.write("dir/file.ts", "TOP-SECRET");
  server.write("media/real.txt", "inside");
  server.write("other/shared.txt", "shared");
  namespace fs = std::filesystem;
  fs::create_symlink(outside.path() / "secret.txt", server.root().path() / "media/link-out.txt");
  fs::create_directory_symlink(outside.path() / "dir", server.root().path() / "media/dir-out");
  fs::create_symlink(server.root().path() / "other/shared.txt", server.root().path() / "media/link-in.txt");
  fs::create_directory_symlink(outside.path(), server.root().path() / "linkedbucket");

  const auto out_file = send_request(server.port(), "GET", "/media/link-out.txt");
  CHECK(out_file.status == 403);
  CHECK_THAT(out_file.body, Catch::Contains("<Code>AccessDenied</Code>"));
  CHECK(send_request(server.port(), "GET", "/media/dir-out/file.ts").status == 403);
  CHECK(send_request(server.port(), "GET", "/linkedbucket/secret.txt").status >= 400);
  const auto in_file = send_request(server.port(), "GET", "/media/link-in.txt");
  CHECK(in_file.status == 200);
  CHECK(in_file.body == "shared");
}
