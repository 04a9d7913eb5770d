#pragma once
// Media faults beside the S3 service (docs/faults.md §1, §7): the rule engine, the media index
// built from the playlists and MPDs in the store, the plan for each request and the
// /_s3cors/faults control API. No sockets, no clock: the transport passes the time and carries
// out the plan.
#include "s3cors/faults/engine.hpp"
#include "s3cors/faults/media_kind.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/route.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

namespace s3cors::store {
class object_store;
}
namespace s3cors::s3 {
class service;
}

namespace s3cors::faults {

/// The control API: GET (list), POST (add), DELETE (clear); DELETE control_path/NAME (remove).
inline constexpr std::string_view control_path = "/_s3cors/faults";
/// Playlists and MPDs above this size are not indexed (nor read).
inline constexpr std::uint64_t max_playlist_bytes = std::uint64_t{1} << 20;

/// What the transport does with one request.
struct directive {
  fault_plan plan;
  /// Sent instead of the handler's answer (whose handler then does not run): the injected error,
  /// with CORS headers as the service adds them to its own errors unless drop_cors.
  std::optional<answer> reply;
};

/// Whether a request-target names the control API (control_path, or control_path/NAME).
[[nodiscard]] bool is_control_target(std::string_view target) noexcept;

class fault_service {
 public:
  /// The store and service must outlive this.
  fault_service(const store::object_store& store, const s3::service& service, s3::routing_options routing);
  fault_service(const fault_service&) = delete;
  fault_service& operator=(const fault_service&) = delete;

  [[nodiscard]] fault_engine& engine() noexcept { return engine_; }

  /// Reads every bucket's playlists and MPDs (.m3u8, .m3u, .mpd, at most max_playlist_bytes each,
  /// and the playlists they name) into a new index and swaps it in. Waits for the disk: never
  /// on a network thread. Returns the number of texts indexed.
  std::size_t rebuild_index();
  /// Reads one key again after a write or delete: indexed when it is a playlist, forgotten when
  /// it is gone (or no longer one). Waits for the disk.
  void refresh(std::string_view bucket, std::string_view key);
  /// The bucket and key a successful req would change in the index: a PUT, POST (multipart
  /// completion) or DELETE of a key that is a playlist by its name or is indexed as one.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> playlist_written(const request& req) const;
  /// What the index (or the fallback) says the key is.
  [[nodiscard]] media_info media_of(std::string_view bucket, std::string_view key) const;

  /// The plan for a request, nullopt when no rule fires. Control requests (/_s3cors/...) are
  /// never faulted; preflights only by rules naming OPTIONS. Cheap when no rule is held.
  [[nodiscard]] std::optional<directive> decide(const request& req, const s3::request_context& ctx,
                                                steady_time now);

  /// The control API's answer to a request is_control_target named; body: a POST's document.
  [[nodiscard]] answer control(const request& req, std::string_view body, const s3::request_context& ctx);

 private:
  /// Reads a playlist (nullopt: missing, too large or unreadable).
  [[nodiscard]] std::optional<std::string> read_text(std::string_view bucket, std::string_view key) const;
  /// Adds a text and, in turn, the playlists it names that are not indexed yet (into an index
  /// nobody else sees yet: it reads files).
  std::size_t add_with_named(media_index& index, std::string_view bucket, std::string_view key,
                             std::string text) const;

  const store::object_store& store_;
  const s3::service& service_;
  s3::routing_options routing_;
  fault_engine engine_;
  mutable std::shared_mutex index_mutex_;
  media_index index_;
};

}  // namespace s3cors::faults
