#include "s3cors/app/doctor_command.hpp"

#include "s3cors/app/healthcheck.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/doctor/check.hpp"
#include "s3cors/doctor/model.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::app {
namespace {

constexpr std::string_view doctor_usage = R"(Usage:
  s3cors doctor URL [--origin ORIGIN] [--player hls.js|video.js|shaka|dash.js] [--credentials]
                    [--header NAME]... [--timeout SECONDS] [--json]
      Reads the master playlist or MPD at URL (and its media playlists), lists the requests the
      player makes cross-origin (manifest, playlists, keys, init segments, segments, byte ranges,
      HEAD probes, clock sync), sends each one as the browser would from ORIGIN (preflight
      included) and prints per request kind a verdict (ok, warn, fail) with the fix: missing
      HEAD, "*" with credentials, response headers the player reads but cannot see
      (Access-Control-Expose-Headers), missing Vary: Origin behind a cache, 200 where 206 is
      needed, a preflight refused for a header the player sends. When the bucket's CORS
      configuration is readable (GetBucketCors on URL's first path segment), each fix names the
      rule change and the whole configuration to apply is printed.
      ORIGIN defaults to http://localhost:8080; the player to hls.js for HLS, dash.js for DASH.
      --credentials: the page sends cookies (xhrSetup withCredentials and the like).
      --header NAME: a request header the page adds to every request (forces a preflight).
      URL: http://HOST[:PORT]/PATH (no TLS).
      Exit status: 0 no check failed (warnings allowed), 1 a check failed, 2 usage errors or
      an unreadable manifest.
)";

struct doctor_args {
  std::optional<std::string> url;
  std::string origin = "http://localhost:8080";
  std::optional<doctor::player> player;
  doctor::player_options options;
  bool json = false;
  std::chrono::milliseconds timeout{5000};
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Where to connect for an http:// URL, and the Host header when HOST is a name.
struct http_target {
  probe_target target;
  std::optional<std::string> host_header;
};

/// http://HOST[:PORT]/PATH → the address to connect to (a name is resolved with getaddrinfo);
/// throws invalid_argument on what it cannot fetch.
http_target target_of(std::string_view url) {
  if (!url.starts_with("http://")) throw std::invalid_argument(fmt::format("only http:// URLs: {}", url));
  const std::string_view rest = url.substr(7);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view host = authority.substr(0, authority.rfind(':'));
  if (authority.starts_with('[') || host.empty()) host = authority;
  http_target out;
  std::string literal(url);
  in6_addr ignored{};
  const std::string host_text(host);
  if (!host.starts_with('[') && host != "localhost" &&
      ::inet_pton(AF_INET, host_text.c_str(), &ignored) != 1) {
    // A DNS name: connect to its first address, send the name as Host.
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host_text.c_str(), nullptr, &hints, &found) != 0 || !found)
      throw std::runtime_error(fmt::format("{}: cannot resolve {}", url, host));
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr =
        found->ai_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
    ::inet_ntop(found->ai_family, addr, text, sizeof text);
    const bool v6 = found->ai_family == AF_INET6;
    ::freeaddrinfo(found);
    literal = fmt::format("http://{}{}{}{}", v6 ? "[" : "", text, v6 ? "]" : "", url.substr(7 + host.size()));
    out.host_header = std::string(authority);
  }
  auto t = parse_probe_url(literal);
  if (!t) throw std::invalid_argument(fmt::format("{}: {}", url, t.error().message));
  if (const auto q = t->path.find('#'); q != std::string::npos) t->path.resize(q);
  if (t->path.empty() || t->path.front() != '/') t->path.insert(0, "/");
  out.target = std::move(*t);
  return out;
}

result<http_reply, std::string> send(const doctor_args& args, std::string_view url, std::string_view method,
                                     header_list headers) {
  const http_target t = target_of(url);
  if (t.host_header) headers.emplace_back("Host", *t.host_header);
  return http_exchange(t.target, method, {}, args.timeout, headers);
}

doctor::http_response to_response(const http_reply& reply) {
  return {reply.status, reply.headers};
}

/// Sends `r` as the browser would from the origin: the preflight when one may be sent, then the
/// request with Origin, Range and the page's headers.
doctor::exchange perform(const doctor_args& args, const doctor::player_request& r) {
  doctor::exchange out;
  const std::string acrh = doctor::preflight_headers(r);
  if (!acrh.empty() || doctor::needs_preflight(r)) {
    header_list h{{"Origin", args.origin}, {"Access-Control-Request-Method", r.method}};
    if (!acrh.empty()) h.emplace_back("Access-Control-Request-Headers", acrh);
    auto reply = send(args, r.url, "OPTIONS", h);
    if (!reply) {
      out.error = reply.error();
      return out;
    }
    out.preflight = to_response(*reply);
  }
  header_list h{{"Origin", args.origin}};
  if (r.range) h.emplace_back("Range", *r.range);
  for (const auto& name : r.headers) h.emplace_back(name, "s3cors-doctor");
  auto reply = send(args, r.url, r.method, h);
  if (!reply) {
    out.error = reply.error();
  } else {
    out.actual = to_response(*reply);
  }
  return out;
}

