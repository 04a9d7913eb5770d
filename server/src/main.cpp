// s3cors: parse arguments and environment, load the configuration, build store and service,
// serve until SIGINT/SIGTERM. Also `s3cors healthcheck` (the container's probe) and `s3cors cors`.
#include "config_loader.hpp"
#include "cors_cli.hpp"
#include "s3cors/config/config.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/net/service_handler.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
       s3cors healthcheck [--timeout SECONDS] [URL]   (exit 0 when the server answers 200)
       s3cors cors explain|lint ...     (see s3cors cors --help)
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
  --help                show this help
  --version             show the version
Credentials (environment only): S3CORS_ACCESS_KEY_ID and S3CORS_SECRET_ACCESS_KEY, one pair,
added to the configuration file's "credentials" (replacing the entry with the same key id).
)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct cli_options {
  std::optional<std::string> root, listen, config, log_level, log_format, domain;
  std::optional<unsigned> threads;
  std::optional<bool> follow_symlinks;
};

std::optional<unsigned> parse_threads(const std::string& text, std::string_view what) {
  try {
    std::size_t used = 0;
    const unsigned long n = std::stoul(text, &used);
    if (used != text.size() || n == 0 || n > 1024 || text.front() == '-') throw std::out_of_range("threads");
    return static_cast<unsigned>(n);
  } catch (const std::logic_error&) {
    throw usage_error(fmt::format("{} expects a number from 1 to 1024, not '{}'", what, text));
  }
}

// An environment variable, or nullopt when unset or empty (so `-e S3CORS_ROOT=` unsets it).
std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// The environment's settings, in the same shape as the flags'.
cli_options environment_options() {
  cli_options out;
  out.root = env("S3CORS_ROOT");
  out.listen = env("S3CORS_LISTEN");
  out.config = env("S3CORS_CONFIG");
  out.log_level = env("S3CORS_LOG_LEVEL");
  out.log_format = env("S3CORS_LOG_FORMAT");
  out.domain = env("S3CORS_DOMAIN");
  if (auto threads = env("S3CORS_THREADS")) out.threads = parse_threads(*threads, "S3CORS_THREADS");
  if (auto follow = env("S3CORS_FOLLOW_SYMLINKS")) {
    if (*follow == "1" || *follow == "true" || *follow == "yes") {
      out.follow_symlinks = true;
    } else if (*follow == "0" || *follow == "false" || *follow == "no") {
      out.follow_symlinks = false;
    } else {
      throw usage_error(
          fmt::format("S3CORS_FOLLOW_SYMLINKS expects 1/true/yes or 0/false/no, not '{}'", *follow));
    }
  }
  return out;
}

// Flags win over the environment.
cli_options merge(cli_options flags, cli_options environment) {
  auto pick = [](auto& flag, auto& from_env) {
    if (!flag) flag = std::move(from_env);
  };
  pick(flags.root, environment.root);
  pick(flags.listen, environment.listen);
  pick(flags.config, environment.config);
  pick(flags.log_level, environment.log_level);
  pick(flags.log_format, environment.log_format);
  pick(flags.domain, environment.domain);
  pick(flags.threads, environment.threads);
  pick(flags.follow_symlinks, environment.follow_symlinks);
  return flags;
}

// The configuration file's key pairs plus the environment's one pair, which replaces a file
// entry with the same access key id.
// The buckets' "acl" settings of the configuration file (s3/access.hpp says what they allow).
std::map<std::string, std::string, std::less<>> bucket_acls_of(const s3cors::config::server_config& config) {
  std::map<std::string, std::string, std::less<>> acls;
  for (const auto& [bucket, settings] : config.buckets) {
    if (settings.acl) acls.emplace(bucket, *settings.acl);
  }
  return acls;
}

