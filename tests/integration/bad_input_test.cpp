// Bad input against the real server: malformed XML documents, bodies over the limit or
// shorter than announced, sub-resources and methods s3cors does not serve. After each the
// server keeps answering on a new connection and nothing is left where objects live.
#include "server_fixture.hpp"

#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

using namespace std::chrono_literals;
using s3cors::test::raw_exchange;
using s3cors::test::send_request;
using s3cors::test::server_fixture;
namespace fs = std::filesystem;

namespace {

struct exchange {
  std::string received;
  bool closed_by_server = false;
};

// Connects, writes bytes, then shuts down the write side (the client announces it will send
// nothing more, as a client does that gave up on its body) and reads until the server closes
// or timeout passes.
exchange send_then_half_close(std::uint16_t port, std::string_view bytes,
                              std::chrono::milliseconds timeout = 5000ms) {
  exchange out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[65536];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.closed_by_server = true;
      break;
    }
    out.received.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Everything below dir, relative, directories with a trailing '/'.
std::set<std::string> entries_below(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string name = fs::relative(it->path(), dir).generic_string();
    if (it->is_directory() && !it->is_symlink()) name += '/';
    out.insert(std::move(name));
  }
  return out;
}

const std::set<std::string> initial_objects{"a.txt", "dir/", "dir/b.ts"};

void seed(const server_fixture& server) {
  server.write("media/a.txt", "AAA");
  server.write("media/dir/b.ts", "BBB");
}

// The bucket holds exactly what it held before, no temp file lingers, and the server still
// answers a plain GET on a fresh connection.
void check_intact(const server_fixture& server, const std::set<std::string>& objects = initial_objects) {
  CHECK(entries_below(server.root().path() / "media") == objects);
  std::set<std::string> top;  // nothing outside the bucket and s3cors' own folder
  for (const auto& entry : fs::directory_iterator(server.root().path())) top.insert(entry.path().filename());
  top.erase("media");
  top.erase(".s3cors");
  CHECK(top.empty());
  const fs::path tmp = server.root().path() / ".s3cors" / "tmp";
  CHECK(entries_below(tmp).empty());
  CHECK_FALSE(fs::exists(server.root().path() / ".s3cors" / "buckets" / "media" / "cors.xml"));
  const auto get = send_request(server.port(), "GET", "/media/a.txt");
  CHECK(get.status == 200);
  CHECK(get.body == "AAA");
}

std::string request_with_body(std::string_view head_line, std::string_view body,
                              std::string_view extra_headers = {}) {
  return std::string(head_line) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra_headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string create_upload(const server_fixture& server, const std::string& key) {
  const auto created = send_request(server.port(), "POST", "/media/" + key + "?uploads");
  REQUIRE(created.status == 200);
  const auto begin = created.body.find("<UploadId>");
  const auto end = created.body.find("</UploadId>");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  return created.body.substr(begin + 10, end - begin - 10);
}

std::string nested(std::string_view root, std::size_t depth, bool closed) {
  std::string out = "<" + std::string(root) + ">";
  out.reserve(depth * 7 + 32);
  for (std::size_t i = 0; i < depth; ++i) out += "<a>";
  if (closed) {
    for (std::size_t i = 0; i < depth; ++i) out += "</a>";
    out += "</" + std::string(root) + ">";
  }
  return out;
}

bool is_error(std::string_view answer, std::string_view status_line, std::string_view code) {
  return answer.starts_with(status_line) &&
         answer.find("<Code>" + std::string(code) + "</Code>") != std::string_view::npos;
}

}  // namespace

