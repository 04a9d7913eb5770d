#pragma once
// The running application behind the transport: the object store, the CORS rules, the S3
// service and the server options, built from resolved settings. It reloads the configuration
// file's CORS rules and ACLs, and sweeps abandoned multipart uploads; the caller says when
// (main: on SIGHUP, on a file change, once a second) and what time it is.
#include "s3cors/app/settings.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/edge/gateway.hpp"
#include "s3cors/faults/fault_service.hpp"
#include "s3cors/inspector/endpoints.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/object_store.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::app {

enum class reload_status {
  applied,         ///< the file's new CORS rules and ACLs are in force
  rejected,        ///< the file or a CORS document it names is invalid; the previous ones stay
  no_config_file,  ///< the server runs without a configuration file: nothing to reload
};

struct reload_outcome {
  reload_status status = reload_status::no_config_file;
  std::string reason;  ///< why it was rejected (the file and the field); empty otherwise
};

/// Uploads are swept at most once per interval, and at the first call.
inline constexpr std::chrono::seconds sweep_interval{60};

struct sweep_outcome {
  bool has_run = false;     ///< false: not due yet, or expiry is 0 (never)
  std::size_t removed = 0;  ///< uploads removed
};

/// A distribution of the configuration file, ready to serve: the transport gives it a listener.
struct distribution_endpoint {
  std::string name;
  net::server_options options;  ///< the main listener's, with the distribution's address
  edge::gateway* gateway = nullptr;
};

class application {
 public:
  /// Opens the store and loads the CORS rules: the configuration file's and those set with
  /// PutBucketCors (a stored document that no longer parses is logged and skipped). Throws
  /// std::runtime_error when the data root is not a directory or a CORS document the file
  /// names is invalid.
  explicit application(settings resolved);
  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  [[nodiscard]] const settings& current_settings() const noexcept;
  /// Listen address, threads, log level and the file's limits.
  [[nodiscard]] const net::server_options& server_options() const noexcept;
  /// Handles requests; thread-safe.
  [[nodiscard]] s3::service& service() noexcept;
  /// The inspector's endpoints (/_s3cors/inspector, docs/inspector.md); when it is on,
  /// server_options() and the distributions' options carry its capture.
  [[nodiscard]] const inspector::endpoints& inspector() const noexcept;
  [[nodiscard]] cors::cors_registry& cors() noexcept;
  [[nodiscard]] store::object_store& store() noexcept;
  /// Media faults (docs/faults.md): the configuration file's rules (replaced on reload when the
  /// file's "faults" changed), the API's, and the media index built from the buckets' playlists
  /// (at start and on reload; writes refresh it through net::with_faults).
  [[nodiscard]] faults::fault_service& faults() noexcept;
  /// The configuration file's distributions (docs/edge.md §9), each with its gateway. Built at
  /// startup; a reload does not change them (a restart does).
  [[nodiscard]] std::vector<distribution_endpoint> distributions();

  /// Re-reads the configuration file and the CORS documents it names, and replaces the
  /// file's CORS rules and bucket ACLs. An invalid edit is rejected with its reason and the
  /// rules in force stay. Logs one line either way (reason says why it was asked: "SIGHUP").
  reload_outcome reload(std::string_view reason);

  /// Whether the configuration file, or a CORS document it names, changed since the last
  /// (re)load; false without a configuration file.
  [[nodiscard]] bool has_config_changed() const;

  /// Removes the multipart uploads initiated before now - abandoned_upload_seconds, at most
  /// once per sweep_interval of the times given (the first call sweeps). No clock inside: now
  /// is the caller's. A store failure is reported as an error; the next call is then due
  /// after sweep_interval as well.
  [[nodiscard]] result<sweep_outcome> sweep(store::seconds_time now);

  /// Rebuilds the media index from the store (reads every playlist: not on a network thread).
  void index_media(std::string_view reason);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace s3cors::app
