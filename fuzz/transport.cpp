// libFuzzer target for the HTTP transport over the raw bytes of a connection: request line,
// header fields, Content-Length and Transfer-Encoding framing, chunked bodies, Expect and
// pipelined requests. One real http_server runs in-process on 127.0.0.1 (port 0) over a
// temporary data root with a public-read-write bucket that has a CORS configuration. Each
// input is the byte stream a client sends on one connection: it is written whole, the client
// half-closes, and everything the server sends back until it closes is checked:
//   - the server answers or closes within a few seconds of the half-close (no hang);
//   - what comes back is a sequence of complete HTTP/1.x responses: status line, header
//     fields whose names are tokens and whose values hold no control byte but HTAB, exactly
//     one Content-Length (but for 1xx/204/304), no Transfer-Encoding, a body of that length
//     (none for HEAD), and nothing after a response that closes the connection;
//   - no more final responses than requests the input holds;
//   - the server still accepts connections (the next input's connect).
// A violation aborts with "fuzz_transport: ..." on stderr.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/net/service_handler.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace http = boost::beast::http;
namespace net = s3cors::net;

constexpr std::size_t header_limit = 8 * 1024;
constexpr int answer_seconds = 3;  ///< the longest wait for the server after the half-close

[[noreturn]] void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz_transport: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

constexpr std::string_view cors_rules = R"(<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>https://*.example.com</AllowedOrigin>
    <AllowedOrigin>http://localhost:8080</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>x-amz-meta-note</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>)";

/// A file of the data root that inputs may overwrite or delete, put back after each input.
struct seed_file {
  std::string path;  ///< relative to the data root
  std::string content;
  struct stat written {};
};

/// The server and its data root, for the life of the process.
class harness {
 public:
  harness() {
    root_.make_dir("media");
    root_.make_dir("private");
    seeds_.push_back(seed_file{"media/index.html", "<!doctype html><title>s3cors</title>\n", {}});
    seeds_.push_back(seed_file{"media/a.txt", "hello, world\n", {}});
    seeds_.push_back(seed_file{"media/dir/b.json", R"({"k":"v"})", {}});
    // Above the transport's small-body limit (16 KiB): sent with sendfile().
    seeds_.push_back(seed_file{"media/big.bin", std::string(20000, 'x'), {}});
    seeds_.push_back(seed_file{"private/secret.txt", "private\n", {}});
    for (auto& seed : seeds_) reseed(seed);

    // OpenSSL initialises itself on first use. On a worker thread, which stop() ends, the
    // error state it sets up there stays allocated (LeakSanitizer reports 904 bytes at exit);
    // initialised here, on the main thread, nothing is left.
    (void)s3cors::store::md5_hex("");
    net::set_log_level(net::log_level::error);
    s3cors::store::fs_store_options store_options{root_.path(), false};
    store_options.durable_writes = false;  // throw-away data: no fsync per fuzzed PUT
    store_ = std::make_unique<s3cors::store::fs_store>(store_options);
    auto parsed = s3cors::cors::parse_any(cors_rules);
    if (!parsed) fail("the CORS document does not parse");
    std::map<std::string, s3cors::cors::config_ptr, std::less<>> configs{
        {"media", std::make_shared<const s3cors::cors::cors_configuration>(std::move(*parsed))}};
    cors_.set_file_configs(std::move(configs), nullptr);

    s3cors::s3::service_options service;
    service.routing.domain = "example.com";
    // With a key pair configured, anonymous requests obey the ACLs: they may read and write
    // objects of media (public-read-write) but not delete buckets or change their CORS, so
    // every input meets the same buckets. Signatures never verify (nobody knows the secret).
    service.credentials = s3cors::auth::credential_set({{"AKIDFUZZ", "fuzz-secret-key-not-used-anywhere"}});
    service.cors_debug_header = true;
    service_ = std::make_unique<s3cors::s3::service>(*store_, cors_, std::move(service));
    service_->acls().set_file_acls({{"media", "public-read-write"}});

    net::server_options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.workers = 2;
    options.header_limit = header_limit;
    options.idle_timeout = std::chrono::milliseconds(1000);
    options.header_timeout = std::chrono::milliseconds(1000);
    options.body_timeout = std::chrono::milliseconds(1000);
    options.write_timeout = std::chrono::milliseconds(1000);
    options.shutdown_grace = std::chrono::milliseconds(1000);
    options.level = net::log_level::error;
    server_ = std::make_unique<net::http_server>(options, net::service_handler(*service_));
    port_ = server_->start();
  }

  ~harness() {
    if (server_) server_->stop();
  }
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Puts back the seed files an input replaced or deleted.
  void restore() {
    for (auto& seed : seeds_) {
      struct stat now {};
      const std::string full = (root_.path() / seed.path).string();
      if (::stat(full.c_str(), &now) != 0 || now.st_ino != seed.written.st_ino ||
          now.st_size != seed.written.st_size || now.st_mtim.tv_sec != seed.written.st_mtim.tv_sec ||
          now.st_mtim.tv_nsec != seed.written.st_mtim.tv_nsec) {
        reseed(seed);
      }
    }
  }

 private:
  void reseed(seed_file& seed) {
    const auto full = root_.write(seed.path, seed.content);
    if (::stat(full.c_str(), &seed.written) != 0) fail("cannot stat a seed file");
  }

  s3cors::test::temp_dir root_;
  std::vector<seed_file> seeds_;
  s3cors::cors::cors_registry cors_;
  std::unique_ptr<s3cors::store::fs_store> store_;
  std::unique_ptr<s3cors::s3::service> service_;
  std::unique_ptr<net::http_server> server_;
  std::uint16_t port_ = 0;
};

