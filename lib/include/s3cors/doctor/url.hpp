#pragma once
// The URLs `s3cors doctor` fetches (docs/doctor.md): http:// and https://, a host name, an IPv4
// address or a bracketed IPv6 address, an optional port. Pure: the transport resolves and
// connects.
#include "s3cors/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace s3cors::doctor {

/// Where a request for an http(s) URL goes and what it says.
struct http_url {
  bool tls = false;         ///< https
  std::string host;         ///< a name (lowercase) or an IP address, without brackets
  std::uint16_t port = 80;  ///< the URL's port, else 80 (http) or 443 (https)
  std::string target;       ///< path and query (the request target), "/" at least; no fragment
  std::string authority;    ///< the Host header: host ([v6] bracketed), ":port" unless the default
  bool ip_literal = false;  ///< host is an IPv4 or IPv6 address (no SNI; the certificate names an IP)

  friend bool operator==(const http_url&, const http_url&) = default;
};

/// Parses `http[s]://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]` (scheme and host case-insensitive).
/// Fails with a one-line reason on another scheme, user information ("user@"), an empty or
/// malformed host, an unclosed or invalid IPv6 literal, or a port outside 1..65535.
[[nodiscard]] result<http_url, std::string> parse_http_url(std::string_view url);

}  // namespace s3cors::doctor
