#include "s3cors/doctor/url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace s3cors::doctor {
namespace {

char lower(char c) noexcept {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char p, char t) { return p == lower(t); });
}

/// Dotted-quad IPv4: four decimal parts 0..255.
bool is_ipv4(std::string_view host) noexcept {
  int parts = 0;
  while (true) {
    std::size_t digits = 0;
    unsigned value = 0;
    while (digits < host.size() && host[digits] >= '0' && host[digits] <= '9') {
      value = value * 10 + static_cast<unsigned>(host[digits] - '0');
      if (++digits > 3) return false;
    }
    if (digits == 0 || value > 255) return false;
    ++parts;
    host.remove_prefix(digits);
    if (host.empty()) return parts == 4;
    if (host.front() != '.' || parts == 4) return false;
    host.remove_prefix(1);
  }
}

/// The characters of an IPv6 literal (hex digits, colons, an embedded IPv4's dots), at least
/// two colons. Full validation is left to the resolver, which rejects what is not an address.
bool is_ipv6(std::string_view host) noexcept {
  return std::count(host.begin(), host.end(), ':') >= 2 && std::all_of(host.begin(), host.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
         });
}

/// A DNS name as URLs carry it (RFC 3986 reg-name without percent-encoding): letters, digits,
/// '-', '_' and dots, no empty label.
bool is_host_name(std::string_view host) noexcept {
  if (host.empty() || host.front() == '.' || host.find("..") != std::string_view::npos) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

result<http_url, std::string> parse_http_url(std::string_view url) {
  http_url out;
  std::string_view rest;
  if (starts_with_ignoring_case(url, "https://")) {
    out.tls = true;
    out.port = 443;
    rest = url.substr(8);
  } else if (starts_with_ignoring_case(url, "http://")) {
    rest = url.substr(7);
  } else {
    return fmt::format("only http:// and https:// URLs: {}", url);
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  rest.remove_prefix(authority.size());
  if (authority.find('@') != std::string_view::npos)
    return fmt::format("user information in the URL is not supported: {}", url);
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fmt::format("unclosed IPv6 address in {}", url);
    host = authority.substr(1, close - 1);
    if (!is_ipv6(host)) return fmt::format("bad IPv6 address [{}] in {}", host, url);
    out.ip_literal = true;
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fmt::format("bad authority '{}' in {}", authority, url);
      port = authority.substr(close + 2);
      has_port = true;
    }
  } else {
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return fmt::format("no host in {}", url);
    out.ip_literal = is_ipv4(host);
    if (!out.ip_literal && !is_host_name(host)) return fmt::format("bad host '{}' in {}", host, url);
  }
  // RFC 3986 §3.2.3: an empty port ("host:") is the scheme's default.
  if (has_port && !port.empty()) {
    unsigned value = 0;
    const bool digits = port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      for (const char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (!digits || value == 0 || value > 65535) return fmt::format("bad port '{}' in {}", port, url);
    out.port = static_cast<std::uint16_t>(value);
  }
  out.host.reserve(host.size());
  for (const char c : host) out.host += lower(c);
  const bool default_port = out.port == (out.tls ? 443 : 80);
  out.authority = host.find(':') != std::string_view::npos ? fmt::format("[{}]", out.host) : out.host;
  if (!default_port) out.authority += fmt::format(":{}", out.port);
  out.target = std::string(rest.substr(0, rest.find('#')));
  if (out.target.empty() || out.target.front() != '/') out.target.insert(0, "/");
  return out;
}

}  // namespace s3cors::doctor
