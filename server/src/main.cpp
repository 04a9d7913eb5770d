// s3cors: parse arguments, load the configuration, build store and service, serve until
// SIGINT/SIGTERM.
#include "config_loader.hpp"
#include "cors_cli.hpp"
#include "s3cors/config/config.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::string_view usage = R"(Usage: s3cors --root DIR [options]
       s3cors cors explain|lint ...     (see s3cors cors --help)
Serves every directory under DIR as an S3 bucket, with S3's CORS behaviour.

Options:
  --root DIR            data root: each directory in it is a bucket
  --listen HOST:PORT    address to listen on (default 127.0.0.1:9000; port 0 picks a free port)
  --config FILE         JSON configuration file (see config/example.json)
  --threads N           server threads (default: one per core)
  --log-level LEVEL     debug, info (default), warn, error or off
  --domain DOMAIN       also accept virtual-hosted requests for BUCKET.s3.DOMAIN
  --follow-symlinks     follow symlinks that point outside the data root (off by default)
  --help                show this help
  --version             show the version
)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct cli_options {
  std::optional<std::string> root, listen, config, log_level, domain;
  std::optional<unsigned> threads;
  bool follow_symlinks = false;
};

cli_options parse_arguments(int argc, char** argv) {
  cli_options out;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= args.size()) throw usage_error(fmt::format("option {} needs a value", arg));
      return std::string(args[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage.data(), stdout);
      std::exit(0);
    } else if (arg == "--version") {
      std::puts("s3cors " S3CORS_VERSION);
      std::exit(0);
    } else if (arg == "--root") {
      out.root = value();
    } else if (arg == "--listen") {
      out.listen = value();
    } else if (arg == "--config") {
      out.config = value();
    } else if (arg == "--log-level") {
      out.log_level = value();
    } else if (arg == "--domain") {
      out.domain = value();
    } else if (arg == "--follow-symlinks") {
      out.follow_symlinks = true;
    } else if (arg == "--threads") {
      const std::string text = value();
      try {
        std::size_t used = 0;
        const unsigned long n = std::stoul(text, &used);
        if (used != text.size() || n == 0 || n > 1024) throw std::out_of_range("threads");
        out.threads = static_cast<unsigned>(n);
      } catch (const std::logic_error&) {
        throw usage_error(fmt::format("--threads expects a number from 1 to 1024, not '{}'", text));
      }
    } else {
      throw usage_error(fmt::format("unknown option '{}' (see --help)", arg));
    }
  }
  return out;
}

// The files a failed reload keeps watching: the config file and the CORS files it named
// before, so that the next edit is noticed.
std::vector<std::filesystem::path> watch_files_of(const s3cors::config::server_config& config,
                                                  const std::filesystem::path& dir,
                                                  const std::filesystem::path& config_file) {
  std::vector<std::filesystem::path> files{config_file};
  for (const auto& [bucket, settings] : config.buckets) {
    if (settings.cors_file) files.push_back(dir / *settings.cors_file);
  }
  if (config.default_cors && config.default_cors->cors_file)
    files.push_back(dir / *config.default_cors->cors_file);
  return files;
}

