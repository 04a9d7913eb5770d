// s3cors: parse arguments, load the configuration, build store and service, serve until
// SIGINT/SIGTERM.
#include "s3cors/config/config.hpp"
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

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read config file {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int run(int argc, char** argv) {
  const cli_options cli = parse_arguments(argc, argv);

  s3cors::config::server_config file_config;
  if (cli.config) {
    auto parsed = s3cors::config::parse_config(read_file(*cli.config));
    if (!parsed) {
      const auto& e = parsed.error();
      throw std::runtime_error(fmt::format("invalid config file {}: {}{}{}", *cli.config,
                                           e.pointer.empty() ? "" : e.pointer, e.pointer.empty() ? "" : ": ",
                                           e.message));
    }
    file_config = std::move(*parsed);
  }

  // Flags win over the file.
  std::optional<std::string> root = cli.root ? cli.root : file_config.root;
  if (root && !cli.root && cli.config) {
    // A root in the config file is relative to the file, so the file works from any directory.
    root = (std::filesystem::path(*cli.config).parent_path() / *root).string();
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

  const s3cors::store::fs_store store(s3cors::store::fs_store_options{
      *root, cli.follow_symlinks || file_config.follow_symlinks_outside_root});
  s3cors::s3::service_options service_options;
  service_options.routing.domain = cli.domain.value_or(file_config.domain);
  const s3cors::s3::service service(store, service_options);

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

  // Signals are blocked before the server threads start, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
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

  int received = 0;
  sigwait(&signals, &received);
  s3cors::net::log_line(s3cors::net::log_level::info,
                        fmt::format("received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM"));
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
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
