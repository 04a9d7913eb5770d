#include "s3cors/app/application.hpp"

#include "config_loader.hpp"
#include "inspector_assets.hpp"
#include "s3cors/store/fs_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

namespace s3cors::app {
namespace {

// The buckets' "acl" settings of the configuration file (s3/access.hpp says what they allow).
std::map<std::string, std::string, std::less<>> bucket_acls_of(const config::server_config& config) {
  std::map<std::string, std::string, std::less<>> acls;
  for (const auto& [bucket, settings] : config.buckets) {
    if (settings.acl) acls.emplace(bucket, *settings.acl);
  }
  return acls;
}

// The files a failed reload keeps watching: the config file and the CORS files it named
// before, so that the next edit is noticed.
std::vector<std::filesystem::path> watch_files_of(const config::server_config& config,
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

const std::filesystem::path& checked_root(const std::filesystem::path& root) {
  check_data_root(root);
  return root;
}

store::fs_store_options store_options_of(const settings& s) {
  store::fs_store_options options{checked_root(s.root), s.follow_symlinks};
  options.durable_writes = s.fsync;
  return options;
}

net::server_options server_options_of(const settings& s) {
  net::server_options options;
  options.host = s.listen.host;
  options.port = s.listen.port;
  options.threads = s.threads;
  options.level = s.log_level;
  const auto& limit = s.file_settings().limit;
  options.header_limit = static_cast<std::size_t>(limit.max_header_bytes);
  options.max_connections = static_cast<std::size_t>(limit.max_connections);
  options.idle_timeout = std::chrono::seconds(limit.idle_timeout_seconds);
  options.header_timeout = std::chrono::seconds(limit.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(limit.body_timeout_seconds);
  options.write_timeout = std::chrono::seconds(limit.write_timeout_seconds);
  return options;
}

s3::service_options service_options_of(const settings& s) {
  s3::service_options options;
  options.routing.domain = s.domain;
  options.cors_debug_header = s.file_settings().cors_debug_header;
  options.credentials = auth::credential_set(s.credentials);
  options.sigv2 = s.sigv2;
  options.s3_bucket_defaults = s.file_settings().s3_bucket_defaults;
  options.access_log_details = s.log_format == net::log_format::json && s.log_level != net::log_level::off;
  options.max_object_size = s.file_settings().limit.max_body_bytes;
  return options;
}

}  // namespace

struct application::impl {
  settings current;
  std::filesystem::path config_dir;
  // The configuration whose CORS rules and ACLs are in force (startup or last reload).
  config::server_config applied;
  net::server_options options;
  // Declared in dependency order: the service refers to the store and the registry.
  store::fs_store store;
  cors::cors_registry cors;
  s3::service service;
  // Media faults (docs/faults.md): rules, the media index, the control API.
  faults::fault_service faults;
  // Edge mode: the origin seam over the service, and one gateway per distribution.
  edge::service_origin origin;
  std::vector<std::unique_ptr<edge::gateway>> gateways;
  std::vector<distribution_endpoint> endpoints;
  // The inspector (docs/inspector.md): its records, and its pages' endpoints.
  std::shared_ptr<inspector::capture> capture = std::make_shared<inspector::capture>();
  std::unique_ptr<inspector::endpoints> inspector;
  file_watch watch;
  std::optional<store::seconds_time> next_sweep;
  /// The environment's key pair (S3CORS_ACCESS_KEY_ID), which every reload keeps.
  std::optional<auth::credential> environment_key;

  explicit impl(settings s)
      : current(std::move(s)),
        config_dir(current.file ? current.file->path.parent_path() : std::filesystem::path{}),
        applied(current.file_settings()),
        options(server_options_of(current)),
        store(store_options_of(current)),
        service(store, cors, service_options_of(current)),
        faults(store, service, service_options_of(current).routing),
        origin(service) {
    // The key pair the file does not hold came from the environment.
    const auto& in_file = current.file_settings().credentials;
    for (const auto& key : current.credentials) {
      const bool from_file = std::any_of(in_file.begin(), in_file.end(), [&](const auth::credential& k) {
        return k.access_key_id == key.access_key_id && k.secret_access_key == key.secret_access_key;
      });
      if (!from_file) environment_key = key;
    }
    inspector::endpoint_options inspect;
    inspect.enabled = inspector_enabled(current);
    inspect.credentials = [this] { return service.credentials(); };
    for (const auto& f : inspector_files()) inspect.files.push_back({std::string(f.name), f.bytes});
    inspect.version = S3CORS_VERSION;
    // A distribution's records are explained through it (the gateways are made below).
    inspect.distribution = [this](std::string_view listener) -> const edge::distribution_config* {
      for (const auto& g : gateways) {
        if (g->options().name == listener) return &g->config();
      }
      return nullptr;
    };
    inspector = std::make_unique<inspector::endpoints>(*capture, cors, std::move(inspect));
    // Off, nothing is captured at all: the request path does not even load the atomic.
    if (inspector_enabled(current)) options.inspector = capture;
  }
};

namespace {

// What a reload changes in the key pairs, by access key id only: secrets are never logged.
std::string credential_changes(const std::vector<auth::credential>& before,
                               const std::vector<auth::credential>& after) {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  for (const auto& key : after) {
    const auto old = std::find_if(before.begin(), before.end(), [&](const auth::credential& k) {
      return k.access_key_id == key.access_key_id;
    });
    if (old == before.end()) {
      added.push_back(key.access_key_id);
    } else if (old->secret_access_key != key.secret_access_key) {
      changed.push_back(key.access_key_id);
    }
  }
  for (const auto& key : before) {
    if (std::none_of(after.begin(), after.end(),
                     [&](const auth::credential& k) { return k.access_key_id == key.access_key_id; })) {
      removed.push_back(key.access_key_id);
    }
  }
  std::string out;
  const auto list = [&](std::string_view what, const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    if (!out.empty()) out += "; ";
    out += fmt::format("{} {}", what, fmt::join(ids, ", "));
  };
  list("added", added);
  list("removed", removed);
  list("new secret for", changed);
  return out;
}

}  // namespace

application::application(settings resolved) : impl_(std::make_unique<impl>(std::move(resolved))) {
  // With no key pair, any signature is accepted (local development); with one, every
  // request is verified (README "Authentication").
  if (!impl_->current.credentials.empty()) {
    net::log_line(net::log_level::debug,
                  fmt::format("{} access key pair(s) configured", impl_->current.credentials.size()));
  }
  // CORS rules: the config file's (per bucket, and an optional default), and those set with
  // PutBucketCors, which win for their bucket (see README).
  auto loaded = load_file_cors(impl_->applied, impl_->config_dir);
  if (impl_->current.file) loaded.files.push_back(impl_->current.file->path);
  impl_->watch.watch(loaded.files);
  impl_->cors.set_file_configs(std::move(loaded.buckets), std::move(loaded.default_config));
  for (const auto& warning : load_api_cors(impl_->store, impl_->cors)) {
    net::log_line(net::log_level::warn, warning);
  }
  impl_->service.acls().set_file_acls(bucket_acls_of(impl_->applied));
  if (impl_->applied.faults) impl_->faults.engine().replace(*impl_->applied.faults);
  index_media("startup");
  for (const auto& [name, dist] : impl_->applied.distributions) {
    // A distribution's origin is a bucket of this server: one that does not exist is a
    // configuration error, reported at the field that names it.
    for (const auto& [bucket, pointer] : dist.bucket_pointers) {
      if (!impl_->store.stat_bucket(bucket)) {
        throw std::runtime_error(
            fmt::format("invalid config file {}: {}: no bucket \"{}\" under the data root {}",
                        impl_->current.file ? impl_->current.file->path.string() : "", pointer, bucket,
                        impl_->current.root.string()));
      }
    }
    edge::gateway_options options;
    options.name = name;
    options.cache_bytes = static_cast<std::size_t>(dist.cache_bytes);
    options.max_cached_object_bytes = dist.max_cached_object_bytes;
    options.warn = [](const std::string& line) { net::log_line(net::log_level::warn, line); };
    options.log_details = service_options_of(impl_->current).access_log_details;
    impl_->gateways.push_back(
        std::make_unique<edge::gateway>(dist.config, impl_->origin, std::move(options)));
    // Checked when the file was parsed.
    const auto address = config::parse_listen(dist.listen).value_or(config::listen_address{});
    net::server_options listen = impl_->options;
    listen.host = address.host;
    listen.port = address.port;
    listen.listener_name = name;
    impl_->endpoints.push_back({name, std::move(listen), impl_->gateways.back().get()});
  }
}

application::~application() = default;

const settings& application::current_settings() const noexcept {
  return impl_->current;
}

const net::server_options& application::server_options() const noexcept {
  return impl_->options;
}

const inspector::endpoints& application::inspector() const noexcept {
  return *impl_->inspector;
}

s3::service& application::service() noexcept {
  return impl_->service;
}

cors::cors_registry& application::cors() noexcept {
  return impl_->cors;
}

store::object_store& application::store() noexcept {
  return impl_->store;
}

faults::fault_service& application::faults() noexcept {
  return impl_->faults;
}

void application::index_media(std::string_view reason) {
  const std::size_t texts = impl_->faults.rebuild_index();
  net::log_line(net::log_level::debug, fmt::format("media index ({}): {} playlist(s)", reason, texts));
}

std::vector<distribution_endpoint> application::distributions() {
  return impl_->endpoints;
}

reload_outcome application::reload(std::string_view reason) {
  if (!impl_->current.file) return {reload_status::no_config_file, {}};
  const std::filesystem::path& path = impl_->current.file->path;
  try {
    auto config = load_config_file(path);
    auto loaded = load_file_cors(config, impl_->config_dir);
    loaded.files.push_back(path);
    impl_->watch.watch(loaded.files);
    impl_->cors.set_file_configs(std::move(loaded.buckets), std::move(loaded.default_config));
    impl_->service.acls().set_file_acls(bucket_acls_of(config));
    // Key pairs: the file's new ones, and the environment's, which replaces a file entry of
    // the same id as at start. Removed keys stop working at once.
    std::vector<auth::credential> keys = config.credentials;
    if (const auto& env_key = impl_->environment_key) {
      std::erase_if(keys,
                    [&](const auth::credential& k) { return k.access_key_id == env_key->access_key_id; });
      keys.push_back(*env_key);
    }
    const std::string changes = credential_changes(impl_->current.credentials, keys);
    impl_->current.credentials = keys;
    impl_->service.set_credentials(auth::credential_set(std::move(keys)));
    // Fault rules: the file's replace the list when its "faults" changed (removing it clears
    // them); an edit elsewhere keeps the rules added through /_s3cors/faults. A rule the edit
    // left alone keeps its counters.
    const bool faults_changed = config.faults != impl_->applied.faults;
    if (faults_changed)
      impl_->faults.engine().replace(config.faults.value_or(std::vector<faults::fault_rule>{}));
    impl_->applied = std::move(config);
    if (faults_changed) net::log_line(net::log_level::info, fmt::format("fault rules reloaded ({})", reason));
    index_media(reason);
    net::log_line(net::log_level::info, fmt::format("CORS configuration reloaded ({})", reason));
    if (!changes.empty()) net::log_line(net::log_level::info, "credentials reloaded: " + changes);
    if (!impl_->applied.distributions.empty()) {
      net::log_line(net::log_level::info,
                    "distributions are read at startup: changes to them take effect after a restart");
    }
    return {reload_status::applied, {}};
  } catch (const std::exception& e) {
    impl_->watch.watch(watch_files_of(impl_->applied, impl_->config_dir, path));
    net::log_line(net::log_level::warn,
                  fmt::format("configuration reload rejected ({}): {}; the previous CORS configuration "
                              "stays in force",
                              reason, e.what()));
    return {reload_status::rejected, e.what()};
  }
}

bool application::has_config_changed() const {
  return impl_->current.file && impl_->watch.changed();
}

result<sweep_outcome> application::sweep(store::seconds_time now) {
  // A reload replaces CORS rules and ACLs only: the expiry stays the startup file's.
  const std::chrono::seconds expiry(impl_->current.file_settings().abandoned_upload_seconds);
  if (expiry.count() == 0 || (impl_->next_sweep && now < *impl_->next_sweep)) return sweep_outcome{};
  impl_->next_sweep = now + sweep_interval;
  auto removed = impl_->store.remove_uploads_older_than(now - expiry);
  if (!removed) return removed.error();
  if (*removed > 0) {
    net::log_line(net::log_level::info, fmt::format("removed {} abandoned multipart upload(s)", *removed));
  }
  return sweep_outcome{true, *removed};
}

}  // namespace s3cors::app