int run(int argc, char** argv) {
  const cli_options cli = parse_arguments(argc, argv);

  s3cors::config::server_config file_config;
  if (cli.config) file_config = s3cors::server::load_config_file(*cli.config);
  const std::filesystem::path config_dir =
      cli.config ? std::filesystem::path(*cli.config).parent_path() : std::filesystem::path{};

  // Flags win over the file.
  std::optional<std::string> root = cli.root ? cli.root : file_config.root;
  if (root && !cli.root && cli.config) {
    // A root in the config file is relative to the file, so the file works from any directory.
    root = (config_dir / *root).string();
  }
  if (!root) throw usage_error("--root DIR is required (see --help)");
  std::error_code ec;
  if (!std::filesystem::is_directory(*root, ec)) {
    throw std::runtime_error(fmt::format("data root '{}' is not a directory", *root));
  }
  const std::string listen_text = cli.listen.value_or(file_config.listen.value_or("127.0.0.1:9000"));
  const auto listen = s3cors::config::parse_listen(listen_text);
  if (!listen) throw usage_error(fmt::format("--listen expects HOST:PORT, not '{}'", listen_text));

  s3cors::net::log_level level = s3cors::net::log_level::info;
  const std::string level_text = cli.log_level.value_or(file_config.log_level.value_or("info"));
  if (!s3cors::net::parse_log_level(level_text, level)) {
    throw usage_error(
        fmt::format("--log-level expects debug, info, warn, error or off, not '{}'", level_text));
  }
  s3cors::net::set_log_level(level);

  s3cors::store::fs_store store(s3cors::store::fs_store_options{
      *root, cli.follow_symlinks || file_config.follow_symlinks_outside_root});

  // CORS rules: the config file's (per bucket, and an optional default), and those set with
  // PutBucketCors, which win for their bucket (see README).
  s3cors::cors::cors_registry cors;
  s3cors::server::file_watch watch;
  {
    auto loaded = s3cors::server::load_file_cors(file_config, config_dir);
    if (cli.config) loaded.files.push_back(*cli.config);
    watch.watch(loaded.files);
    cors.set_file_configs(std::move(loaded.buckets), std::move(loaded.default_config));
  }
  for (const auto& warning : s3cors::server::load_api_cors(store, cors)) {
    s3cors::net::log_line(s3cors::net::log_level::warn, warning);
  }

  s3cors::s3::service_options service_options;
  service_options.routing.domain = cli.domain.value_or(file_config.domain);
  service_options.cors_debug_header = file_config.cors_debug_header;
  const s3cors::s3::service service(store, cors, service_options);

  s3cors::net::server_options options;
  options.host = listen->host;
  options.port = listen->port;
  options.threads =
      cli.threads.value_or(file_config.threads.value_or(std::max(1u, std::thread::hardware_concurrency())));
  options.level = level;
  const auto& limit = file_config.limit;
  options.header_limit = static_cast<std::size_t>(limit.max_header_bytes);
  options.body_limit = limit.max_body_bytes;
  options.max_connections = static_cast<std::size_t>(limit.max_connections);
  options.idle_timeout = std::chrono::seconds(limit.idle_timeout_seconds);
  options.header_timeout = std::chrono::seconds(limit.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(limit.body_timeout_seconds);
  options.write_timeout = std::chrono::seconds(limit.write_timeout_seconds);

  // Signals are blocked before the server threads start, so only the loop below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  s3cors::net::http_server server(
      options, [&service](const s3cors::request& req, const s3cors::s3::request_context& ctx) {
        return service.handle(req, ctx);
      });
  const std::uint16_t port = server.start();
  const bool v6 = listen->host.find(':') != std::string::npos && listen->host.front() != '[';
  std::printf("s3cors listening on http://%s%s%s:%u\n", v6 ? "[" : "", listen->host.c_str(), v6 ? "]" : "",
              port);
  std::fflush(stdout);
  s3cors::net::log_line(s3cors::net::log_level::info,
                        fmt::format("serving buckets from {} with {} threads", *root, options.threads));

  // Reload the CORS rules on SIGHUP or when the config file or a CORS file it names changes.
  // An invalid edit is rejected with its reason and the rules in force stay.
  auto reload = [&](std::string_view why) {
    try {
      auto config = s3cors::server::load_config_file(*cli.config);
      auto loaded = s3cors::server::load_file_cors(config, config_dir);
      loaded.files.push_back(*cli.config);
      watch.watch(loaded.files);
      cors.set_file_configs(std::move(loaded.buckets), std::move(loaded.default_config));
      s3cors::net::log_line(s3cors::net::log_level::info,
                            fmt::format("CORS configuration reloaded ({})", why));
    } catch (const std::exception& e) {
      watch.watch(watch_files_of(file_config, config_dir, *cli.config));
      s3cors::net::log_line(
          s3cors::net::log_level::warn,
          fmt::format("configuration reload rejected ({}): {}; the previous CORS configuration "
                      "stays in force",
                      why, e.what()));
    }
  };
  // Abandoned multipart uploads are removed once a minute (and at start).
  const auto upload_expiry = std::chrono::seconds(file_config.abandoned_upload_seconds);
  auto next_upload_sweep = std::chrono::steady_clock::now();
  auto sweep_uploads = [&] {
    if (upload_expiry.count() == 0 || std::chrono::steady_clock::now() < next_upload_sweep) return;
    next_upload_sweep = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    if (auto removed = store.remove_uploads_older_than(now - upload_expiry); removed && *removed > 0) {
      s3cors::net::log_line(s3cors::net::log_level::info,
                            fmt::format("removed {} abandoned multipart upload(s)", *removed));
    }
  };
  int received = 0;
  for (;;) {
    sweep_uploads();
    const timespec poll_interval{1, 0};
    received = sigtimedwait(&signals, nullptr, &poll_interval);
    if (received == SIGINT || received == SIGTERM) break;
    if (!cli.config) continue;
    if (received == SIGHUP) {
      reload("SIGHUP");
    } else if (watch.changed()) {
      reload("file changed");
    }
  }
  s3cors::net::log_line(s3cors::net::log_level::info,
                        fmt::format("received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM"));
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "cors")
    return s3cors::server::run_cors_command(argc - 2, argv + 2);
  try {
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "s3cors: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors: %s\n", e.what());
    return 1;
  }
}
