#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using s3cors::test::raw_exchange;
using s3cors::test::raw_request;
using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {
std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("http: keep-alive and pipelined requests are answered in order", "[integration]") {
  server_fixture server;
  server.write("media/a.txt", "AAA");
  server.write("media/b.txt", "BBB");
  const std::string two =
      "GET /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /media/b.txt HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n";
  const auto answer = raw_request(server.port(), two);
  CHECK(count(answer, "HTTP/1.1 200 OK") == 2);
  CHECK(answer.find("AAA") < answer.find("BBB"));
}

TEST_CASE("http: HTTP/1.0 is answered and the connection closed", "[integration]") {
  server_fixture server;
  server.write("media/a.txt", "AAA");
  const auto result = raw_exchange(server.port(), "GET /media/a.txt HTTP/1.0\r\n\r\n", 3000ms);
  CHECK_THAT(result.received, Catch::StartsWith("HTTP/1.0 200 OK"));
  CHECK_THAT(result.received, Catch::EndsWith("AAA"));
  CHECK(result.closed_by_server);
}

TEST_CASE("http: an oversized header section is refused with an S3 error", "[integration]") {
  auto options = server_fixture::quiet_options();
  options.header_limit = 4096;
  server_fixture server(options);
  const std::string request =
      "GET /media/a.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'x') + "\r\n\r\n";
  const auto answer = raw_request(server.port(), request);
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(answer, Catch::Contains("<Code>RequestHeaderSectionTooLarge</Code>"));
}

TEST_CASE("http: malformed request lines get 400 and the server keeps serving", "[integration]") {
  server_fixture server;
  server.write("media/a.txt", "AAA");
  CHECK_THAT(raw_request(server.port(), "NOT HTTP AT ALL\r\n\r\n"), Catch::StartsWith("HTTP/1.1 400"));
  CHECK(send_request(server.port(), "GET", "/media/a.txt").status == 200);
}

TEST_CASE("http: a client trickling its headers is cut off by the header timeout", "[integration]") {
  auto options = server_fixture::quiet_options();
  options.header_timeout = 300ms;
  server_fixture server(options);
  const auto started = std::chrono::steady_clock::now();
  // Never finishes its headers: the server must close within the header timeout.
  const auto result =
      raw_exchange(server.port(), "GET /media/a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: 1", 4000ms);
  CHECK(result.closed_by_server);
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("http: idle keep-alive connections are closed after the idle timeout", "[integration]") {
  auto options = server_fixture::quiet_options();
  options.idle_timeout = 300ms;
  server_fixture server(options);
  server.write("media/a.txt", "AAA");
  const auto result = raw_exchange(server.port(), "GET /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 4000ms);
  CHECK_THAT(result.received, Catch::StartsWith("HTTP/1.1 200 OK"));
  CHECK(result.closed_by_server);
}

TEST_CASE("http: connections over the limit get 503 SlowDown", "[integration]") {
  auto options = server_fixture::quiet_options();
  options.max_connections = 1;
  server_fixture server(options);
  server.write("media/a.txt", "AAA");
  // The first connection stays open (idle keep-alive) while the second arrives.
  std::thread holder([port = server.port()] {
    (void)raw_exchange(port, "GET /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 1500ms);
  });
  std::this_thread::sleep_for(300ms);  // lets the holder connect first; not a readiness wait
  const auto answer = raw_request(server.port(), "GET /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
  holder.join();
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 503"));
  CHECK_THAT(answer, Catch::Contains("<Code>SlowDown</Code>"));
}

TEST_CASE("http: stop() closes idle connections and returns promptly", "[integration]") {
  server_fixture server;
  server.write("media/a.txt", "AAA");
  std::thread idle_client([port = server.port()] {
    (void)raw_exchange(port, "GET /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 5000ms);
  });
  std::this_thread::sleep_for(200ms);
  const auto started = std::chrono::steady_clock::now();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);
  idle_client.join();
}

TEST_CASE("http: a client vanishing mid-body does not take the server down", "[integration]") {
  server_fixture server;
  server.write("media/big.bin", std::string(8 * 1024 * 1024, 'x'));
  for (int i = 0; i < 3; ++i) {
    // Reads a little of an 8 MiB body, then disconnects: the server's sendfile meets EPIPE.
    (void)raw_exchange(server.port(), "GET /media/big.bin HTTP/1.1\r\nHost: x\r\n\r\n", 50ms);
  }
  CHECK(send_request(server.port(), "GET", "/").status == 200);
}

TEST_CASE("http: a body over the limit is refused with EntityTooLarge and stores nothing", "[integration]") {
  s3cors::s3::service_options limits;
  limits.max_object_size = 1024;
  server_fixture server(server_fixture::quiet_options(), limits);
  const auto answer =
      raw_request(server.port(), "PUT /media/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                                     std::string(5000, 'x'));
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(answer, Catch::Contains("<Code>EntityTooLarge</Code>"));
  CHECK(send_request(server.port(), "GET", "/media/big.bin").status == 404);
}

TEST_CASE("http: request framing that cannot be trusted is a 400 and a close; nothing in it runs",
          "[integration][framing]") {
  server_fixture server;
  server.write("media/a.txt", "aaa");
  // Each carries a DELETE that a server reading the body as the next request would execute.
  const std::string smuggled = "DELETE /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string requests[] = {
      "PUT /media/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + smuggled,
      "PUT /media/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n" + smuggled,
      "PUT /media/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n" + smuggled,
      "PUT /media/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \"chunked\"\r\n\r\n" + smuggled,
      "PUT /media/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-unknown\r\n\r\n" + smuggled,
      "PUT /media/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" + smuggled,
      "PUT /media/x HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
      "GET /media/a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + smuggled,
      "GET /media/a.txt HTTP/1.1\r\n\r\n" + smuggled,
  };
  for (const auto& bytes : requests) {
    CAPTURE(bytes.substr(0, bytes.find("\r\n\r\n")));
    const auto answer = raw_exchange(server.port(), bytes, 5000ms);
    CHECK_THAT(answer.received, Catch::StartsWith("HTTP/1.1 400"));
    CHECK_THAT(answer.received, Catch::Contains("Connection: close"));
    // One answer only: the bytes after the header were never parsed as a request.
    CHECK(answer.received.find("HTTP/1.1", 1) == std::string::npos);
    CHECK(answer.closed_by_server);
  }
  CHECK(send_request(server.port(), "GET", "/media/a.txt").body == "aaa");
  CHECK(send_request(server.port(), "GET", "/media/x").status == 404);
  // Chunked alone, and HTTP/1.0 without Host, still work.
  const auto chunked = raw_request(
      server.port(),
      "PUT /media/c.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n");
  CHECK_THAT(chunked, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(raw_request(server.port(), "GET /media/a.txt HTTP/1.0\r\n\r\n"),
             Catch::StartsWith("HTTP/1.0 200"));
}

TEST_CASE("http: a HEAD refused for its framing gets a 400 without a body", "[integration][framing]") {
  // Found by fuzz_transport: the 400 carried the error document after its header, which a
  // client reads as the start of the next response (a HEAD's answer ends with its header).
  server_fixture server;
  server.write("media/a.txt", "aaa");
  const std::string requests[] = {
      "HEAD /media/a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
      "HEAD /media/a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HEAD /media/a.txt HTTP/1.1\r\n\r\n",
  };
  for (const auto& bytes : requests) {
    CAPTURE(bytes);
    const auto answer = raw_exchange(server.port(), bytes, 5000ms);
    CHECK_THAT(answer.received, Catch::StartsWith("HTTP/1.1 400"));
    CHECK_THAT(answer.received, Catch::Contains("Connection: close"));
    CHECK_THAT(answer.received, Catch::EndsWith("\r\n\r\n"));
    CHECK(answer.received.find("<Error>") == std::string::npos);
    CHECK(answer.closed_by_server);
  }
  // A GET refused so still gets the error document.
  CHECK_THAT(raw_request(server.port(), "GET /media/a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
             Catch::Contains("<Code>BadRequest</Code>"));
}

TEST_CASE("http: a HEAD whose body breaks off or is malformed gets its 400 without a body",
          "[integration][framing]") {
  // Found by fuzz_transport in CI: a HEAD with a chunked body that ended inside a chunk line
  // got IncompleteBody with the error document after its header.
  server_fixture server;
  server.write("media/a.txt", "aaa");
  struct head_case {
    std::string bytes;
    bool half_close;
    std::string_view status;
  };
  const head_case cases[] = {
      {"HEAD /media/a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\\\\trib", true,
       "HTTP/1.1 400"},
      {"HEAD /media/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", true, "HTTP/1.1 400"},
      {"HEAD /media/a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
       "HTTP/1.1 400"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.bytes);
    const auto answer = raw_exchange(server.port(), c.bytes, 5000ms, c.half_close);
    CHECK_THAT(answer.received, Catch::StartsWith(std::string(c.status)));
    CHECK_THAT(answer.received, Catch::EndsWith("\r\n\r\n"));
    CHECK(answer.received.find("<Error>") == std::string::npos);
    CHECK(answer.closed_by_server);
  }
}

TEST_CASE("http: no control byte from request data reaches a response header raw", "[integration][framing]") {
  server_fixture server;
  server.write("media/a.txt", "aaa");
  const auto answer =
      raw_request(server.port(),
                  "GET /media/a.txt?response-content-type=text%2Fplain%00%01%0D%0ASet-Cookie%3A%20x%3D1%7F"
                  "&response-content-disposition=a%09b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200"));
  const std::string head = answer.substr(0, answer.find("\r\n\r\n"));
  CHECK(head.find("\r\nSet-Cookie") == std::string::npos);
  for (const char c : head) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK((byte >= 0x20 || byte == '\r' || byte == '\n' || byte == '\t'));
    CHECK(byte != 0x7F);
  }
  CHECK_THAT(head, Catch::Contains("Content-Type: text/plain"));
  CHECK_THAT(head, Catch::Contains("Content-Disposition: a\tb"));
}
