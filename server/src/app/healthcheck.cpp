#include "s3cors/app/healthcheck.hpp"

#include "s3cors/config/config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace s3cors::app {
namespace {

constexpr std::string_view healthcheck_usage = R"(Usage: s3cors healthcheck [--timeout SECONDS] [URL]
Fetches URL (default http://127.0.0.1:PORT/_s3cors/health, PORT from S3CORS_LISTEN, else 9000)
and exits 0 when it answers 200, 1 otherwise. HOST must be an IP address or localhost.
)";

// Waits for fd to be ready for events until deadline; false on timeout or error.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

result<probe_target, usage_error> default_probe_target(const env_lookup& environment) {
  probe_target out;
  out.host = "127.0.0.1";
  std::optional<std::string> listen_text = environment("S3CORS_LISTEN");
  if (!listen_text || listen_text->empty()) listen_text = "127.0.0.1:9000";
  const auto listen = config::parse_listen(*listen_text);
  if (!listen) return usage_error{"S3CORS_LISTEN is not HOST:PORT"};
  if (listen->port == 0) return usage_error{"S3CORS_LISTEN names port 0: pass the URL to probe"};
  out.port = listen->port;
  // A wildcard address is probed through loopback; any other address as it is.
  std::string host = listen->host;
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "::") {
    out.host = "::1";
  } else if (host != "0.0.0.0" && host != "localhost") {
    out.host = host;
  }
  return out;
}

result<probe_target, usage_error> parse_probe_url(std::string_view url) {
  probe_target out;
  if (url.starts_with("http://")) url.remove_prefix(7);
  if (url.find("://") != std::string_view::npos) return usage_error{"healthcheck: only http:// URLs"};
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return usage_error{"healthcheck: bad IPv6 address in URL"};
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return usage_error{"healthcheck: bad URL"};
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  out.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  if (!port.empty()) {
    const auto listen = config::parse_listen(fmt::format("x:{}", port));
    if (!listen || listen->port == 0) return usage_error{fmt::format("healthcheck: bad port '{}'", port)};
    out.port = listen->port;
  } else {
    out.port = 80;
  }
  return out;
}

result<http_reply, std::string> http_exchange(const probe_target& target, std::string_view method,
                                              std::string_view body, std::chrono::milliseconds timeout,
                                              std::span<const std::pair<std::string, std::string>> headers) {
  using failure = std::string;
  sockaddr_storage address{};
  socklen_t address_size = 0;
  if (target.host.find(':') != std::string::npos) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    if (::inet_pton(AF_INET6, target.host.c_str(), &v6->sin6_addr) != 1)
      return failure("not an IPv6 address");
    address_size = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    if (::inet_pton(AF_INET, target.host.c_str(), &v4->sin_addr) != 1) {
      return failure("the host must be an IP address or localhost");
    }
    address_size = sizeof(sockaddr_in);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failure(std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_exit{fd};

  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), address_size) != 0) {
    if (errno != EINPROGRESS) return failure(std::strerror(errno));
    if (!wait_for(fd, POLLOUT, deadline)) return failure("connect timed out");
    int error = 0;
    socklen_t size = sizeof(error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return failure(std::strerror(error));
  }
  // A Host among `headers` replaces the address-derived one (a name resolved by the caller).
  const bool own_host = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    return h.first.size() == 4 && (h.first[0] | 0x20) == 'h' && (h.first[1] | 0x20) == 'o' &&
           (h.first[2] | 0x20) == 's' && (h.first[3] | 0x20) == 't';
  });
  std::string request = fmt::format("{} {} HTTP/1.1\r\n", method, target.path);
  if (!own_host) {
    request += fmt::format("Host: {}:{}\r\n",
                           target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host,
                           target.port);
  }
  request += "User-Agent: s3cors-healthcheck\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += fmt::format("{}: {}\r\n", name, value);
  if (!body.empty() || method == "POST" || method == "PUT")
    request += fmt::format("Content-Length: {}\r\n", body.size());
  request += "\r\n";
  request += body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return failure("send timed out");
    } else {
      return failure(std::strerror(errno));
    }
  }
  // Until the server closes, or the head and Content-Length bytes are in.
  std::string received;
  constexpr std::size_t max_answer = 1024 * 1024;
  for (;;) {
    const auto head_end = received.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const std::string head = received.substr(0, head_end);
      std::string lower = head;
      for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      const auto at = lower.find("\r\ncontent-length:");
      if (at != std::string::npos) {
        const std::size_t length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
        if (received.size() >= head_end + 4 + length) break;
      }
    }
    if (received.size() > max_answer) break;
    if (!wait_for(fd, POLLIN, deadline)) {
      if (received.find("\r\n") != std::string::npos) break;
      return failure("no answer in time");
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      if (received.find("\r\n") != std::string::npos) break;
      return failure(std::strerror(errno));
    }
  }
  http_reply out;
  out.status_line = received.substr(0, received.find("\r\n"));
  if (!out.status_line.starts_with("HTTP/1.") || out.status_line.size() < 12)
    return failure("not an HTTP response");
  out.status = static_cast<unsigned>(std::strtoul(out.status_line.c_str() + 9, nullptr, 10));
  const auto head_end = received.find("\r\n\r\n");
  if (head_end != std::string::npos) out.body = received.substr(head_end + 4);
  // Header fields: the lines after the status line, "Name: value".
  std::string_view head = std::string_view(received).substr(0, std::min(head_end, received.size()));
  for (auto eol = head.find("\r\n"); eol != std::string_view::npos; eol = head.find("\r\n")) {
    head.remove_prefix(eol + 2);
    const std::string_view line = head.substr(0, head.find("\r\n"));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    out.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return out;
}

int probe(const probe_target& target, std::chrono::milliseconds timeout) {
  const std::string shown = target.host.find(':') != std::string::npos
                                ? fmt::format("http://[{}]:{}{}", target.host, target.port, target.path)
                                : fmt::format("http://{}:{}{}", target.host, target.port, target.path);
  auto unhealthy = [&](std::string_view why) {
    std::printf("unhealthy: %s: %.*s\n", shown.c_str(), static_cast<int>(why.size()), why.data());
    return 1;
  };
  const auto reply = http_exchange(target, "GET", {}, timeout);
  if (!reply) return unhealthy(reply.error());
  if (reply->status != 200) return unhealthy(reply->status_line);
  std::printf("healthy: %s: %s\n", shown.c_str(), reply->status_line.c_str());
  return 0;
}

result<int, usage_error> run_healthcheck(std::span<const std::string_view> args,
                                         const env_lookup& environment) {
  std::chrono::milliseconds timeout{2000};
  std::optional<std::string_view> url;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(healthcheck_usage.data(), stdout);
      return 0;
    }
    if (arg == "--timeout") {
      if (i + 1 >= args.size()) return usage_error{"--timeout needs a value"};
      const std::string text(args[++i]);
      char* end = nullptr;
      const double seconds = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(seconds > 0) || seconds > 3600) {
        return usage_error{fmt::format("--timeout expects seconds (e.g. 2 or 0.5), not '{}'", text)};
      }
      timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else if (!arg.starts_with("-") && !url) {
      url = arg;
    } else {
      return usage_error{
          fmt::format("healthcheck: unexpected argument '{}' (see s3cors healthcheck --help)", arg)};
    }
  }
  auto target = url ? parse_probe_url(*url) : default_probe_target(environment);
  if (!target) return target.error();
  return probe(*target, timeout);
}

}  // namespace s3cors::app
