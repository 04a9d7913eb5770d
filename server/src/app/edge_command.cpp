#include "s3cors/app/edge_command.hpp"

#include "s3cors/app/healthcheck.hpp"
#include "s3cors/app/settings.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
URL is the server's main listener or the distribution's own (http://HOST:PORT; default
http://127.0.0.1:PORT with PORT from S3CORS_LISTEN, else 9000). The control endpoints answer
loopback clients only. Exit status: 0 done, 1 refused or unreachable, 2 usage errors.
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
    throw std::invalid_argument(fmt::format("unknown edge command '{}' (invalidate, flush, stats)", command));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "s3cors edge: %s\n%s", e.what(), edge_usage.data());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors edge: %s\n", e.what());
    return 2;
  }
}

}  // namespace s3cors::app
