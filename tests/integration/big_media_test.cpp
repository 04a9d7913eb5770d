// Big media through the real server: uploads decided on their header and streamed to disk
// with bounded memory, disk work off the network threads, ETags that never make a request
// wait for hashing.
#include "http_client.hpp"
#include "raw_connection.hpp"
#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"
#include "server_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>

using s3cors::test::raw_connection;
using s3cors::test::send_request;
using s3cors::test::server_fixture;
using namespace std::chrono_literals;

namespace {

std::uint64_t status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

s3cors::s3::service_options with_credentials() {
  s3cors::s3::service_options options;
  const s3cors::auth::credential key{"AKIDBIGMEDIA", "secret"};
  options.credentials = s3cors::auth::credential_set({key});
  return options;
}

}  // namespace

TEST_CASE("big media: a refused upload is answered from its header; its body is never read",
          "[integration][big_media]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  SECTION("with Expect: 100-continue, no 100 Continue is sent") {
    raw_connection client(server.port());
    REQUIRE(
        client.send("PUT /media/huge.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n"
                    "Expect: 100-continue\r\n\r\n"));
    const std::string answer = client.receive_until("</Error>");
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 403"));
    CHECK_THAT(answer, Catch::Contains("<Code>AccessDenied</Code>"));
    CHECK_THAT(answer, !Catch::Contains("100 Continue"));
    CHECK_THAT(answer, Catch::Contains("Connection: close"));
    client.receive_until("never sent");
    CHECK(client.closed());
  }
  SECTION("without it, the answer comes while the body is still on its way") {
    raw_connection client(server.port());
    REQUIRE(client.send("PUT /media/huge.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n"));
    REQUIRE(client.send(std::string(64 * 1024, 'x')));
    // 1 GiB announced, 64 KiB sent: a server that read the body first would still be waiting.
    const std::string answer = client.receive_until("</Error>");
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 403"));
    client.receive_until("never sent");
    CHECK(client.closed());
  }
  CHECK(send_request(server.port(), "GET", "/media/huge.bin").status == 403);
  CHECK(server.store().stat("media", "huge.bin").error() == s3cors::errc::no_such_key);
}

TEST_CASE("big media: an accepted upload gets 100 Continue before it sends its body",
          "[integration][big_media]") {
  server_fixture server;
  raw_connection client(server.port());
  REQUIRE(
      client.send("PUT /media/hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Expect: 100-continue\r\n\r\n"));
  CHECK_THAT(client.receive_until("\r\n\r\n"), Catch::StartsWith("HTTP/1.1 100 Continue\r\n\r\n"));
  REQUIRE(client.send("hello"));
  CHECK_THAT(client.receive_until("ETag"), Catch::Contains("HTTP/1.1 200 OK"));
  CHECK(send_request(server.port(), "GET", "/media/hello.txt").body == "hello");
}

