#pragma once
// What a request is for, told from the media itself (docs/faults.md §2): a media_index built
// from the HLS playlists and DASH MPDs the caller reads, and a cheap fallback by extension,
// content type and the first bytes when no playlist names the key.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::faults {

enum class media_kind {
  unknown,
  hls_multivariant,    ///< a playlist with EXT-X-STREAM-INF (the "master" playlist)
  hls_media_playlist,  ///< a playlist of segments (EXTINF), also I-frame and EXT-X-MEDIA renditions
  hls_init_segment,    ///< EXT-X-MAP's URI
  hls_media_segment,   ///< a URI after EXTINF, or a partial segment (EXT-X-PART)
  hls_key,             ///< EXT-X-KEY's or EXT-X-SESSION-KEY's URI
  dash_mpd,
  dash_init_segment,   ///< SegmentTemplate@initialization, SegmentList/Initialization@sourceURL, SegmentBase
  dash_media_segment,  ///< SegmentTemplate@media, SegmentList/SegmentURL@media
};

[[nodiscard]] std::string_view to_string(media_kind k) noexcept;
/// The names to_string returns; nullopt for anything else.
[[nodiscard]] std::optional<media_kind> media_kind_from_string(std::string_view name) noexcept;

/// The variant a key belongs to. HLS: the EXT-X-STREAM-INF (or EXT-X-I-FRAME-STREAM-INF) that
/// names the media playlist; EXT-X-MEDIA renditions have no bandwidth or resolution of their own.
/// DASH: the Representation.
struct rendition {
  std::uint64_t bandwidth = 0;  ///< bits per second, 0 when unknown
  unsigned width = 0;           ///< 0 when unknown
  unsigned height = 0;
  /// The variant's media playlist key (HLS), or "<mpd key>#<Representation@id>" (DASH).
  std::string path;

  friend bool operator==(const rendition&, const rendition&) = default;
};

struct media_info {
  media_kind kind = media_kind::unknown;
  std::optional<rendition> variant;             ///< when a multivariant playlist or MPD says
  std::optional<std::uint64_t> segment_index;   ///< 0-based position in its playlist / Representation
  std::optional<std::uint64_t> media_sequence;  ///< HLS: EXT-X-MEDIA-SEQUENCE + index; DASH: $Number$
  std::string source;                           ///< the playlist or MPD key that named it ("" if none)

  friend bool operator==(const media_info&, const media_info&) = default;
};

/// Resolves a URI written in the playlist at `base_key` to a bucket-relative key: relative
/// references against the playlist's folder ("." and ".." segments removed), "/bucket/key" and
/// "scheme://host/bucket/key" when `bucket` is the first path segment; query and fragment
/// dropped, %XX decoded. nullopt when the URI leaves the bucket or names another one.
[[nodiscard]] std::optional<std::string> resolve_uri(std::string_view bucket, std::string_view base_key,
                                                     std::string_view uri);

/// Keys named by the playlists and MPDs added to it, per bucket. Pure: the caller reads the
/// texts and calls add_*; a later add of the same playlist key replaces what it named. Not
/// synchronised: the owner guards it (or builds a new one and swaps it in).
class media_index {
 public:
  /// Indexes an HLS playlist (multivariant or media). Returns the keys of the playlists it names
  /// (variants, renditions) that are not indexed yet, for the caller to read and add.
  std::vector<std::string> add_hls(std::string_view bucket, std::string_view key, std::string_view text);
  /// Indexes a DASH MPD. Returns false (and indexes only the MPD's own key) when it is not XML.
  bool add_dash(std::string_view bucket, std::string_view key, std::string_view text);
  /// Either of the above, by the text: "#EXTM3U" → HLS, "<MPD" → DASH. Returns the playlists to read.
  std::vector<std::string> add(std::string_view bucket, std::string_view key, std::string_view text);
  /// Forgets what the playlist at `key` named.
  void remove(std::string_view bucket, std::string_view key);
  void clear() noexcept;

  /// What a playlist names the key as, with its rendition; nullopt when no indexed text names it.
  [[nodiscard]] std::optional<media_info> find(std::string_view bucket, std::string_view key) const;
  [[nodiscard]] std::size_t size() const noexcept;

  /// A DASH SegmentTemplate@media, kept as a pattern: live MPDs name unbounded segment numbers.
  struct dash_template {
    std::string pattern;  ///< bucket-relative, $RepresentationID$ and $Bandwidth$ substituted
    std::uint64_t start_number = 1;
    std::vector<std::uint64_t> times;  ///< SegmentTimeline's start times, for $Time$
    std::string source;
    std::string representation;  ///< its rendition path
  };

 private:
  struct entry {
    media_info info;
    std::string rendition_path;  ///< looked up in renditions_ at find() time
  };
  struct rendition_entry {
    rendition value;
    std::string source;
  };
  using bucket_key = std::pair<std::string, std::string>;
  std::map<bucket_key, entry> entries_;
  std::map<bucket_key, rendition_entry> renditions_;        ///< by rendition path, from multivariant texts
  std::map<bucket_key, std::vector<bucket_key>> named_by_;  ///< source → keys and renditions it added
  std::map<std::string, std::vector<dash_template>> templates_;  ///< bucket → templates

  void forget(const bucket_key& source);
};

/// The fallback when no playlist names the key: .m3u8 / .m3u (a multivariant playlist when `head`,
/// the object's first bytes if the caller has them, holds "#EXT-X-STREAM-INF"), .mpd, .ts/.m4s/
/// .aac/... (media segment), init.mp4 / *.mp4 with "init" in the name (init segment), .key (key),
/// then the content type (application/vnd.apple.mpegurl, application/x-mpegurl, application/dash+xml,
/// video/mp2t, video/iso.segment).
[[nodiscard]] media_info classify(std::string_view key, std::string_view content_type = {},
                                  std::string_view head = {});

/// The index first, then classify().
[[nodiscard]] media_info lookup(const media_index& index, std::string_view bucket, std::string_view key,
                                std::string_view content_type = {}, std::string_view head = {});

}  // namespace s3cors::faults
