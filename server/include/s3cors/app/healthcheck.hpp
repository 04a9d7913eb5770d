#pragma once
// `s3cors healthcheck`: a tiny blocking HTTP/1.1 client, so that a container's HEALTHCHECK
// needs nothing but the s3cors binary. GET URL (default: the health endpoint on
// S3CORS_LISTEN's port, via loopback); exit 0 on 200 and 1 otherwise, with one line saying why.
#include "s3cors/app/settings.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/route.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::app {

/// What the probe fetches.
struct probe_target {
  std::string host;  ///< an IP literal, without brackets
  std::uint16_t port = 9000;
  std::string path = std::string(s3::health_path);
  friend bool operator==(const probe_target&, const probe_target&) = default;
};

/// http://HOST[:PORT][/PATH] (the scheme may be left out; PORT defaults to 80, PATH to the
/// health endpoint). HOST is an IP address (IPv6 in brackets) or localhost (127.0.0.1). Fails
/// on another scheme, a bad bracketed address or a port outside 1..65535.
[[nodiscard]] result<probe_target, usage_error> parse_probe_url(std::string_view url);

/// The health endpoint of the server S3CORS_LISTEN describes (default 127.0.0.1:9000); a
/// wildcard address (0.0.0.0, ::) is probed through loopback. Fails when S3CORS_LISTEN is
/// not HOST:PORT or names port 0.
[[nodiscard]] result<probe_target, usage_error> default_probe_target(const env_lookup& environment);

/// An HTTP answer: the status line's code, the status line, the header fields (as received, in
/// order) and the body.
struct http_reply {
  unsigned status = 0;
  std::string status_line;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Sends one request (Connection: close) to the target's host, port and path and reads the
/// answer until the server closes or Content-Length is reached. The error is one short reason
/// ("connect timed out", "no answer in time", "not an HTTP response", an errno message).
/// `headers` are added to the request; a Host among them
/// replaces the one derived from the target's address.
[[nodiscard]] result<http_reply, std::string> http_exchange(
    const probe_target& target, std::string_view method, std::string_view body,
    std::chrono::milliseconds timeout, std::span<const std::pair<std::string, std::string>> headers = {});

/// Fetches the target; prints "healthy: ..." or "unhealthy: URL: why" on stdout. Returns the
/// exit code: 0 when the answer is 200 within timeout, 1 otherwise.
[[nodiscard]] int probe(const probe_target& target, std::chrono::milliseconds timeout);

/// `s3cors healthcheck [--timeout SECONDS] [URL]` with the arguments after "healthcheck".
/// Returns the exit code (--help prints the usage and returns 0); fails on a bad argument.
[[nodiscard]] result<int, usage_error> run_healthcheck(std::span<const std::string_view> args,
                                                       const env_lookup& environment);

}  // namespace s3cors::app