TEST_CASE("big media: a PUT above the old 512 MiB limit streams to disk with bounded memory",
          "[integration][big_media]") {
  server_fixture server;
  constexpr std::uint64_t size = 520ull << 20;
  std::string block(1 << 20, '\0');
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>((i * 131) >> 7);
  s3cors::hash::hasher md5(s3cors::hash::algorithm::md5);
  {
    // Peak memory from here on: the server runs in this process.
    std::ofstream("/proc/self/clear_refs") << "5";
  }
  const std::uint64_t baseline_kib = status_kib("VmRSS:");
  raw_connection client(server.port());
  REQUIRE(client.send("PUT /media/movie.mp4 HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(size) +
                      "\r\n\r\n"));
  for (std::uint64_t sent = 0; sent < size; sent += block.size()) {
    block[0] = static_cast<char>(sent >> 20);  // every MiB differs
    md5.update(block);
    REQUIRE(client.send(block));
  }
  const std::string answer = client.receive_until("\r\n\r\n", 60'000ms);
  const std::uint64_t peak_kib = status_kib("VmHWM:");
  const std::string etag = "\"" + s3cors::hash::to_hex(md5.finish()) + "\"";
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK"));
  CHECK_THAT(answer, Catch::Contains("ETag: " + etag));
  // Body pieces and hash states, not the body: far below the 520 MiB sent.
  CHECK(peak_kib < baseline_kib + 64 * 1024);
  const auto head = send_request(server.port(), "HEAD", "/media/movie.mp4");
  CHECK(head.header("Content-Length") == std::to_string(size));
  CHECK(head.header("ETag") == etag);
}

TEST_CASE("big media: small GETs are answered while a large copy runs", "[integration][big_media]") {
  auto options = server_fixture::quiet_options();
  options.threads = 1;  // one network thread: work done on it would hold every request back
  server_fixture server(options);
  server.write("media/small.txt", "tiny");
  {
    // A dropped-in file too large for an MD5 ETag: copying it also hashes it.
    std::ofstream big(server.root().path() / "media" / "big.bin", std::ios::binary);
    const std::string block(1 << 20, 'b');
    for (int i = 0; i < 256; ++i) big << block;
  }
  raw_connection copy(server.port());
  REQUIRE(
      copy.send("PUT /media/copy.bin HTTP/1.1\r\nHost: x\r\nx-amz-copy-source: /media/big.bin\r\n"
                "Content-Length: 0\r\n\r\n"));
  // Each small GET completes while the copy is still running.
  int answered_during_copy = 0;
  for (int i = 0; i < 20; ++i) {
    const auto small = send_request(server.port(), "GET", "/media/small.txt");
    CHECK(small.status == 200);
    if (!copy.has_answer()) ++answered_during_copy;
  }
  CHECK(answered_during_copy > 0);
  CHECK_THAT(copy.receive_until("</CopyObjectResult>", 60'000ms), Catch::StartsWith("HTTP/1.1 200 OK"));
  const auto copied = send_request(server.port(), "HEAD", "/media/copy.bin");
  CHECK(copied.header("Content-Length") == std::to_string(256 << 20));
}

TEST_CASE("big media: an anonymous GET of a private object neither hashes nor reads it",
          "[integration][big_media]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.write("media/secret.bin", std::string(512 * 1024, 's'));  // small enough for an MD5 ETag
  CHECK(send_request(server.port(), "GET", "/media/secret.bin").status == 403);
  CHECK(send_request(server.port(), "HEAD", "/media/secret.bin").status == 403);
  CHECK(server.store().etag_computations() == 0);
}

TEST_CASE("big media: a copy source above S3's 5 GiB is refused with InvalidRequest, nothing read",
          "[integration][big_media]") {
  server_fixture server;
  {
    // Sparse: 6 GiB that occupy no disk.
    const auto file = server.root().path() / "media" / "master.mov";
    std::ofstream{file};
    std::filesystem::resize_file(file, 6ull << 30);
  }
  const auto copy =
      send_request(server.port(), "PUT", "/media/copy.mov", {{"x-amz-copy-source", "/media/master.mov"}});
  CHECK(copy.status == 400);
  CHECK_THAT(copy.body, Catch::Contains("<Code>InvalidRequest</Code>"));
  CHECK_THAT(copy.body, Catch::Contains("maximum allowable size for a copy source: 5368709120"));
  CHECK(send_request(server.port(), "HEAD", "/media/copy.mov").status == 404);
  // A part may copy a range of it.
  const auto created = send_request(server.port(), "POST", "/media/big.mov?uploads");
  REQUIRE(created.status == 200);
  const auto id_start = created.body.find("<UploadId>") + 10;
  const std::string id = created.body.substr(id_start, created.body.find("</UploadId>") - id_start);
  const auto part = send_request(
      server.port(), "PUT", "/media/big.mov?partNumber=1&uploadId=" + id,
      {{"x-amz-copy-source", "/media/master.mov"}, {"x-amz-copy-source-range", "bytes=0-1048575"}});
  CHECK(part.status == 200);
  CHECK_THAT(part.body, Catch::Contains("<CopyPartResult"));
  CHECK(server.store().etag_computations() == 0);
}
