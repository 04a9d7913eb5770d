#include "s3cors/app/edge_command.hpp"

#include "config_loader.hpp"
#include "s3cors/app/application.hpp"
#include "s3cors/app/healthcheck.hpp"
#include "s3cors/app/settings.hpp"
#include "s3cors/edge/explain.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::app {
namespace {

constexpr std::string_view edge_usage = R"(Usage:
  s3cors edge invalidate --distribution NAME [--url URL] PATH...
      Removes the distribution's cached objects whose path matches one of PATHs: "/a/b.jpg",
      "/images/*", "/*" (everything). Paths start with '/'; '*' only at the end.
  s3cors edge flush --distribution NAME [--url URL]
      Empties the distribution's cache.
  s3cors edge stats --distribution NAME [--url URL]
      Prints the cache statistics (JSON): hits, misses, refresh_hits, evictions, bytes, ...
  s3cors edge explain --config FILE --distribution NAME [--root DIR]
                      (--path PATH [--method M] [--header "Name: value"]... |
                       --request "METHOD PATH" [--header "Name: value"]... [--at SECONDS] ... |
                       --requests FILE.json)
      For each request: the behaviour it matches (and its path pattern), the cache key, the
      headers and query string that reach the origin; then, replayed offline through the same
      edge code against the bucket's folder (no server needed, nothing is sent over a network),
      which request populates the cache, what each later one receives (status, X-Cache, CORS
      headers) and whether a browser accepts it. Each --request starts a new request; the
      --header and --at options after it belong to it (--at: seconds after the first request).
      FILE.json: [{"method": "GET", "path": "/video.mp4", "headers": {"Origin": "https://a.example"},
      "at": 0}, ...]. DIR defaults to S3CORS_ROOT, else the config file's "root".
      Exit status: 0 no cross-origin request blocked, 1 at least one blocked, 2 usage errors.
URL is the server's main listener or the distribution's own (http://HOST:PORT; default
http://127.0.0.1:PORT with PORT from S3CORS_LISTEN, else 9000). The control endpoints answer
loopback clients only. invalidate, flush, stats: exit status 0 done, 1 refused or
unreachable, 2 usage errors.
)";

int edge_command(std::string_view command, int argc, char** argv) {
  std::optional<std::string> distribution;
  std::optional<std::string> url;
  std::vector<std::string> paths;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--distribution") {
      distribution = value();
    } else if (arg == "--url") {
      url = value();
    } else if (arg.starts_with("--")) {
      throw std::invalid_argument(fmt::format("unknown option '{}'", arg));
    } else if (command == "invalidate") {
      paths.emplace_back(arg);
    } else {
      throw std::invalid_argument(fmt::format("unexpected argument '{}'", arg));
    }
  }
  if (!distribution || distribution->empty()) throw std::invalid_argument("--distribution NAME is required");
  if (command == "invalidate" && paths.empty())
    throw std::invalid_argument("invalidate needs at least one PATH");
  auto target = url ? parse_probe_url(*url) : default_probe_target(process_environment);
  if (!target) throw std::invalid_argument(target.error().message);
  const std::string action = command == "invalidate" ? "invalidation" : std::string(command);
  target->path = fmt::format("/_s3cors/distributions/{}/{}", *distribution, action);
  const std::string body = command == "invalidate" ? nlohmann::json{{"paths", paths}}.dump() : std::string();
  const auto reply =
      http_exchange(*target, command == "stats" ? "GET" : "POST", body, std::chrono::milliseconds(10'000));
  if (!reply) {
    std::fprintf(stderr, "s3cors edge: %s:%u: %s\n", target->host.c_str(), target->port,
                 reply.error().c_str());
    return 1;
  }
  std::fputs(reply->body.c_str(), reply->status / 100 == 2 ? stdout : stderr);
  if (!reply->body.ends_with('\n')) std::fputc('\n', reply->status / 100 == 2 ? stdout : stderr);
  return reply->status / 100 == 2 ? 0 : 1;
}

int explain_command(int argc, char** argv) {
  std::optional<std::string> config_file, distribution, root, requests_file;
  std::vector<edge::explain_request> requests;
  std::optional<std::string> method;
  bool from_path = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    auto current = [&]() -> edge::explain_request& {
      if (requests.empty())
        throw std::invalid_argument(fmt::format("{} before any --path or --request", arg));
      return requests.back();
    };
    if (arg == "--config") {
      config_file = value();
    } else if (arg == "--distribution") {
      distribution = value();
    } else if (arg == "--root") {
      root = value();
    } else if (arg == "--requests") {
      requests_file = value();
    } else if (arg == "--path") {
      if (from_path || !requests.empty())
        throw std::invalid_argument("--path names one request: use --request for more");
      from_path = true;
      edge::explain_request r;
      r.target = value();
      requests.push_back(std::move(r));
    } else if (arg == "--method") {
      method = value();
    } else if (arg == "--request") {
      if (from_path) throw std::invalid_argument("use either --path or --request");
      const std::string line = value();
      const auto space = line.find(' ');
      edge::explain_request r;
      if (space == std::string::npos) {
        r.target = line;
      } else {
        r.method = line.substr(0, space);
        r.target = line.substr(line.find_first_not_of(' ', space));
      }
      r.at = requests.empty() ? 0 : requests.back().at;
      requests.push_back(std::move(r));
    } else if (arg == "--header") {
      const std::string line = value();
      auto field = edge::parse_header_line(line);
      if (!field) throw std::invalid_argument(fmt::format("--header takes \"Name: value\", not '{}'", line));
      current().headers.push_back(std::move(*field));
    } else if (arg == "--at") {
      const std::string text = value();
      std::size_t used = 0;
      long long seconds = -1;
      try {
        seconds = std::stoll(text, &used);
      } catch (const std::exception&) {
      }
      auto& r = current();
      const std::int64_t previous = requests.size() > 1 ? requests[requests.size() - 2].at : 0;
      if (used != text.size() || seconds < previous)
        throw std::invalid_argument("--at takes whole seconds, not before the previous request's");
      r.at = seconds;
    } else {
      throw std::invalid_argument(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (!config_file || !distribution) throw std::invalid_argument("--config and --distribution are required");
  if (requests_file) {
    if (!requests.empty()) throw std::invalid_argument("give --requests FILE or --path/--request, not both");
    auto parsed = edge::parse_explain_requests(read_text_file(*requests_file));
    if (!parsed) throw std::invalid_argument(fmt::format("{}: {}", *requests_file, parsed.error()));
    requests = std::move(*parsed);
  }
  if (requests.empty()) throw std::invalid_argument("give --path, --request or --requests");
  if (method) {
    if (!from_path)
      throw std::invalid_argument("--method goes with --path (--request takes \"METHOD PATH\")");
    requests.front().method = *method;
  }
  for (const auto& r : requests) {
    if (!r.target.starts_with('/'))
      throw std::invalid_argument(fmt::format("the path '{}' must start with '/'", r.target));
  }

  // The server's own setup (data root, buckets, their CORS rules and ACLs), without listening.
  net::set_log_level(net::log_level::error);
  flags command_line;
  command_line.config = *config_file;
  command_line.root = root;
  auto loaded = load_settings(command_line, process_environment, 1);
  if (!loaded) throw std::invalid_argument(loaded.error().message);
  application app(std::move(*loaded));
  const edge::distribution_config* config = nullptr;
  std::string names;
  for (const auto& endpoint : app.distributions()) {
    names += (names.empty() ? "" : ", ") + endpoint.name;
    if (endpoint.name == *distribution) config = &endpoint.gateway->config();
  }
  if (config == nullptr) {
    throw std::runtime_error(fmt::format("{} has no distribution \"{}\" ({})", *config_file, *distribution,
                                         names.empty() ? "it has none" : "it has " + names));
  }
  const edge::service_origin origin(app.service());
  const auto start = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  // The rules the S3 service applies: PutBucketCors's, else the config file's (README "CORS").
  const auto steps = edge::replay(*config, origin, requests, start,
                                  [&app](std::string_view bucket) { return app.cors().find(bucket); });
  std::fputs(edge::render_explanation(*distribution, *config, requests, steps).c_str(), stdout);
  const bool blocked = std::any_of(steps.begin(), steps.end(), [](const edge::explained_step& s) {
    return s.verdict.outcome == edge::browser_verdict::kind::blocked;
  });
  return blocked ? 1 : 0;
}

}  // namespace

int run_edge_command(int argc, char** argv) {
  try {
    if (argc < 1 || std::string_view(argv[0]) == "--help") {
      std::fputs(edge_usage.data(), argc < 1 ? stderr : stdout);
      return argc < 1 ? 2 : 0;
    }
    const std::string_view command = argv[0];
    if (command == "invalidate" || command == "flush" || command == "stats")
      return edge_command(command, argc - 1, argv + 1);
    if (command == "explain") return explain_command(argc - 1, argv + 1);
    throw std::invalid_argument(
        fmt::format("unknown edge command '{}' (invalidate, flush, stats, explain)", command));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "s3cors edge: %s\n%s", e.what(), edge_usage.data());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors edge: %s\n", e.what());
    return 2;
  }
}

}  // namespace s3cors::app
