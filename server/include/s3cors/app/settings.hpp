#pragma once
// The server's settings from the command line, the environment and the configuration file.
// Precedence, for each setting: flag > environment > configuration file > default. An empty
// environment variable counts as unset (so `-e S3CORS_ROOT=` in a container unsets it).
#include "s3cors/auth/credentials.hpp"
#include "s3cors/config/config.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/result.hpp"

#include <boost/assert/source_location.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::app {

/// A command line or environment the server cannot run with; main prints the message and
/// exits 2.
struct usage_error {
  std::string message;
};

/// The hook result<T, usage_error>::value() calls: throws std::invalid_argument(message).
[[noreturn]] void throw_exception_from_error(const usage_error& e, const boost::source_location& where);

/// The value of an environment variable, or nullopt when it is not set. Injected, so that
/// tests never touch the process environment.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (getenv).
[[nodiscard]] std::optional<std::string> process_environment(std::string_view name);

/// The command-line flags, each set only when given.
struct flags {
  std::optional<std::string> root, listen, config, log_level, log_format, domain;
  std::optional<unsigned> threads;
  std::optional<bool> follow_symlinks;
  std::optional<bool> fsync;      ///< --no-fsync sets false
  std::optional<bool> sigv2;      ///< --no-sigv2 sets false
  std::optional<bool> inspector;  ///< --inspector / --no-inspector
  bool help = false;              ///< --help or -h: the arguments after it are not read
  bool version = false;           ///< --version: likewise
};

/// Parses the arguments after the program name (`--name VALUE` or `--name=VALUE`). Fails
/// on an unknown option, a missing value or a thread count outside 1..1024.
[[nodiscard]] result<flags, usage_error> parse_flags(std::span<const std::string_view> args);

/// The configuration file to read: --config, else S3CORS_CONFIG; nullopt for none.
[[nodiscard]] std::optional<std::filesystem::path> config_file_of(const flags& command_line,
                                                                  const env_lookup& environment);

/// A configuration file and its parsed content.
struct config_file {
  std::filesystem::path path;
  config::server_config content;
};

/// Everything the server runs with, resolved.
struct settings {
  std::filesystem::path root;  ///< relative to the config file's directory when it came from there
  config::listen_address listen;
  unsigned threads = 1;
  net::log_level log_level = net::log_level::info;
  net::log_format log_format = net::log_format::text;
  std::string domain;
  bool follow_symlinks = false;
  /// Acknowledge writes only once durable (store::fs_store_options::durable_writes).
  bool fsync = true;
  /// Accept Signature Version 2 (s3::service_options::sigv2).
  bool sigv2 = true;
  /// Serve /_s3cors/inspector; nullopt: not set anywhere, which means "only when every
  /// listener is on loopback" (inspector_enabled).
  std::optional<bool> inspector;
  /// The file's key pairs plus S3CORS_ACCESS_KEY_ID/S3CORS_SECRET_ACCESS_KEY, which replace
  /// the file's entry with the same access key id.
  std::vector<auth::credential> credentials;
  /// The configuration file (nullopt without one): limits, buckets' CORS and ACLs, reload.
  std::optional<config_file> file;
  /// The file's settings, or the defaults without a file.
  [[nodiscard]] const config::server_config& file_settings() const;
};

/// Whether the inspector is served: as set (flag, S3CORS_INSPECTOR, "inspector"), else only when
/// the main listener and every distribution's listen on loopback (config::is_loopback_host).
[[nodiscard]] bool inspector_enabled(const settings& s);

/// Resolves every setting from its sources. default_threads is the thread count when none
/// is given (main passes one per core). Fails, with the message main prints, when the root
/// is missing or a value is invalid (the listen address, the log level or format, a number
/// or boolean in the environment, a half or invalid key pair).
[[nodiscard]] result<settings, usage_error> resolve_settings(const flags& command_line,
                                                             const env_lookup& environment,
                                                             std::optional<config_file> file,
                                                             unsigned default_threads);

/// config_file_of, reads and parses that file, then resolve_settings, checking in the
/// binary's order: environment values, the file, the root, the other settings. Throws
/// std::runtime_error naming the file (and the field) when it cannot be read or parsed, and
/// when the data root is not a directory.
[[nodiscard]] result<settings, usage_error> load_settings(const flags& command_line,
                                                          const env_lookup& environment,
                                                          unsigned default_threads);

}  // namespace s3cors::app
