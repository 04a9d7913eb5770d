#pragma once
// The server configuration file (JSON). Reading the file is main's job; this parses text.
#include "s3cors/auth/credentials.hpp"
#include "s3cors/edge/distribution.hpp"
#include "s3cors/faults/rules.hpp"
#include "s3cors/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::config {

struct limits {
  std::uint64_t max_header_bytes = 16 * 1024;
  /// The largest object one PutObject, UploadPart or POST upload may carry (S3: 5 GiB).
  /// Bodies stream to disk, so this bounds disk use, not memory.
  std::uint64_t max_body_bytes = 5ull * 1024 * 1024 * 1024;
  std::uint64_t max_connections = 10000;
  std::uint64_t idle_timeout_seconds = 60;
  std::uint64_t header_timeout_seconds = 10;
  std::uint64_t body_timeout_seconds = 60;  ///< the longest wait for the next bytes of a body
  std::uint64_t write_timeout_seconds = 60;
};

struct bucket_settings {
  /// The bucket's CORS configuration as given: inline JSON text, or a file path to load.
  std::optional<std::string> cors_inline;
  std::optional<std::string> cors_file;
  /// A canned ACL: "private", "public-read" or "public-read-write" (validated).
  std::optional<std::string> acl;
};

/// One entry of "distributions" (docs/edge.md §9): an edge cache with its own listener in
/// front of buckets of this server.
struct distribution_settings {
  std::string listen;  ///< HOST:PORT (validated)
  edge::distribution_config config;
  /// The bound of the distribution's cache memory (LRU eviction beyond it).
  std::uint64_t cache_bytes = std::uint64_t{512} << 20;
  /// Larger objects are streamed through uncached (CloudFront itself caches up to 50 GB).
  std::uint64_t max_cached_object_bytes = std::uint64_t{64} << 20;
  /// The JSON pointers of the buckets the distribution names, by bucket: the application checks
  /// that they exist and reports a missing one at its pointer.
  std::map<std::string, std::string> bucket_pointers;
};

struct server_config {
  std::optional<std::string> listen;  ///< HOST:PORT
  std::optional<std::string> root;
  std::optional<unsigned> threads;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;  ///< "text" or "json" (validated)
  std::string domain;                     ///< enables virtual-hosted style at bucket.s3.<domain>
  bool follow_symlinks_outside_root = false;
  /// "fsync": acknowledge writes only once they are durable (default true).
  bool fsync = true;
  /// "sigv2": accept Signature Version 2 (default true); false refuses it as S3's SigV4-only
  /// regions do.
  bool sigv2 = true;
  /// "api_bucket_defaults": "s3" (the default) gives buckets created through the API what S3
  /// gives new buckets since April 2023 (ObjectOwnership BucketOwnerEnforced, every
  /// PublicAccessBlock flag set); "none" gives them neither, as folders and configured buckets
  /// have (S3 before then).
  bool s3_bucket_defaults = true;
  limits limit;
  std::map<std::string, bucket_settings> buckets;
  std::optional<bucket_settings> default_cors;  ///< s3cors convenience: for buckets without rules
  bool cors_debug_header = false;               ///< adds x-s3cors-cors (off: S3 has no such header)
  /// "inspector": serve the live inspector page at /_s3cors/inspector (docs/inspector.md).
  /// Unset: on only when every listener is on loopback.
  std::optional<bool> inspector;
  /// Multipart uploads neither completed nor aborted for this long are removed (0: never).
  std::uint64_t abandoned_upload_seconds = 24 * 3600;
  /// "credentials": [{"access_key_id": ..., "secret_access_key": ...}]; ids are unique.
  std::vector<auth::credential> credentials;
  /// "distributions": {"NAME": {...}}, by name.
  std::map<std::string, distribution_settings> distributions;
  /// "faults": media fault rules (docs/faults.md §3), an array or {"rules": [...]}; nullopt
  /// when the file has none.
  std::optional<std::vector<faults::fault_rule>> faults;
};

struct config_error {
  std::string pointer;  ///< JSON pointer of the offending field, "" for the document
  std::string message;
};

/// Parses the JSON configuration; an error names the offending field's JSON pointer.
[[nodiscard]] result<server_config, config_error> parse_config(std::string_view json);

struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

/// The canned ACLs a bucket may be given.
[[nodiscard]] bool is_valid_acl(std::string_view acl) noexcept;

/// An access key id s3cors accepts: 1 to 128 characters, ASCII letters, digits, '_' or '-'
/// (it travels in SigV4's "Credential=ID/date/region/s3/aws4_request").
[[nodiscard]] bool is_valid_access_key_id(std::string_view id) noexcept;

/// Parses HOST:PORT, [V6]:PORT or :PORT (host defaults to 127.0.0.1); nullopt when invalid.
[[nodiscard]] std::optional<listen_address> parse_listen(std::string_view text);

/// Whether a listen host only takes connections from this machine: 127.0.0.0/8, ::1 (with or
/// without brackets, or IPv4-mapped) and "localhost". 0.0.0.0, :: and names are not.
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

}  // namespace s3cors::config
