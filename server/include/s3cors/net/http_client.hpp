#pragma once
// The HTTP(S) client of `s3cors doctor` (docs/doctor.md): one blocking request per call over
// http or https. A host name is resolved (getaddrinfo, blocking: a CLI command); https sends SNI
// and verifies the certificate chain and the host name against the system store, as curl does
// (SSL_CERT_FILE / SSL_CERT_DIR honoured as OpenSSL does), plus an optional CA file. The only
// code that links libssl; the healthcheck keeps its own tiny client (app/healthcheck.hpp).
#include "s3cors/doctor/url.hpp"
#include "s3cors/result.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::net {

struct client_options {
  std::chrono::milliseconds timeout{5000};  ///< per request: connect, handshake, request and answer
  bool verify = true;                       ///< false (--insecure): any certificate is accepted
  std::string ca_file;                      ///< PEM trusted in addition to the system store ("" none)
};

/// An HTTP answer: status code, status line, the header fields as received and (when asked
/// for) the body.
struct client_response {
  unsigned status = 0;
  std::string status_line;  ///< "HTTP/1.1 206 Partial Content"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class http_client {
 public:
  /// Loads the system trust store and `ca_file`; throws std::runtime_error naming the file and
  /// OpenSSL's reason when `ca_file` cannot be loaded.
  explicit http_client(const client_options& options);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `method url` (HTTP/1.1, Host from the URL, Connection: close) with `headers` and reads
  /// the answer's head, and its body when `body_limit` > 0 (up to that many bytes; more is an
  /// error). The error is one line: "cannot resolve HOST: why", "connect to HOST:PORT: why",
  /// "TLS certificate verification failed for HOST: OpenSSL's reason", "timed out after Ns", ...
  [[nodiscard]] result<client_response, std::string> exchange(
      const doctor::http_url& url, std::string_view method,
      std::span<const std::pair<std::string, std::string>> headers, std::size_t body_limit = 0);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace s3cors::net
