#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace s3cors::test {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto client_timeout = std::chrono::seconds(5);

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> http_response::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (iequal(field, name)) return value;
  }
  return std::nullopt;
}

http_response send_request(std::uint16_t port, std::string_view method, std::string_view target,
                           const header_fields& headers, std::string_view body) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code result_ec;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "PUT" || method == "POST") {
    req.body() = std::string(body);
    req.prepare_payload();
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 32);
  parser.skip(method == "HEAD");

  stream.expires_after(client_timeout);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    if (ec) {
      result_ec = ec;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code wec, std::size_t) {
      if (wec) {
        result_ec = wec;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) { result_ec = rec; });
    });
  });
  ioc.run_for(client_timeout + std::chrono::seconds(1));
  if (result_ec) throw std::runtime_error("http request failed: " + result_ec.message());
  if (!parser.is_done()) throw std::runtime_error("http request timed out");

  auto res = parser.release();
  http_response out;
  out.status = res.result_int();
  for (const auto& field : res)
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  return out;
}

raw_result raw_exchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout,
                        bool half_close) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes.data(), bytes.size()));
  if (half_close) socket.shutdown(tcp::socket::shutdown_send);
  raw_result out;
  std::array<char, 65536> chunk{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](beast::error_code ec, std::size_t n) {
      out.received.append(chunk.data(), n);
      if (ec) {
        out.closed_by_server = true;
        return;
      }
      read_more();
    });
  };
  read_more();
  ioc.run_for(timeout);
  return out;
}

std::string raw_request(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout) {
  return raw_exchange(port, bytes, timeout).received;
}

}  // namespace s3cors::test
