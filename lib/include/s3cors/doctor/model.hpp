#pragma once
// The requests a web video player makes cross-origin for one stream (docs/doctor.md): from a
// master playlist or MPD (and its media playlists), per player, the method, Range form,
// request headers that force a preflight, credentials and the response headers it reads.
// Pure: the caller fetches the texts; every player fact cites the player's own source.
#include "s3cors/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::doctor {

enum class player { hls_js, video_js, shaka, dash_js };

/// "hls.js", "video.js", "shaka", "dash.js" (also "hlsjs", "videojs", "vhs", "shaka-player",
/// "dashjs"); nullopt for anything else.
[[nodiscard]] std::optional<player> parse_player(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(player p) noexcept;

enum class request_kind {
  manifest,
  media_playlist,
  key,
  init_segment,
  segment,
  byte_range_segment,
  clock_sync,
  probe
};

/// "manifest", "media playlist", "key", "init segment", "segment", "byte-range segment",
/// "clock sync", "type probe".
[[nodiscard]] std::string_view to_string(request_kind k) noexcept;

/// A response header the player reads from JavaScript, and how much it matters.
struct header_read {
  std::string name;    ///< as the player spells it, e.g. "Date"
  bool required;       ///< true: the feature fails without it; false: it degrades
  std::string source;  ///< the player code that reads it (file and function)

  friend bool operator==(const header_read&, const header_read&) = default;
};

struct player_request {
  request_kind kind;
  std::string url;                   ///< absolute
  std::string method = "GET";        ///< GET or HEAD
  std::optional<std::string> range;  ///< the Range header value, e.g. "bytes=0-1023"
  /// Request headers the player (or the page, --header) sets besides Range, lowercase: each
  /// forces a preflight.
  std::vector<std::string> headers;
  bool credentials = false;        ///< cookies are sent (withCredentials / credentials: 'include')
  std::vector<header_read> reads;  ///< response headers read from JavaScript
  std::string rendition;           ///< the media playlist / Representation it belongs to, "" for the manifest
  std::string source;              ///< the player code that makes this request (file and function)

  friend bool operator==(const player_request&, const player_request&) = default;
};

/// What the player is configured with beyond its defaults.
struct player_options {
  bool credentials = false;          ///< --credentials: xhrSetup withCredentials and the like
  std::vector<std::string> headers;  ///< --header NAME: headers the page adds to every request
};

/// A fetched text: the absolute URL it came from and its body.
struct fetched_text {
  std::string url;
  std::string text;
};

/// True when `text` is an MPD (its first element is <MPD>), false for anything else.
[[nodiscard]] bool is_mpd(std::string_view text) noexcept;

/// The media playlists a master playlist names (EXT-X-STREAM-INF URIs, EXT-X-MEDIA and
/// EXT-X-I-FRAME-STREAM-INF URI attributes), absolute, in order, without duplicates. Empty for a
/// media playlist (it has no variants) or an MPD.
[[nodiscard]] std::vector<std::string> variant_playlists(const fetched_text& manifest);

/// `reference` resolved against `base` (RFC 3986 §5.2 for http(s) URLs: absolute, //host,
/// /path or a relative path with dot segments removed).
[[nodiscard]] std::string resolve_url(std::string_view base, std::string_view reference);

/// The requests `p` makes for the stream: the manifest, then per rendition its media playlist,
/// keys, init segments, first segment and first byte-range segment (S3 decides CORS per bucket
/// and method, not per key, so one of each form stands for the rest), a HEAD where the player
/// probes and the clock-sync request of a live MPD. `media` holds the fetched media playlists
/// (variant_playlists of an HLS master); a media playlist given as the manifest is its own
/// rendition. Fails with a reason when `p` cannot play this kind of manifest (hls.js and DASH)
/// or the MPD is not well-formed XML.
[[nodiscard]] result<std::vector<player_request>, std::string> enumerate_requests(
    player p, const player_options& options, const fetched_text& manifest,
    const std::vector<fetched_text>& media);

}  // namespace s3cors::doctor