harness* server = nullptr;

/// The requests of the input as the server's parser frames them (Beast's, with the same
/// header limit): whether each is a HEAD, whose answer has no body.
std::vector<bool> requests_in(std::string_view input) {
  std::vector<bool> heads;
  while (!input.empty()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(header_limit));
    parser.body_limit(boost::none);
    parser.eager(true);
    boost::beast::error_code ec;
    bool counted = false;
    while (!parser.is_done()) {
      if (input.empty()) {
        parser.put_eof(ec);
        break;
      }
      const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      input.remove_prefix(used);
      if (parser.is_header_done() && !counted) {
        heads.push_back(parser.get().method_string() == "HEAD");
        counted = true;
      }
      if (ec == http::error::need_more && used > 0) {
        ec = {};
        continue;
      }
      if (ec || used == 0) break;
    }
    if (ec || !parser.is_done()) break;
  }
  return heads;
}

bool is_tchar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Checks that reply is a sequence of complete responses to the requests heads describes.
void check_responses(std::string_view reply, const std::vector<bool>& heads) {
  std::size_t finals = 0;
  while (!reply.empty()) {
    const auto end = reply.find("\r\n\r\n");
    if (end == std::string_view::npos) fail("a response whose header does not end");
    std::string_view head = reply.substr(0, end + 2);  // each line with its CRLF
    reply.remove_prefix(end + 4);

    // Status line: HTTP/1.0 or HTTP/1.1, three digits, a reason phrase.
    const auto line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    head.remove_prefix(line_end + 2);
    if (status_line.size() < 13 ||
        (status_line.substr(0, 9) != "HTTP/1.1 " && status_line.substr(0, 9) != "HTTP/1.0 ") ||
        status_line[12] != ' ') {
      fail("a malformed status line");
    }
    const bool http10 = status_line[7] == '0';
    unsigned status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
      if (status_line[i] < '0' || status_line[i] > '9') fail("a status code that is not three digits");
      status = status * 10 + static_cast<unsigned>(status_line[i] - '0');
    }
    if (status < 100 || status > 599) fail("a status code outside 100..599");
    for (const char ch : status_line) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7F) fail("a control byte in the status line");
    }

    // Header fields: "name: value" with name a token and no control byte but HTAB.
    int content_lengths = 0;
    std::uint64_t length = 0;
    bool close = http10;
    while (!head.empty()) {
      const auto eol = head.find("\r\n");
      const std::string_view line = head.substr(0, eol);
      head.remove_prefix(eol + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) fail("a header line without a field name");
      const std::string_view name = line.substr(0, colon);
      for (const char ch : name) {
        if (!is_tchar(ch)) fail("a header field name that is not a token");
      }
      std::string_view value = line.substr(colon + 1);
      for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) fail("a control byte in a header field value");
      }
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      if (iequals(name, "Transfer-Encoding")) fail("a response with Transfer-Encoding");
      if (iequals(name, "Content-Length")) {
        ++content_lengths;
        if (value.empty() || value.size() > 18) fail("a malformed Content-Length");
        length = 0;
        for (const char ch : value) {
          if (ch < '0' || ch > '9') fail("a malformed Content-Length");
          length = length * 10 + static_cast<std::uint64_t>(ch - '0');
        }
      }
      if (iequals(name, "Connection")) {
        if (iequals(value, "close")) close = true;
        if (iequals(value, "keep-alive")) close = false;
      }
    }

    if (status < 200) {
      // Only 100 Continue, ahead of the final response; it carries no fields that matter.
      if (status != 100) fail("an interim response other than 100 Continue");
      continue;
    }
    const bool is_head = finals < heads.size() && heads[finals];
    ++finals;
    if (finals > heads.size() + 1) fail("more responses than requests");
    if (status == 204 || status == 304) {
      if (content_lengths > 1) fail("more than one Content-Length");
    } else {
      if (content_lengths != 1) fail("a response without exactly one Content-Length");
      if (!is_head) {
        if (reply.size() < length) fail("a response body shorter than its Content-Length");
        reply.remove_prefix(length);
      }
    }
    if (close && !reply.empty()) fail("bytes after a response that closes the connection");
  }
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket() failed");
  timeval timeout{answer_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  while (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EINTR) continue;
    fail(std::string("the server no longer accepts connections: ") + std::strerror(errno));
  }
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static harness instance;
  server = &instance;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const int fd = connect_to(server->port());

  // The whole input, then the half-close. The server may close before it has read all of it
  // (it answers a malformed request and closes): the rest is then not sent.
  std::size_t sent = 0;
  while (sent < input.size()) {
    const ssize_t n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      fail("the server reads nothing of the request for 3 s");
    } else {
      break;  // EPIPE, ECONNRESET: the server closed
    }
  }
  ::shutdown(fd, SHUT_WR);

  std::string reply;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      reply.append(buffer, static_cast<std::size_t>(n));
      if (reply.size() > (std::size_t{64} << 20)) fail("more than 64 MiB in answer to one connection");
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      fail("no answer and no close within 3 s of the client's half-close");
    }
    break;  // ECONNRESET: the server closed with bytes of ours unread; what came before stands
  }
  // Everything is read: an abortive close leaves no TIME_WAIT behind, which would otherwise
  // use up the ephemeral ports at thousands of connections a second.
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  ::close(fd);

  check_responses(reply, requests_in(input));
  server->restore();
  return 0;
}
