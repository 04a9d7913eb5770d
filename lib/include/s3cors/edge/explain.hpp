#pragma once
// `s3cors edge explain` (docs/edge.md §10): for a distribution and a sequence of viewer requests,
// the behaviour each one matches (and by which path pattern), its cache key, what reaches the
// origin, and — replayed through a gateway with an injected clock — which request populates each
// cache entry, what every later one receives, and whether a browser accepts it (CORS). Pure: the
// origin is passed in (the CLI passes this server's S3 service over the configured data root).
#include "s3cors/cors/configuration.hpp"
#include "s3cors/edge/cache_key.hpp"
#include "s3cors/edge/distribution.hpp"
#include "s3cors/edge/origin.hpp"
#include "s3cors/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::edge {

/// One viewer request of a sequence.
struct explain_request {
  std::string method = "GET";
  std::string target;  ///< path with optional "?query", e.g. "/hls/index.m3u8"
  std::vector<header_field> headers;
  std::int64_t at = 0;  ///< seconds after the sequence's start (the injected clock)

  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;
  [[nodiscard]] std::string_view path() const noexcept;
  [[nodiscard]] std::string_view query() const noexcept;
};

/// "Name: value" (spaces around the value trimmed) as a header field; nullopt without a ':' or a name.
[[nodiscard]] std::optional<header_field> parse_header_line(std::string_view line);

/// A requests file: a JSON array (or {"requests": [...]}) of
///   {"method": "GET", "path": "/video.mp4", "headers": {"Origin": "https://player.example"}, "at": 0}
/// "method" defaults to GET, "headers" is an object or an array of "Name: value" strings, "at"
/// (seconds, not decreasing) defaults to the previous request's. The error names the item.
[[nodiscard]] result<std::vector<explain_request>, std::string> parse_explain_requests(std::string_view json);

/// The part of the explanation that needs no cache: behaviour, cache key, origin request.
struct request_routing {
  std::optional<std::size_t> behavior_index;  ///< index in CacheBehaviors; nullopt: the default one
  const cache_behavior* behavior = nullptr;
  bool allowed = true;  ///< the method is among the behaviour's allowed methods
  bool cached = true;   ///< ... and among its cached methods (else it goes to the origin uncached)
  cache_key key;
  origin_request to_origin;
};

[[nodiscard]] request_routing route_request(const distribution_config& config,
                                            const explain_request& request);

/// A browser's CORS check of a response (the Fetch standard's CORS check, and for a preflight
/// its status, method and header checks).
struct browser_verdict {
  enum class kind { not_cors, allowed, blocked } outcome = kind::not_cors;
  std::string reason;  ///< one line: what the browser accepted or why it refuses
};

/// A request with Origin is judged: Access-Control-Allow-Origin must be "*" or exactly the
/// Origin. A preflight (OPTIONS with Access-Control-Request-Method) must also answer 2xx, allow the
/// method unless it is GET, HEAD or POST (listed in Access-Control-Allow-Methods, or "*"), and
/// allow each requested header that is not CORS-safelisted (Access-Control-Allow-Headers, or "*").
/// Credentialed requests are not modelled: "*" counts as allowed.
[[nodiscard]] browser_verdict judge_as_browser(const request_view& request, int status,
                                               const std::vector<header_field>& response_headers);

/// What one request of the sequence received.
struct explained_step {
  request_routing routing;
  int status = 0;
  std::string x_cache;             ///< the X-Cache value ("" when absent)
  std::optional<std::string> age;  ///< Age when sent
  std::vector<header_field> cors;  ///< the Access-Control-* and Vary headers received
  browser_verdict verdict;
  /// The request (index in the sequence) whose response the cache entry it was answered from, or
  /// that it stored, came from; nullopt when not answered from or stored in the cache.
  std::optional<std::size_t> entry_from;
  bool stored = false;                      ///< this request stored (or refreshed) its key's entry
  std::uint64_t ttl = 0;                    ///< the stored entry's TTL when `stored`
  std::optional<std::string> entry_origin;  ///< the Origin the entry was stored for (nullopt: none)
  /// For a request with Origin: what the bucket's CORS rules make of the origin request (see
  /// bucket_cors_judgement); nullopt when not asked (no lookup given) or not a CORS request.
  std::optional<std::string> bucket_rules;
};

/// The bucket's CORS configuration (nullptr: none), as the S3 service would find it.
using bucket_cors_lookup =
    std::function<std::shared_ptr<const cors::cors_configuration>(std::string_view bucket)>;