std::vector<s3cors::auth::credential> merged_credentials(std::vector<s3cors::auth::credential> keys) {
  auto id = env("S3CORS_ACCESS_KEY_ID");
  auto secret = env("S3CORS_SECRET_ACCESS_KEY");
  if (!id && !secret) return keys;
  if (!id || !secret) {
    throw usage_error("S3CORS_ACCESS_KEY_ID and S3CORS_SECRET_ACCESS_KEY must be set together");
  }
  if (!s3cors::config::is_valid_access_key_id(*id)) {
    throw usage_error("S3CORS_ACCESS_KEY_ID expects 1 to 128 ASCII letters, digits, '_' or '-'");
  }
  std::erase_if(keys, [&](const s3cors::auth::credential& key) { return key.access_key_id == *id; });
  keys.push_back({std::move(*id), std::move(*secret)});
  return keys;
}

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
    } else if (arg == "--log-format") {
      out.log_format = value();
    } else if (arg == "--domain") {
      out.domain = value();
    } else if (arg == "--follow-symlinks") {
      out.follow_symlinks = true;
    } else if (arg == "--threads") {
      out.threads = parse_threads(value(), "--threads");
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
  // Flags win over the environment, which wins over the file.
  const cli_options cli = merge(parse_arguments(argc, argv), environment_options());

  s3cors::config::server_config file_config;
  if (cli.config) file_config = s3cors::server::load_config_file(*cli.config);
  const std::filesystem::path config_dir =
      cli.config ? std::filesystem::path(*cli.config).parent_path() : std::filesystem::path{};

  std::optional<std::string> root = cli.root ? cli.root : file_config.root;
  if (root && !cli.root && cli.config) {
    // A root in the config file is relative to the file, so the file works from any directory.
    root = (config_dir / *root).string();
  }
  if (!root) throw usage_error("--root DIR (or S3CORS_ROOT, or \"root\" in the config file) is required");
  std::error_code ec;
  if (!std::filesystem::is_directory(*root, ec)) {
    throw std::runtime_error(fmt::format("data root '{}' is not a directory", *root));
  }
  const std::string listen_text = cli.listen.value_or(file_config.listen.value_or("127.0.0.1:9000"));
  const auto listen = s3cors::config::parse_listen(listen_text);
  if (!listen) {
    throw usage_error(
        fmt::format("the listen address (--listen, S3CORS_LISTEN or \"listen\") expects HOST:PORT, "
                    "not '{}'",
                    listen_text));
  }

  s3cors::net::log_level level = s3cors::net::log_level::info;
  const std::string level_text = cli.log_level.value_or(file_config.log_level.value_or("info"));
  if (!s3cors::net::parse_log_level(level_text, level)) {
    throw usage_error(
        fmt::format("the log level (--log-level, S3CORS_LOG_LEVEL or \"log_level\") expects debug, "
                    "info, warn, error or off, not '{}'",
                    level_text));
  }
  s3cors::net::set_log_level(level);
  s3cors::net::log_format format = s3cors::net::log_format::text;
  const std::string format_text = cli.log_format.value_or(file_config.log_format.value_or("text"));
  if (!s3cors::net::parse_log_format(format_text, format)) {
    throw usage_error(fmt::format(
        "the log format (--log-format, S3CORS_LOG_FORMAT or \"log_format\") expects text or json, not '{}'",
        format_text));
  }
  s3cors::net::set_log_format(format);

  // With no key pair, any signature is accepted (local development); with one, every
  // request is verified (README "Authentication").
  auto credentials = merged_credentials(file_config.credentials);
  if (!credentials.empty()) {
    s3cors::net::log_line(s3cors::net::log_level::debug,
                          fmt::format("{} access key pair(s) configured", credentials.size()));
  }

  s3cors::store::fs_store store(s3cors::store::fs_store_options{
      *root, cli.follow_symlinks.value_or(file_config.follow_symlinks_outside_root)});

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
  service_options.credentials = s3cors::auth::credential_set(std::move(credentials));
  service_options.max_object_size = file_config.limit.max_body_bytes;
  service_options.access_log_details =
      format == s3cors::net::log_format::json && level != s3cors::net::log_level::off;
  s3cors::s3::service service(store, cors, service_options);
  service.acls().set_file_acls(bucket_acls_of(file_config));

  s3cors::net::server_options options;
  options.host = listen->host;
  options.port = listen->port;
  options.threads =
      cli.threads.value_or(file_config.threads.value_or(std::max(1u, std::thread::hardware_concurrency())));
  options.level = level;
  const auto& limit = file_config.limit;
  options.header_limit = static_cast<std::size_t>(limit.max_header_bytes);
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

  s3cors::net::http_server server(options, s3cors::net::service_handler(service));
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
      service.acls().set_file_acls(bucket_acls_of(config));
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

// --- s3cors healthcheck ---------------------------------------------------------------------
// A tiny blocking HTTP/1.1 client, so that a container's HEALTHCHECK needs nothing but the
// s3cors binary: GET URL (default: the health endpoint on S3CORS_LISTEN's port, via loopback),
// exit 0 on 200 and 1 otherwise, with one line saying why.

constexpr std::string_view healthcheck_usage = R"(Usage: s3cors healthcheck [--timeout SECONDS] [URL]
Fetches URL (default http://127.0.0.1:PORT/_s3cors/health, PORT from S3CORS_LISTEN, else 9000)
and exits 0 when it answers 200, 1 otherwise. HOST must be an IP address or localhost.
)";

struct probe_target {
  std::string host;  ///< an IP literal, without brackets
  std::uint16_t port = 9000;
  std::string path = std::string(s3cors::s3::health_path);
};

probe_target default_probe_target() {
  probe_target out;
  out.host = "127.0.0.1";
  const auto listen = s3cors::config::parse_listen(env("S3CORS_LISTEN").value_or("127.0.0.1:9000"));
  if (!listen) throw usage_error("S3CORS_LISTEN is not HOST:PORT");
  if (listen->port == 0) throw usage_error("S3CORS_LISTEN names port 0: pass the URL to probe");
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

probe_target parse_probe_url(std::string_view url) {
  probe_target out;
  if (url.starts_with("http://")) url.remove_prefix(7);
  if (url.find("://") != std::string_view::npos) throw usage_error("healthcheck: only http:// URLs");
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw usage_error("healthcheck: bad IPv6 address in URL");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw usage_error("healthcheck: bad URL");
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  out.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  if (!port.empty()) {
    const auto listen = s3cors::config::parse_listen(fmt::format("x:{}", port));
    if (!listen || listen->port == 0) throw usage_error(fmt::format("healthcheck: bad port '{}'", port));
    out.port = listen->port;
  } else {
    out.port = 80;
  }
  return out;
}

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

// One line on stdout (the container engine keeps it) and the exit code.
int probe(const probe_target& target, std::chrono::milliseconds timeout) {
  const std::string shown = target.host.find(':') != std::string::npos
                                ? fmt::format("http://[{}]:{}{}", target.host, target.port, target.path)
                                : fmt::format("http://{}:{}{}", target.host, target.port, target.path);
  auto unhealthy = [&](std::string_view why) {
    std::printf("unhealthy: %s: %.*s\n", shown.c_str(), static_cast<int>(why.size()), why.data());
    return 1;
  };
  sockaddr_storage address{};
  socklen_t address_size = 0;
  if (target.host.find(':') != std::string::npos) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    if (::inet_pton(AF_INET6, target.host.c_str(), &v6->sin6_addr) != 1)
      return unhealthy("not an IPv6 address");
    address_size = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    if (::inet_pton(AF_INET, target.host.c_str(), &v4->sin_addr) != 1) {
      return unhealthy("the host must be an IP address or localhost");
    }
    address_size = sizeof(sockaddr_in);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unhealthy(std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_exit{fd};

  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), address_size) != 0) {
    if (errno != EINPROGRESS) return unhealthy(std::strerror(errno));
    if (!wait_for(fd, POLLOUT, deadline)) return unhealthy("connect timed out");
    int error = 0;
    socklen_t size = sizeof(error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return unhealthy(std::strerror(error));
  }
  const std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: s3cors-healthcheck\r\nConnection: close\r\n\r\n",
      target.path, target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host,
      target.port);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return unhealthy("send timed out");
    } else {
      return unhealthy(std::strerror(errno));
    }
  }
  // The status line is all that matters.
  std::string received;
  while (received.find("\r\n") == std::string::npos && received.size() < 4096) {
    if (!wait_for(fd, POLLIN, deadline)) return unhealthy("no answer in time");
    char buffer[1024];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      return unhealthy(std::strerror(errno));
    }
  }
  const std::string status_line = received.substr(0, received.find("\r\n"));
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    return unhealthy("not an HTTP response");
  }
  if (status_line.compare(9, 3, "200") != 0) return unhealthy(status_line);
  std::printf("healthy: %s: %s\n", shown.c_str(), status_line.c_str());
  return 0;
}

int run_healthcheck(int argc, char** argv) {
  std::chrono::milliseconds timeout{2000};
  std::optional<std::string> url;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(healthcheck_usage.data(), stdout);
      return 0;
    }
    if (arg == "--timeout") {
      if (i + 1 >= argc) throw usage_error("--timeout needs a value");
      const std::string text = argv[++i];
      char* end = nullptr;
      const double seconds = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(seconds > 0) || seconds > 3600) {
        throw usage_error(fmt::format("--timeout expects seconds (e.g. 2 or 0.5), not '{}'", text));
      }
      timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else if (!arg.starts_with("-") && !url) {
      url = std::string(arg);
    } else {
      throw usage_error(
          fmt::format("healthcheck: unexpected argument '{}' (see s3cors healthcheck --help)", arg));
    }
  }
  return probe(url ? parse_probe_url(*url) : default_probe_target(), timeout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "cors")
    return s3cors::server::run_cors_command(argc - 2, argv + 2);
  try {
    if (argc >= 2 && std::string_view(argv[1]) == "healthcheck") return run_healthcheck(argc - 2, argv + 2);
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "s3cors: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors: %s\n", e.what());
    return 1;
  }
}
