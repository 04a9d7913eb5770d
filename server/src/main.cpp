// s3cors: parse the arguments, build the application (s3cors::app) and serve until SIGINT or
// SIGTERM, reloading on SIGHUP or a file change. Also `s3cors healthcheck` (the container's
// probe) and `s3cors cors`.
#include "s3cors/app/access_command.hpp"
#include "s3cors/app/application.hpp"
#include "s3cors/app/cors_command.hpp"
#include "s3cors/app/doctor_command.hpp"
#include "s3cors/app/edge_command.hpp"
#include "s3cors/app/faults_command.hpp"
#include "s3cors/app/healthcheck.hpp"
#include "s3cors/app/settings.hpp"
#include "s3cors/net/edge_handler.hpp"
#include "s3cors/net/fault_handler.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/net/inspector_handler.hpp"
#include "s3cors/net/service_handler.hpp"

#include <fmt/format.h>

#include <memory>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr std::string_view usage = R"(Usage: s3cors --root DIR [options]
       s3cors healthcheck [--timeout SECONDS] [URL]   (exit 0 when the server answers 200)
       s3cors cors explain|lint ...     (see s3cors cors --help)
       s3cors access explain ...        (see s3cors access --help)
       s3cors edge invalidate|flush|stats|explain --distribution NAME ...   (see s3cors edge --help)
       s3cors doctor URL [--origin O] [--player P] [--credentials] [--json]   (see s3cors doctor --help)
       s3cors faults list|add|remove|clear ...   (media faults; see s3cors faults --help)
Serves every directory under DIR as an S3 bucket, with S3's CORS behaviour.

Options (each also read from the environment variable shown; a flag wins over the
environment, which wins over the configuration file):
  --root DIR            S3CORS_ROOT         data root: each directory in it is a bucket
  --listen HOST:PORT    S3CORS_LISTEN       address to listen on (default 127.0.0.1:9000;
                                            port 0 picks a free port)
  --config FILE         S3CORS_CONFIG       JSON configuration file (see config/example.json)
  --threads N           S3CORS_THREADS      server threads (default: one per core)
  --log-level LEVEL     S3CORS_LOG_LEVEL    debug, info (default), warn, error or off
  --log-format FORMAT   S3CORS_LOG_FORMAT   text (default) or json (one object per line)
  --domain DOMAIN       S3CORS_DOMAIN       also accept virtual-hosted requests for BUCKET.s3.DOMAIN
  --follow-symlinks     S3CORS_FOLLOW_SYMLINKS=1   follow symlinks that point outside the data root
  --no-fsync            S3CORS_FSYNC=0      acknowledge writes before they are flushed to disk
                                            (faster; for throw-away test data)
  --no-sigv2            S3CORS_SIGV2=0      refuse Signature Version 2 (AWSAccessKeyId/Signature URLs,
                                            "AWS key:sig" headers) as S3's SigV4-only regions do
  --inspector, --no-inspector  S3CORS_INSPECTOR=1|0   the live inspector page at /_s3cors/inspector
                                            (default: on only when every listener is on loopback;
                                            with credentials it asks for HTTP Basic: key id, secret)
  --help                show this help
  --version             show the version
Credentials (environment only): S3CORS_ACCESS_KEY_ID and S3CORS_SECRET_ACCESS_KEY, one pair,
added to the configuration file's "credentials" (replacing the entry with the same key id).
)";

struct usage_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
T checked(s3cors::result<T, s3cors::app::usage_error> r) {
  if (!r) throw usage_failure(r.error().message);
  return std::move(*r);
}

int serve(std::span<const std::string_view> args) {
  namespace app = s3cors::app;
  namespace net = s3cors::net;
  const app::flags flags = checked(app::parse_flags(args));
  if (flags.help) {
    std::fputs(usage.data(), stdout);
    return 0;
  }
  if (flags.version) {
    std::puts("s3cors " S3CORS_VERSION);
    return 0;
  }
  app::settings settings = checked(
      app::load_settings(flags, app::process_environment, std::max(1u, std::thread::hardware_concurrency())));
  net::set_log_level(settings.log_level);
  net::set_log_format(settings.log_format);
  app::application application(std::move(settings));

  // Signals are blocked before the server threads start, so only the loop below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Edge mode: each distribution has its own listener; their control endpoints
  // (/_s3cors/distributions/NAME/...) are also served on the main one.
  const auto distributions = application.distributions();
  std::vector<s3cors::edge::gateway*> gateways;
  for (const auto& d : distributions) gateways.push_back(d.gateway);
  net::http_server server(
      application.server_options(),
      net::with_inspector(
          net::with_faults(net::with_edge_control(net::service_handler(application.service()), gateways),
                           application.faults()),
          application.inspector()));
  const std::uint16_t port = server.start();
  const auto print_listening = [](std::string_view what, const std::string& host, std::uint16_t bound) {
    const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
    std::printf("%.*s listening on http://%s%s%s:%u\n", static_cast<int>(what.size()), what.data(),
                v6 ? "[" : "", host.c_str(), v6 ? "]" : "", bound);
  };
  print_listening("s3cors", application.current_settings().listen.host, port);
  std::vector<std::unique_ptr<net::http_server>> edges;
  for (const auto& d : distributions) {
    edges.push_back(std::make_unique<net::http_server>(d.options, net::edge_handler(*d.gateway)));
    const std::uint16_t edge_port = edges.back()->start();
    print_listening(fmt::format("distribution {}", d.name), d.options.host, edge_port);
  }
  std::fflush(stdout);
  net::log_line(net::log_level::info, fmt::format("serving buckets from {} with {} threads",
                                                  application.current_settings().root.string(),
                                                  application.server_options().threads));

  int received = 0;
  for (;;) {
    (void)application.sweep(
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
    const timespec poll_interval{1, 0};
    received = sigtimedwait(&signals, nullptr, &poll_interval);
    if (received == SIGINT || received == SIGTERM) break;
    if (received == SIGHUP) {
      application.reload("SIGHUP");
    } else if (application.has_config_changed()) {
      application.reload("file changed");
    }
  }
  net::log_line(net::log_level::info,
                fmt::format("received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM"));
  for (auto& edge : edges) edge->stop();
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "cors") return s3cors::app::run_cors_command(argc - 2, argv + 2);
  if (!args.empty() && args.front() == "access") return s3cors::app::run_access_command(argc - 2, argv + 2);
  if (!args.empty() && args.front() == "edge") return s3cors::app::run_edge_command(argc - 2, argv + 2);
  if (!args.empty() && args.front() == "doctor") return s3cors::app::run_doctor_command(argc - 2, argv + 2);
  if (!args.empty() && args.front() == "faults") return s3cors::app::run_faults_command(argc - 2, argv + 2);
  try {
    if (!args.empty() && args.front() == "healthcheck") {
      return checked(
          s3cors::app::run_healthcheck(std::span(args).subspan(1), s3cors::app::process_environment));
    }
    return serve(args);
  } catch (const usage_failure& e) {
    std::fprintf(stderr, "s3cors: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors: %s\n", e.what());
    return 1;
  }
}
