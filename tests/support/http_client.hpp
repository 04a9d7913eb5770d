#pragma once
// Test clients: a small HTTP/1.1 client, and raw_request for bytes a library would refuse
// to send. Every operation gives up after a bounded timeout.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::test {

using header_fields = std::vector<std::pair<std::string, std::string>>;

struct http_response {
  unsigned status = 0;
  header_fields headers;
  std::string body;
  /// First value of a header (case-insensitive), or nullopt.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

/// Sends one request on a fresh connection and reads the response (5 s timeout).
/// For HEAD requests pass method "HEAD": the body is then not read.
http_response send_request(std::uint16_t port, std::string_view method, std::string_view target,
                           const header_fields& headers = {}, std::string_view body = {});

/// Writes bytes as-is and returns everything received until the server closes the
/// connection or timeout passes.
std::string raw_request(std::uint16_t port, std::string_view bytes,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// As raw_request, and also reports whether the server closed the connection in time. With
/// half_close, the client ends its stream (shutdown of sending) after the bytes.
struct raw_result {
  std::string received;
  bool closed_by_server = false;
};
raw_result raw_exchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout,
                        bool half_close = false);

}  // namespace s3cors::test
