#include "s3cors/app/doctor_command.hpp"

#include "s3cors/cors/parse.hpp"
#include "s3cors/doctor/check.hpp"
#include "s3cors/doctor/model.hpp"
#include "s3cors/doctor/url.hpp"
#include "s3cors/net/http_client.hpp"

#include <fmt/format.h>

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
                    [--header NAME]... [--timeout SECONDS] [--ca-file PATH] [--insecure] [--json]
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
      URL: http[s]://HOST[:PORT]/PATH; HOST a name, an IPv4 address or [IPv6]. https verifies
      the certificate chain and host name against the system store (SSL_CERT_FILE and
      SSL_CERT_DIR honoured, as OpenSSL does), like curl.
      --ca-file PATH: also trust the CA certificates in this PEM file.
      --insecure: accept any certificate (the report says verification was off).
      Exit status: 0 no check failed (warnings allowed), 1 a check failed, 2 usage errors or
      an unreadable manifest (a certificate that fails verification included).
)";

struct doctor_args {
  std::optional<std::string> url;
  std::string origin = "http://localhost:8080";
  std::optional<doctor::player> player;
  doctor::player_options options;
  bool json = false;
  net::client_options client;  ///< --timeout, --ca-file, --insecure
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The largest manifest or CORS configuration read (a long VOD playlist is a few MB).
constexpr std::size_t max_text = 16 * 1024 * 1024;

/// The URL parsed, or invalid_argument (a usage error) naming what is wrong with it.
doctor::http_url parse_url(std::string_view url) {
  auto parsed = doctor::parse_http_url(url);
  if (!parsed) throw std::invalid_argument(parsed.error());
  return std::move(*parsed);
}

/// The client's error, with the way out when it is a certificate the system store does not trust.
std::string explain(std::string error) {
  if (error.starts_with("TLS certificate verification failed"))
    error += " (trust its CA with --ca-file PATH, or skip verification with --insecure)";
  return error;
}

result<net::client_response, std::string> send(net::http_client& client, std::string_view url,
                                               std::string_view method, const header_list& headers,
                                               std::size_t body_limit = 0) {
  auto parsed = doctor::parse_http_url(url);
  if (!parsed) return parsed.error();
  auto reply = client.exchange(*parsed, method, headers, body_limit);
  if (!reply) return explain(reply.error());
  return reply;
}

doctor::http_response to_response(const net::client_response& reply) {
  return {reply.status, reply.headers};
}

/// Sends `r` as the browser would from the origin: the preflight when one may be sent, then the
/// request with Origin, Range and the page's headers.
doctor::exchange perform(const doctor_args& args, net::http_client& client, const doctor::player_request& r) {
  doctor::exchange out;
  const std::string acrh = doctor::preflight_headers(r);
  if (!acrh.empty() || doctor::needs_preflight(r)) {
    header_list h{{"Origin", args.origin}, {"Access-Control-Request-Method", r.method}};
    if (!acrh.empty()) h.emplace_back("Access-Control-Request-Headers", acrh);
    auto reply = send(client, r.url, "OPTIONS", h);
    if (!reply) {
      out.error = reply.error();
      return out;
    }
    out.preflight = to_response(*reply);
  }
  header_list h{{"Origin", args.origin}};
  if (r.range) h.emplace_back("Range", *r.range);
  for (const auto& name : r.headers) h.emplace_back(name, "s3cors-doctor");
  auto reply = send(client, r.url, r.method, h);
  if (!reply) {
    out.error = reply.error();
  } else {
    out.actual = to_response(*reply);
  }
  return out;
}

/// GetBucketCors for the URL's bucket (its first path segment), anonymously; nullopt when the
/// server refuses it or answers something that is not a CORS configuration.
std::optional<cors::cors_configuration> read_bucket_cors(net::http_client& client, std::string_view url) {
  auto target = doctor::parse_http_url(url);
  if (!target) return std::nullopt;
  const std::string path = target->target.substr(0, target->target.find('?'));
  const auto end = path.find('/', 1);
  if (path.size() < 2 || end == std::string::npos) return std::nullopt;
  target->target = fmt::format("{}?cors", path.substr(0, end));
  const auto reply = client.exchange(*target, "GET", {}, max_text);
  if (!reply || reply->status != 200) return std::nullopt;
  auto parsed = cors::parse_xml(reply->body);
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

std::string fetch_text(const doctor_args& args, net::http_client& client, const std::string& url) {
  const auto reply = send(client, url, "GET", {{"Origin", args.origin}}, max_text);
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
    } else if (arg == "--ca-file") {
      args.client.ca_file = value();
      if (args.client.ca_file.empty()) throw std::invalid_argument("--ca-file needs a path");
    } else if (arg == "--insecure" || arg == "-k") {
      args.client.verify = false;
    } else if (arg == "--json") {
      args.json = true;
    } else if (arg == "--timeout") {
      const std::string text = value();
      char* end = nullptr;
      const double seconds = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(seconds > 0) || seconds > 3600)
        throw std::invalid_argument(fmt::format("--timeout expects seconds, not '{}'", text));
      args.client.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else if (!arg.starts_with("-") && !args.url) {
      args.url = std::string(arg);
    } else {
      throw std::invalid_argument(fmt::format("unexpected argument '{}'", arg));
    }
  }
  if (!args.url) throw std::invalid_argument("URL is required");
  if (args.origin.empty() || args.origin.find("://") == std::string::npos)
    throw std::invalid_argument(fmt::format("--origin must be scheme://host[:port], not '{}'", args.origin));
  parse_url(*args.url);
  net::http_client client(args.client);

  const doctor::fetched_text manifest{*args.url, fetch_text(args, client, *args.url)};
  const doctor::player p =
      args.player ? *args.player
                  : (doctor::is_mpd(manifest.text) ? doctor::player::dash_js : doctor::player::hls_js);
  std::vector<doctor::fetched_text> media;
  for (const std::string& url : doctor::variant_playlists(manifest)) {
    try {
      media.push_back({url, fetch_text(args, client, url)});
    } catch (const std::runtime_error&) {
      // Listed without its content: its own check reports the failure.
    }
  }
  auto requests = doctor::enumerate_requests(p, args.options, manifest, media);
  if (!requests) throw std::runtime_error(requests.error());

  const auto rules = read_bucket_cors(client, *args.url);
  doctor::report report;
  report.url = *args.url;
  report.origin = args.origin;
  report.p = p;
  report.rules_known = rules.has_value();
  report.insecure = !args.client.verify;
  for (const auto& r : *requests) {
    report.checks.push_back(
        doctor::check_request(r, perform(args, client, r), args.origin, rules ? &*rules : nullptr));
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