TEST_CASE("bad input: malformed XML documents get 400 MalformedXML and change nothing",
          "[integration][bad_input]") {
  server_fixture server;
  seed(server);
  const std::string upload_id = create_upload(server, "multi.bin");
  REQUIRE(
      send_request(server.port(), "PUT", "/media/multi.bin?partNumber=1&uploadId=" + upload_id, {}, "part")
          .status == 200);

  struct target {
    const char* method;
    std::string path;
    const char* root;
    std::size_t deep;  // nesting levels that still fit the operation's size limit
  };
  const target targets[] = {
      {"POST", "/media?delete", "Delete", 100'000},
      {"POST", "/media/multi.bin?uploadId=" + upload_id, "CompleteMultipartUpload", 100'000},
      {"PUT", "/media?cors", "CORSConfiguration", 8'000},  // S3 takes at most 64 KiB here
  };
  for (const auto& t : targets) {
    const std::string documents[] = {
        "this is not XML at all",
        "{\"Objects\": [{\"Key\": \"a.txt\"}]}",
        "<?xml version=\"1.0\"?>",
        "<WrongRoot><Object><Key>a.txt</Key></Object></WrongRoot>",
        "<" + std::string(t.root) + "><Object><Key>a.txt</Key></Object>",  // truncated
        "<" + std::string(t.root) + "><Object><Key>a.txt",
        "<" + std::string(t.root) + "></Wrong>",
        std::string("\xff\xfe<\x00\x01", 5),
        nested(t.root, t.deep, true),
        nested(t.root, t.deep, false),
    };
    for (const auto& document : documents) {
      CAPTURE(t.method, t.path, document.substr(0, 80));
      const auto res = send_request(server.port(), t.method, t.path, {}, document);
      CHECK(res.status == 400);
      CHECK_THAT(res.body, Catch::Contains("<Code>MalformedXML</Code>"));
      CHECK(res.header("Content-Type") == "application/xml");
    }
  }
  // A refused document leaves the connection usable: the next request on it is answered.
  const std::string bad = request_with_body("POST /media?delete", "<Delete><Object>");
  const auto pipelined = raw_exchange(
      server.port(), bad + "GET /media/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000ms);
  CHECK(is_error(pipelined.received, "HTTP/1.1 400", "MalformedXML"));
  CHECK_THAT(pipelined.received, Catch::Contains("HTTP/1.1 200 OK") && Catch::EndsWith("AAA"));

  // The upload is still there, with its part, and no object was made of it.
  const auto parts = send_request(server.port(), "GET", "/media/multi.bin?uploadId=" + upload_id);
  CHECK(parts.status == 200);
  CHECK_THAT(parts.body, Catch::Contains("<PartNumber>1</PartNumber>"));
  CHECK(send_request(server.port(), "GET", "/media/multi.bin").status == 404);
  check_intact(server);
}

TEST_CASE("bad input: a body over the limit gets 400 EntityTooLarge, the connection closed, nothing stored",
          "[integration][bad_input]") {
  s3cors::s3::service_options limits;
  limits.max_object_size = 1024;
  limits.max_document_size = 1024;
  server_fixture server(server_fixture::quiet_options(), limits);
  seed(server);
  const std::string upload_id = create_upload(server, "multi.bin");
  const std::string big(3000, 'x');
  const std::pair<std::string, std::string> requests[] = {
      // Content-Length over the limit: refused as soon as the header is read.
      {request_with_body("PUT /media/new.bin", big), "EntityTooLarge"},
      {request_with_body("PUT /media/a.txt", big), "EntityTooLarge"},
      {request_with_body("PUT /media/dir/sub/new.bin", big), "EntityTooLarge"},
      {request_with_body("PUT /media/multi.bin?partNumber=1&uploadId=" + upload_id, big), "EntityTooLarge"},
      // Documents are held in memory, with S3's error for a request too big.
      {request_with_body("POST /media?delete", "<Delete>" + big + "</Delete>"), "MaxMessageLengthExceeded"},
      {request_with_body("PUT /media?cors", "<CORSConfiguration>" + big + "</CORSConfiguration>"),
       "MaxMessageLengthExceeded"},
      // No Content-Length: the limit is met while the chunks arrive.
      {"PUT /media/chunked.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" +
           std::string(1024, 'y') + "\r\n400\r\n" + std::string(1024, 'y') + "\r\n0\r\n\r\n",
       "EntityTooLarge"},
  };
  for (const auto& [bytes, code] : requests) {
    CAPTURE(bytes.substr(0, bytes.find("\r\n")));
    const auto answer = raw_exchange(server.port(), bytes, 5000ms);
    CHECK(is_error(answer.received, "HTTP/1.1 400", code));
    CHECK_THAT(answer.received, Catch::Contains("Connection: close\r\n"));
    CHECK(answer.closed_by_server);
  }
  const auto parts = send_request(server.port(), "GET", "/media/multi.bin?uploadId=" + upload_id);
  CHECK(parts.status == 200);
  CHECK_THAT(parts.body, !Catch::Contains("<Part>"));
  CHECK(send_request(server.port(), "GET", "/media/new.bin").status == 404);
  check_intact(server);
}

TEST_CASE("bad input: a body shorter than Content-Length, then end of stream, gets 400 IncompleteBody",
          "[integration][bad_input]") {
  server_fixture server;
  seed(server);
  const std::string upload_id = create_upload(server, "multi.bin");
  const std::string requests[] = {
      "PUT /media/new.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
      "PUT /media/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nreplaced",
      "PUT /media/dir/sub/new.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
      "PUT /media/new.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n01234",
      "PUT /media/multi.bin?partNumber=1&uploadId=" + upload_id +
          " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
      // Half a DeleteObjects document must not delete what it names so far.
      "POST /media?delete HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n"
      "<Delete><Object><Key>a.txt</Key></Object><Object><Key>dir/b.ts</Key></Object></Delete>",
      "PUT /media?cors HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n<CORSConfiguration><CORSRule>",
      // Transfer-Encoding: chunked, cut inside a chunk and between chunks.
      "PUT /media/new.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01234",
      "PUT /media/new.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n",
      // aws-chunked inside a short Content-Length body.
      "PUT /media/new.bin HTTP/1.1\r\nHost: x\r\nContent-Encoding: aws-chunked\r\n"
      "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-decoded-content-length: 11\r\n"
      "Content-Length: 60\r\n\r\n6\r\nhello \r\n5\r\nwor",
  };
  for (const auto& bytes : requests) {
    CAPTURE(bytes);
    auto answer = send_then_half_close(server.port(), bytes);
    // Expect: 100-continue is answered first; the error follows.
    constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
    if (answer.received.starts_with(interim)) answer.received.erase(0, interim.size());
    CHECK(is_error(answer.received, "HTTP/1.1 400", "IncompleteBody"));
    CHECK_THAT(
        answer.received,
        Catch::Contains("<Message>You did not provide the number of bytes specified by the Content-Length "
                        "HTTP header</Message>"));
    CHECK_THAT(answer.received, Catch::Contains("Content-Type: application/xml\r\n"));
    CHECK_THAT(answer.received, Catch::Contains("x-amz-request-id: "));
    CHECK_THAT(answer.received, Catch::Contains("Connection: close\r\n"));
    CHECK(answer.closed_by_server);
  }
  const auto parts = send_request(server.port(), "GET", "/media/multi.bin?uploadId=" + upload_id);
  CHECK(parts.status == 200);
  CHECK_THAT(parts.body, !Catch::Contains("<Part>"));
  CHECK(send_request(server.port(), "GET", "/media/dir/b.ts").body == "BBB");
  check_intact(server);
}

TEST_CASE("bad input: truncated aws-chunked bodies get 400 IncompleteBody and store nothing",
          "[integration][bad_input]") {
  server_fixture server;
  seed(server);
  const std::string head =
      "HTTP/1.1\r\nHost: x\r\nContent-Encoding: aws-chunked\r\n"
      "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n";
  const std::string bodies[] = {
      "6\r\nhello \r\n5\r\nwor",                 // cut inside a chunk
      "6\r\nhello \r\n",                         // no final chunk
      "6\r\nhello \r\n0\r\n\r\n",                // ends early: 6 bytes of the 11 announced
      "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",  // complete: the control case, below
  };
  for (const auto& body : bodies) {
    CAPTURE(body);
    for (const std::string key : {"new.bin", "a.txt"}) {
      const auto answer = raw_exchange(server.port(),
                                       "PUT /media/" + key + " " + head +
                                           "x-amz-decoded-content-length: 11\r\nConnection: close\r\n"
                                           "Content-Length: " +
                                           std::to_string(body.size()) + "\r\n\r\n" + body,
                                       5000ms);
      if (body.ends_with("world\r\n0\r\n\r\n")) {
        CHECK_THAT(answer.received, Catch::StartsWith("HTTP/1.1 200 OK"));
        CHECK(send_request(server.port(), "GET", "/media/" + key).body == "hello world");
        CHECK(send_request(server.port(), "DELETE", "/media/" + key).status == 204);
        server.write("media/a.txt", "AAA");
      } else {
        CHECK(is_error(answer.received, "HTTP/1.1 400", "IncompleteBody"));
      }
    }
  }
  CHECK(send_request(server.port(), "GET", "/media/new.bin").status == 404);
  check_intact(server);
}

TEST_CASE("bad input: a body that stops arriving is cut off by the body timeout, nothing stored",
          "[integration][bad_input]") {
  auto options = server_fixture::quiet_options();
  options.body_timeout = 300ms;
  server_fixture server(options);
  seed(server);
  const auto started = std::chrono::steady_clock::now();
  const auto answer = raw_exchange(
      server.port(), "PUT /media/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789", 4000ms);
  CHECK(answer.closed_by_server);
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK_THAT(answer.received, !Catch::Contains("200 OK"));
  check_intact(server);
}

TEST_CASE("bad input: sub-resources s3cors does not serve get 501 NotImplemented, never a wrong 200",
          "[integration][bad_input]") {
  server_fixture server;
  seed(server);
  struct probe {
    const char* method;
    const char* target;
    const char* body;
  };
  const probe probes[] = {
      {"GET", "/media?lifecycle", ""},
      {"PUT", "/media?lifecycle", "<LifecycleConfiguration/>"},
      {"DELETE", "/media?lifecycle", ""},
      {"PUT", "/media?versioning",
       "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"},
      {"GET", "/media?analytics", ""},
      {"PUT", "/media?website", "<WebsiteConfiguration/>"},
      {"GET", "/media/a.txt?retention", ""},
      {"GET", "/media/a.txt?torrent", ""},
      {"GET", "/media?replication", ""},
      {"PUT", "/media?encryption", "<ServerSideEncryptionConfiguration/>"},
      {"GET", "/media/a.txt?versionId=3HL4kqtJlcpXroDTDmJ", ""},
      {"POST", "/media/a.txt?restore", "<RestoreRequest/>"},
  };
  for (const auto& p : probes) {
    CAPTURE(p.method, p.target);
    const auto res = send_request(server.port(), p.method, p.target, {}, p.body);
    CHECK(res.status == 501);
    CHECK_THAT(res.body, Catch::Contains("<Code>NotImplemented</Code>"));
  }
  const auto head = send_request(server.port(), "HEAD", "/media?lifecycle");
  CHECK(head.status == 501);
  CHECK(head.body.empty());
  // The bucket and its objects survived the DELETEs; nothing was written by the PUTs.
  CHECK(send_request(server.port(), "HEAD", "/media").status == 200);
  check_intact(server);
}

TEST_CASE("bad input: an unknown method gets 405 MethodNotAllowed", "[integration][bad_input]") {
  server_fixture server;
  seed(server);
  struct probe {
    const char* method;
    const char* target;
    const char* resource_type;
  };
  const probe probes[] = {
      {"PROPFIND", "/media/a.txt", "OBJECT"}, {"PATCH", "/media/a.txt", "OBJECT"},
      {"BREW", "/media", "BUCKET"},           {"TRACE", "/media/dir/b.ts", "OBJECT"},
      {"MKCOL", "/media/newdir", "OBJECT"},   {"SEARCH", "/", "SERVICE"},
  };
  for (const auto& p : probes) {
    CAPTURE(p.method, p.target);
    const auto answer = raw_exchange(
        server.port(),
        request_with_body(std::string(p.method) + " " + p.target, "payload", "Connection: close\r\n"),
        5000ms);
    CHECK(is_error(answer.received, "HTTP/1.1 405", "MethodNotAllowed"));
    CHECK_THAT(answer.received, Catch::Contains("<Method>" + std::string(p.method) + "</Method>"));
    CHECK_THAT(answer.received,
               Catch::Contains("<ResourceType>" + std::string(p.resource_type) + "</ResourceType>"));
  }
  // A 405 keeps the connection: the next pipelined request is answered.
  const auto pipelined = raw_exchange(server.port(),
                                      "PROPFIND /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                                      "GET /media/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                      5000ms);
  CHECK(is_error(pipelined.received, "HTTP/1.1 405", "MethodNotAllowed"));
  CHECK_THAT(pipelined.received, Catch::EndsWith("AAA"));
  // A method that is not even an HTTP token is a malformed request.
  CHECK_THAT(raw_exchange(server.port(), "G(E)T /media/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 5000ms).received,
             Catch::StartsWith("HTTP/1.1 400"));
  CHECK_FALSE(fs::exists(server.root().path() / "media/newdir"));
  check_intact(server);
}

// A DELETE naming a version used to be routed as a plain DeleteObject and removed the current
// object (204), where GET with the same versionId got 501.
TEST_CASE("bad input: DELETE of an object version is not served as a DeleteObject",
          "[integration][bad_input]") {
  server_fixture server;
  seed(server);
  const auto res = send_request(server.port(), "DELETE", "/media/a.txt?versionId=3HL4kqtJlcpXroDTDmJ");
  CHECK(res.status == 501);
  CHECK_THAT(res.body, Catch::Contains("<Code>NotImplemented</Code>"));
  check_intact(server);
}