/// GetBucketCors for the URL's bucket (its first path segment), anonymously; nullopt when the
/// server refuses it or answers something that is not a CORS configuration.
std::optional<cors::cors_configuration> read_bucket_cors(const doctor_args& args, std::string_view url) {
  const http_target target = target_of(url);
  probe_target t = target.target;
  const std::string path = t.path;
  const auto end = path.find('/', 1);
  if (path.size() < 2 || end == std::string::npos) return std::nullopt;
  t.path = fmt::format("{}?cors", path.substr(0, end));
  header_list headers;
  if (target.host_header) headers.emplace_back("Host", *target.host_header);
  const auto reply = http_exchange(t, "GET", {}, args.timeout, headers);
  if (!reply || reply->status != 200) return std::nullopt;
  auto parsed = cors::parse_xml(reply->body);
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

std::string fetch_text(const doctor_args& args, const std::string& url) {
  const auto reply = send(args, url, "GET", {{"Origin", args.origin}});
  if (!reply) throw std::runtime_error(fmt::format("{}: {}", url, reply.error()));
  if (reply->status != 200) throw std::runtime_error(fmt::format("{}: {}", url, reply->status_line));
  return reply->body;
}

int doctor_command(int argc, char** argv) {
  doctor_args args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--origin") {
      args.origin = value();
    } else if (arg == "--player") {
      const std::string name = value();
      args.player = doctor::parse_player(name);
      if (!args.player)
        throw std::invalid_argument(
            fmt::format("unknown player '{}' (hls.js, video.js, shaka, dash.js)", name));
    } else if (arg == "--credentials") {
      args.options.credentials = true;
    } else if (arg == "--header") {
      args.options.headers.push_back(value());
    } else if (arg == "--json") {
      args.json = true;
    } else if (arg == "--timeout") {
      const std::string text = value();
      char* end = nullptr;
      const double seconds = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(seconds > 0) || seconds > 3600)
        throw std::invalid_argument(fmt::format("--timeout expects seconds, not '{}'", text));
      args.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else if (!arg.starts_with("-") && !args.url) {
      args.url = std::string(arg);
    } else {
      throw std::invalid_argument(fmt::format("unexpected argument '{}'", arg));
    }
  }
  if (!args.url) throw std::invalid_argument("URL is required");
  if (args.origin.empty() || args.origin.find("://") == std::string::npos)
    throw std::invalid_argument(fmt::format("--origin must be scheme://host[:port], not '{}'", args.origin));
  target_of(*args.url);

  const doctor::fetched_text manifest{*args.url, fetch_text(args, *args.url)};
  const doctor::player p =
      args.player ? *args.player
                  : (doctor::is_mpd(manifest.text) ? doctor::player::dash_js : doctor::player::hls_js);
  std::vector<doctor::fetched_text> media;
  for (const std::string& url : doctor::variant_playlists(manifest)) {
    try {
      media.push_back({url, fetch_text(args, url)});
    } catch (const std::runtime_error&) {
      // Listed without its content: its own check reports the failure.
    }
  }
  auto requests = doctor::enumerate_requests(p, args.options, manifest, media);
  if (!requests) throw std::runtime_error(requests.error());

  const auto rules = read_bucket_cors(args, *args.url);
  doctor::report report;
  report.url = *args.url;
  report.origin = args.origin;
  report.p = p;
  report.rules_known = rules.has_value();
  for (const auto& r : *requests) {
    report.checks.push_back(
        doctor::check_request(r, perform(args, r), args.origin, rules ? &*rules : nullptr));
  }
  if (rules) report.combined = doctor::combine_fixes(*rules, report.checks, args.origin);
  const std::string text = args.json ? doctor::to_json(report) + "\n" : doctor::to_text(report);
  std::fputs(text.c_str(), stdout);
  return report.overall() == doctor::verdict::fail ? 1 : 0;
}

}  // namespace

int run_doctor_command(int argc, char** argv) {
  try {
    if (argc >= 1 && (std::string_view(argv[0]) == "--help" || std::string_view(argv[0]) == "-h")) {
      std::fputs(doctor_usage.data(), stdout);
      return 0;
    }
    return doctor_command(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "s3cors doctor: %s\n%s", e.what(), doctor_usage.data());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors doctor: %s\n", e.what());
    return 2;
  }
}

}  // namespace s3cors::app
