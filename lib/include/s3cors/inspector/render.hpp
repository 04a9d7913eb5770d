#pragma once
// What the inspector sends (docs/inspector.md): a record as a table row (JSON and server-sent
// event), its detail with the CORS explanation and suggested fix, and HAR 1.2 exports.
#include "s3cors/cors/configuration.hpp"
#include "s3cors/edge/explain.hpp"
#include "s3cors/inspector/capture.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace s3cors::inspector {

/// The row of the live table:
/// {"id","time","listener","distribution","method","target","bucket","key","status",
/// "bytes","duration_ms","origin","cors","edge_cache","fault","note","refused","preflight"}.
/// Absent strings are null.
[[nodiscard]] std::string row_json(const record& r);

/// One server-sent event: "id: N\nevent: request\ndata: <row_json>\n\n".
[[nodiscard]] std::string request_event(const record& r);
/// "event: dropped\ndata: {"dropped":N}\n\n": the page missed records (it read too slowly).
[[nodiscard]] std::string dropped_event(std::uint64_t dropped);

/// What `s3cors cors explain` prints for a record, and the fix for a refusal, computed now from
/// the stored request and the bucket's configuration (nullptr: the bucket has none).
struct cors_analysis {
  std::string explanation;  ///< empty when the request was not cross-origin (no Origin)
  bool preflight = false;
  bool has_suggestion = false;
  std::string layer = "bucket";    ///< what to change: "bucket" (its CORS rules) or "distribution"
  std::string summary;             ///< "add HEAD to rule 2's AllowedMethods"
  std::string configuration_json;  ///< the whole changed configuration, for put-bucket-cors; for the
                                   ///< distribution a fragment of the configuration file (may be empty)
};
[[nodiscard]] cors_analysis analyse(const record& r, const cors::cors_configuration* config);

/// The same for a record of a distribution's listener (`name` in the configuration file), both
/// layers in the order the request went: the distribution (behaviour, cache key, what it forwards,
/// the cache's answer, its response headers policy), then the bucket's rules for the request as
/// the edge forwarded it (none when Origin was not forwarded), then the browser's check of what
/// was received. A refusal's fix names its layer: edge::suggest_distribution_fix when the
/// distribution stands in the way, else cors::suggest_fix on the forwarded request.
[[nodiscard]] cors_analysis analyse_edge(const record& r, std::string_view name,
                                         const edge::distribution_config& config,
                                         const edge::bucket_cors_lookup& bucket_cors);

/// The detail of one record: row_json's fields, "request_headers" and "response_headers"
/// ([[name, value], ...]), "headers_truncated", "response_headers_policy" and "cache_entry" (a
/// distribution's, else null), "explanation" (text or null), and "suggestion":
/// {"layer","summary","configuration_json"} for a refusal a change fixes, else null.
[[nodiscard]] std::string detail_json(const record& r, const cors_analysis& analysis);

/// A HAR 1.2 log ({"log":{"version":"1.2","creator":...,"entries":[...]}}) of the records, in
/// order. URLs are http://<Host header><target>. s3cors's own fields are in "_s3cors" of each
/// entry (custom fields start with an underscore).
[[nodiscard]] std::string har_json(std::span<const std::shared_ptr<const record>> records,
                                   std::string_view version);

}  // namespace s3cors::inspector