/// One line: how the bucket's rules (as `s3cors cors explain` evaluates them) answer the origin
/// request of `request` — "Origin is not forwarded to the bucket ...", "no CORS configuration ...",
/// "matched rule N: ..." or "no match: rule 0 origin_mismatch (...)".
[[nodiscard]] std::string bucket_cors_judgement(const cors::cors_configuration* config,
                                                const explain_request& request,
                                                const origin_request& to_origin);

/// Replays the requests through a fresh gateway of `config` over `origin`, with the clock at
/// start + request.at. Nothing is sent over a network. With `bucket_cors`, each request with
/// Origin also gets bucket_rules.
[[nodiscard]] std::vector<explained_step> replay(const distribution_config& config, const origin& origin,
                                                 const std::vector<explain_request>& requests,
                                                 std::chrono::sys_seconds start,
                                                 const bucket_cors_lookup& bucket_cors = {});

/// The routing lines `s3cors edge explain` prints for one request: the behaviour (and which path
/// pattern matched), its three policies, the method (refused, forwarded uncached) or the cache key,
/// and what a miss sends to the origin (method, bucket path, headers, query string). Each line is
/// indented by two spaces and '\n'-terminated. Also the inspector's detail of a distribution's
/// record (docs/inspector.md).
[[nodiscard]] std::string render_routing(const explain_request& request, const request_routing& routing);

/// A change to the distribution's configuration (s3cors's JSON, docs/edge.md §9) that lets a
/// browser read a cross-origin answer it refused, when the distribution is what stands in the way.
struct distribution_fix {
  std::string summary;  ///< "forward the Origin header: ..."
  /// A fragment of the configuration file to merge: {"distributions": {NAME: {BEHAVIOUR: {...}}}}.
  std::string configuration_json;
};

/// access_note::edge_details::cache_entry of an answer from the cache: the entry was stored for
/// entry_with_origin + ORIGIN, or for entry_without_origin.
inline constexpr std::string_view entry_with_origin = "a request with Origin ";
inline constexpr std::string_view entry_without_origin = "a request with no Origin";

/// What the viewer's request met at the distribution, beyond its routing.
struct edge_facts {
  /// The Origin of the request whose answer the cache entry held, for an answer from the cache
  /// (Hit, RefreshHit); nullopt: none (or not from the cache). `from_cache` says which.
  bool from_cache = false;
  std::optional<std::string> entry_origin;
};

/// The distribution's part of a refusal, in the order the request went, or nullopt when the
/// distribution passes the request and the bucket's answer through unchanged (the fix is then the
/// bucket's rules: cors::suggest_fix on the origin request):
/// - the behaviour does not allow the method (403 at the edge): allow it (OPTIONS for a
///   preflight: GET, HEAD, OPTIONS);
/// - the origin request lacks Origin (or, for a preflight, Access-Control-Request-Method, or the
///   Access-Control-Request-Headers the viewer sent), and no response headers policy adds CORS
///   headers for that Origin: forward them with the managed origin request policy CORS-S3Origin;
/// - the answer came from an entry stored for another Origin (or none) while the cache key does
///   not hold Origin: put Origin in the cache policy's key (an inline copy of the policy with
///   Origin among its headers).
/// `name` is the distribution's name in the configuration file.
[[nodiscard]] std::optional<distribution_fix> suggest_distribution_fix(std::string_view name,
                                                                       const explain_request& request,
                                                                       const request_routing& routing,
                                                                       const edge_facts& facts);

/// The whole text `s3cors edge explain` prints for `steps` of `requests` (name: the distribution's
/// name in the configuration file).
[[nodiscard]] std::string render_explanation(std::string_view name, const distribution_config& config,
                                             const std::vector<explain_request>& requests,
                                             const std::vector<explained_step>& steps);

/// The warning for a cross-origin request answered from cache without what the browser needs
/// (Access-Control-Allow-Origin): names the distribution, the request, the cache key (its parts
/// joined with " | "), the Origin the entry was stored for, and the fixes.
[[nodiscard]] std::string refused_from_cache_message(std::string_view distribution, std::string_view method,
                                                     std::string_view target, std::string_view origin,
                                                     std::string_view x_cache, std::string_view key,
                                                     const std::optional<std::string>& stored_for_origin,
                                                     std::string_view reason);

}  // namespace s3cors::edge
