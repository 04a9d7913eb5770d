#include "s3cors/app/settings.hpp"

#include "config_loader.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace s3cors::app {

void throw_exception_from_error(const usage_error& e, const boost::source_location&) {
  throw std::invalid_argument(e.message);
}

std::optional<std::string> process_environment(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

const config::server_config& settings::file_settings() const {
  static const config::server_config defaults;
  return file ? file->content : defaults;
}

namespace {

result<unsigned, usage_error> parse_threads(const std::string& text, std::string_view what) {
  const usage_error error{fmt::format("{} expects a number from 1 to 1024, not '{}'", what, text)};
  try {
    std::size_t used = 0;
    const unsigned long n = std::stoul(text, &used);
    if (used != text.size() || n == 0 || n > 1024 || text.front() == '-') return error;
    return static_cast<unsigned>(n);
  } catch (const std::logic_error&) {
    return error;
  }
}

// An environment variable, or nullopt when unset or empty.
std::optional<std::string> env(const env_lookup& environment, std::string_view name) {
  auto value = environment(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

// The environment's settings, in the same shape as the flags'.
result<flags, usage_error> environment_flags(const env_lookup& environment) {
  flags out;
  out.root = env(environment, "S3CORS_ROOT");
  out.listen = env(environment, "S3CORS_LISTEN");
  out.config = env(environment, "S3CORS_CONFIG");
  out.log_level = env(environment, "S3CORS_LOG_LEVEL");
  out.log_format = env(environment, "S3CORS_LOG_FORMAT");
  out.domain = env(environment, "S3CORS_DOMAIN");
  if (auto threads = env(environment, "S3CORS_THREADS")) {
    auto parsed = parse_threads(*threads, "S3CORS_THREADS");
    if (!parsed) return parsed.error();
    out.threads = *parsed;
  }
  for (auto [name, flag] :
       {std::pair{"S3CORS_FOLLOW_SYMLINKS", &out.follow_symlinks}, std::pair{"S3CORS_FSYNC", &out.fsync},
        std::pair{"S3CORS_SIGV2", &out.sigv2}, std::pair{"S3CORS_INSPECTOR", &out.inspector}}) {
    if (auto text = env(environment, name)) {
      if (*text == "1" || *text == "true" || *text == "yes") {
        *flag = true;
      } else if (*text == "0" || *text == "false" || *text == "no") {
        *flag = false;
      } else {
        return usage_error{fmt::format("{} expects 1/true/yes or 0/false/no, not '{}'", name, *text)};
      }
    }
  }
  return out;
}

// Flags win over the environment.
flags merge(flags command_line, flags environment) {
  auto pick = [](auto& flag, auto& from_env) {
    if (!flag) flag = std::move(from_env);
  };
  pick(command_line.root, environment.root);
  pick(command_line.listen, environment.listen);
  pick(command_line.config, environment.config);
  pick(command_line.log_level, environment.log_level);
  pick(command_line.log_format, environment.log_format);
  pick(command_line.domain, environment.domain);
  pick(command_line.threads, environment.threads);
  pick(command_line.follow_symlinks, environment.follow_symlinks);
  pick(command_line.fsync, environment.fsync);
  pick(command_line.sigv2, environment.sigv2);
  pick(command_line.inspector, environment.inspector);
  return command_line;
}

// The configuration file's key pairs plus the environment's one pair, which replaces a file
// entry with the same access key id.
result<std::vector<auth::credential>, usage_error> merged_credentials(std::vector<auth::credential> keys,
                                                                      const env_lookup& environment) {
  auto id = env(environment, "S3CORS_ACCESS_KEY_ID");
  auto secret = env(environment, "S3CORS_SECRET_ACCESS_KEY");
  if (!id && !secret) return keys;
  if (!id || !secret) {
    return usage_error{"S3CORS_ACCESS_KEY_ID and S3CORS_SECRET_ACCESS_KEY must be set together"};
  }
  if (!config::is_valid_access_key_id(*id)) {
    return usage_error{"S3CORS_ACCESS_KEY_ID expects 1 to 128 ASCII letters, digits, '_' or '-'"};
  }
  std::erase_if(keys, [&](const auth::credential& key) { return key.access_key_id == *id; });
  keys.push_back({std::move(*id), std::move(*secret)});
  return keys;
}

// The flags merged with the environment's settings. Fails on an invalid environment value,
// even one a flag overrides.
result<flags, usage_error> given_settings(const flags& command_line, const env_lookup& environment) {
  auto from_env = environment_flags(environment);
  if (!from_env) return from_env.error();
  return merge(command_line, std::move(*from_env));
}

result<std::filesystem::path, usage_error> resolve_root(const flags& given,
                                                        const std::optional<config_file>& file) {
  // Tagged: usage_error is constructible from a path too (through std::string).
  using boost::system::in_place_value;
  if (given.root) return {in_place_value, *given.root};
  // A root in the config file is relative to the file, so the file works from any directory.
  if (file && file->content.root) return {in_place_value, file->path.parent_path() / *file->content.root};
  return usage_error{"--root DIR (or S3CORS_ROOT, or \"root\" in the config file) is required"};
}

}  // namespace

result<flags, usage_error> parse_flags(std::span<const std::string_view> args) {
  flags out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    std::optional<std::string> value;
    const bool takes_value = arg == "--root" || arg == "--listen" || arg == "--config" ||
                             arg == "--log-level" || arg == "--log-format" || arg == "--domain" ||
                             arg == "--threads";
    if (takes_value) {
      if (inline_value) {
        value = std::string(*inline_value);
      } else if (i + 1 < args.size()) {
        value = std::string(args[++i]);
      } else {
        return usage_error{fmt::format("option {} needs a value", arg)};
      }
    }
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return out;
    } else if (arg == "--version") {
      out.version = true;
      return out;
    } else if (arg == "--root") {
      out.root = std::move(value);
    } else if (arg == "--listen") {
      out.listen = std::move(value);
    } else if (arg == "--config") {
      out.config = std::move(value);
    } else if (arg == "--log-level") {
      out.log_level = std::move(value);
    } else if (arg == "--log-format") {
      out.log_format = std::move(value);
    } else if (arg == "--domain") {
      out.domain = std::move(value);
    } else if (arg == "--follow-symlinks") {
      out.follow_symlinks = true;
    } else if (arg == "--no-fsync") {
      out.fsync = false;
    } else if (arg == "--no-sigv2") {
      out.sigv2 = false;
    } else if (arg == "--inspector") {
      out.inspector = true;
    } else if (arg == "--no-inspector") {
      out.inspector = false;
    } else if (arg == "--threads") {
      auto threads = parse_threads(*value, "--threads");
      if (!threads) return threads.error();
      out.threads = *threads;
    } else {
      return usage_error{fmt::format("unknown option '{}' (see --help)", arg)};
    }
  }
  return out;
}

std::optional<std::filesystem::path> config_file_of(const flags& command_line,
                                                    const env_lookup& environment) {
  if (command_line.config) return std::filesystem::path(*command_line.config);
  if (auto from_env = env(environment, "S3CORS_CONFIG")) return std::filesystem::path(*from_env);
  return std::nullopt;
}

result<settings, usage_error> resolve_settings(const flags& command_line, const env_lookup& environment,
                                               std::optional<config_file> file, unsigned default_threads) {
  auto merged = given_settings(command_line, environment);
  if (!merged) return merged.error();
  const flags& given = *merged;

  settings out;
  auto root = resolve_root(given, file);
  if (!root) return root.error();
  out.root = std::move(*root);
  out.file = std::move(file);
  const config::server_config& in_file = out.file_settings();

  const std::string listen_text = given.listen.value_or(in_file.listen.value_or("127.0.0.1:9000"));
  auto listen = config::parse_listen(listen_text);
  if (!listen) {
    return usage_error{
        fmt::format("the listen address (--listen, S3CORS_LISTEN or \"listen\") expects HOST:PORT, not '{}'",
                    listen_text)};
  }
  out.listen = std::move(*listen);

  const std::string level_text = given.log_level.value_or(in_file.log_level.value_or("info"));
  if (!net::parse_log_level(level_text, out.log_level)) {
    return usage_error{
        fmt::format("the log level (--log-level, S3CORS_LOG_LEVEL or \"log_level\") expects debug, "
                    "info, warn, error or off, not '{}'",
                    level_text)};
  }
  const std::string format_text = given.log_format.value_or(in_file.log_format.value_or("text"));
  if (!net::parse_log_format(format_text, out.log_format)) {
    return usage_error{fmt::format(
        "the log format (--log-format, S3CORS_LOG_FORMAT or \"log_format\") expects text or json, not '{}'",
        format_text)};
  }

  auto credentials = merged_credentials(in_file.credentials, environment);
  if (!credentials) return credentials.error();
  out.credentials = std::move(*credentials);

  out.threads = given.threads.value_or(in_file.threads.value_or(default_threads));
  out.domain = given.domain.value_or(in_file.domain);
  out.follow_symlinks = given.follow_symlinks.value_or(in_file.follow_symlinks_outside_root);
  out.fsync = given.fsync.value_or(in_file.fsync);
  out.sigv2 = given.sigv2.value_or(in_file.sigv2);
  out.inspector = given.inspector ? given.inspector : in_file.inspector;
  return out;
}

bool inspector_enabled(const settings& s) {
  if (s.inspector) return *s.inspector;
  if (!config::is_loopback_host(s.listen.host)) return false;
  for (const auto& [name, d] : s.file_settings().distributions) {
    const auto address = config::parse_listen(d.listen);
    if (!address || !config::is_loopback_host(address->host)) return false;
  }
  return true;
}

result<settings, usage_error> load_settings(const flags& command_line, const env_lookup& environment,
                                            unsigned default_threads) {
  // The order of the checks is the binary's: the environment's values, the file, the root
  // (present, then a directory), then the other settings.
  const auto given = given_settings(command_line, environment);
  if (!given) return given.error();
  std::optional<config_file> file;
  if (auto path = config_file_of(command_line, environment)) {
    file = config_file{*path, load_config_file(*path)};
  }
  const auto root = resolve_root(*given, file);
  if (!root) return root.error();
  check_data_root(*root);
  return resolve_settings(command_line, environment, std::move(file), default_threads);
}

}  // namespace s3cors::app
