#pragma once
// The inspector's HTTP endpoints (docs/inspector.md), pure: the page, the live stream of
// records (server-sent events), one record's detail and the HAR export. All under
// /_s3cors/inspector, none readable cross-origin (no CORS headers, CORP same-origin).
#include "s3cors/auth/credentials.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/edge/distribution.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/inspector/capture.hpp"
#include "s3cors/s3/context.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::inspector {

inline constexpr std::string_view path_prefix = "/_s3cors/inspector";

/// Whether the path (no query) is the page or below it.
[[nodiscard]] bool is_inspector_path(std::string_view path) noexcept;

struct endpoint_options {
  /// Off: every inspector path answers 404 InspectorDisabled (the default off loopback).
  bool enabled = true;
  /// The key pairs in force (they change on reload); empty: no credentials asked. Otherwise
  /// every inspector request needs HTTP Basic with an access key id and its secret.
  std::function<std::shared_ptr<const auth::credential_set>()> credentials;
  /// The page's files: "index.html" is served at /_s3cors/inspector, the others by name below
  /// it (/_s3cors/inspector/inspector.js). Their bytes must outlive the endpoints.
  struct file {
    std::string name;
    std::string_view bytes;
  };
  std::vector<file> files;
  std::string version;  ///< HAR creator version
  /// The distribution a record's `listener` names (its name in the configuration file), for
  /// the detail of a distribution's records (both layers); nullptr or empty: not known, and such
  /// a record is explained without the distribution.
  std::function<const edge::distribution_config*(std::string_view listener)> distribution;
  /// Records already in the ring that a newly opened stream gets first.
  std::size_t backlog = 500;
};

class endpoints {
 public:
  /// The capture and registry must outlive this.
  endpoints(capture& records, const cors::cors_registry& cors, endpoint_options options)
      : capture_(records), cors_(cors), options_(std::move(options)) {}

  /// Answers a request whose path is_inspector_path: from memory, never waits.
  [[nodiscard]] answer handle(const request& req, const s3::request_context& ctx) const;

 private:
  capture& capture_;
  const cors::cors_registry& cors_;
  endpoint_options options_;
};

/// True when the Authorization header is "Basic base64(id:secret)" naming a configured pair.
[[nodiscard]] bool has_basic_credentials(const request& req, const auth::credential_set& keys);

}  // namespace s3cors::inspector
