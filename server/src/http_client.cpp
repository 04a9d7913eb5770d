#include "s3cors/net/http_client.hpp"

#include "beast.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

namespace s3cors::net {
namespace {

using header_span = std::span<const std::pair<std::string, std::string>>;

/// Starts one asynchronous operation (`start(handler)`) and runs the io_context until it is
/// done: blocking code over Beast's async operations, so that tcp_stream's deadline applies to
/// connect, handshake, write and read alike (Asio's blocking calls have no timeout).
template <class Start>
beast::error_code run_one(asio::io_context& io, Start&& start) {
  beast::error_code result = asio::error::would_block;
  std::forward<Start>(start)([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

/// OpenSSL's reason for an error code of the SSL category ("certificate verify failed"), else
/// the code's message.
std::string reason(const beast::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* text = ::ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (text != nullptr) return text;
  }
  return ec.message();
}

/// Writes the request and reads the answer on an established (plain or TLS) stream.
template <class Stream>
result<client_response, std::string> request_response(asio::io_context& io, Stream& stream,
                                                      const doctor::http_url& url, std::string_view method,
                                                      header_span headers, std::size_t body_limit,
                                                      std::chrono::milliseconds timeout) {
  http::request<http::empty_body> req;
  req.method_string(method);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, url.authority);
  req.set(http::field::user_agent, "s3cors-doctor");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) req.insert(name, value);
  auto timed_out = [&] { return fmt::format("{}: timed out after {} ms", url.authority, timeout.count()); };
  if (const auto ec = run_one(io, [&](auto handler) { http::async_write(stream, req, handler); })) {
    if (ec == beast::error::timeout) return timed_out();
    return fmt::format("{}: sending the request: {}", url.authority, reason(ec));
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  // Only the head is read when no body is wanted; Beast checks Content-Length against the limit
  // as soon as the head is parsed, so the limit is lifted then.
  parser.body_limit(body_limit == 0 ? std::numeric_limits<std::uint64_t>::max() : body_limit);
  parser.skip(method == "HEAD");
  const auto ec = run_one(io, [&](auto handler) {
    if (body_limit == 0) {
      http::async_read_header(stream, buffer, parser, handler);
    } else {
      http::async_read(stream, buffer, parser, handler);
    }
  });
  if (ec == beast::error::timeout) return timed_out();
  if (ec == http::error::body_limit)
    return fmt::format("{}: the body is larger than {} bytes", url.authority, body_limit);
  // A TLS peer that closes without close_notify after the whole body is fine for a response
  // framed by Content-Length or by the close itself (Connection: close).
  if (ec && !(ec == asio::ssl::error::stream_truncated && parser.is_done())) {
    return fmt::format("{}: no HTTP answer: {}", url.authority, reason(ec));
  }
  client_response out;
  const auto& res = parser.get();
  out.status = res.result_int();
  out.status_line = fmt::format("HTTP/{}.{} {} {}", res.version() / 10, res.version() % 10, res.result_int(),
                                std::string_view(res.reason()));
  for (const auto& field : res) out.headers.emplace_back(field.name_string(), field.value());
  if (body_limit > 0) out.body = res.body();
  return out;
}

}  // namespace

struct http_client::impl {
  client_options options;
  asio::ssl::context tls{asio::ssl::context::tls_client};
};

http_client::http_client(const client_options& options) : impl_(std::make_unique<impl>()) {
  impl_->options = options;
  beast::error_code ec;
  // The system store, or SSL_CERT_FILE / SSL_CERT_DIR when set (OpenSSL's own rule). A missing
  // store is not an error here: verification then fails with OpenSSL's reason.
  impl_->tls.set_default_verify_paths(ec);
  if (!options.ca_file.empty()) {
    impl_->tls.load_verify_file(options.ca_file, ec);
    if (ec) throw std::runtime_error(fmt::format("--ca-file {}: {}", options.ca_file, reason(ec)));
  }
  impl_->tls.set_verify_mode(options.verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
}

http_client::~http_client() = default;

result<client_response, std::string> http_client::exchange(const doctor::http_url& url,
                                                           std::string_view method, header_span headers,
                                                           std::size_t body_limit) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return fmt::format("cannot resolve {}: {}", url.host, ec.message());
  const auto timeout = impl_->options.timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;

  auto connect = [&](beast::tcp_stream& tcp) -> std::optional<std::string> {
    tcp.expires_at(deadline);
    const auto failed = run_one(io, [&](auto handler) { tcp.async_connect(endpoints, handler); });
    if (!failed) return std::nullopt;
    if (failed == beast::error::timeout) return fmt::format("connect to {}: timed out", url.authority);
    return fmt::format("connect to {}: {}", url.authority, failed.message());
  };

  if (!url.tls) {
    beast::tcp_stream stream(io);
    if (auto failed = connect(stream)) return *failed;
    return request_response(io, stream, url, method, headers, body_limit, timeout);
  }

  beast::ssl_stream<beast::tcp_stream> stream(io, impl_->tls);
  if (auto failed = connect(beast::get_lowest_layer(stream))) return *failed;
  SSL* ssl = stream.native_handle();
  // SNI (SSL_set_tlsext_host_name, whose macro casts old-style) names a host, never an
  // address (RFC 6066 §3); the certificate is checked against the
  // name (wildcards on one whole label only, as browsers do) or against the address.
  if (!url.ip_literal && ::SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                    const_cast<char*>(url.host.c_str())) != 1)
    return fmt::format("{}: cannot set SNI", url.host);
  if (impl_->options.verify) {
    if (url.ip_literal) {
      ::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(ssl), url.host.c_str());
    } else {
      ::SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ::SSL_set1_host(ssl, url.host.c_str());
    }
  }
  const auto handshake =
      run_one(io, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, handler); });
  if (handshake) {
    const long verified = ::SSL_get_verify_result(ssl);
    if (impl_->options.verify && verified != X509_V_OK) {
      return fmt::format("TLS certificate verification failed for {}: {}", url.host,
                         ::X509_verify_cert_error_string(verified));
    }
    if (handshake == beast::error::timeout)
      return fmt::format("TLS handshake with {}: timed out", url.authority);
    return fmt::format("TLS handshake with {} failed: {}", url.authority, reason(handshake));
  }
  return request_response(io, stream, url, method, headers, body_limit, timeout);
}

}  // namespace s3cors::net
