#pragma once
// The HTTP transport: Beast/Asio stay behind this header, so main and the integration tests
// compile without them.
#include "s3cors/faults/fault_service.hpp"
#include "s3cors/http/body_sink.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/inspector/capture.hpp"
#include "s3cors/s3/context.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace s3cors::net {

enum class log_level { debug, info, warn, error, off };

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9000;  ///< 0 binds a free port
  unsigned threads = 0;       ///< network threads; 0: one per core
  /// Worker threads for what may wait for a disk (opening uncached files, listings, writing
  /// bodies, hashing, copies); 0: four per core, at least 8.
  unsigned workers = 0;
  std::size_t header_limit = 16 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds idle_timeout{60'000};    ///< keep-alive wait for the next request
  std::chrono::milliseconds header_timeout{10'000};  ///< from first byte to end of headers
  /// The longest wait for the next bytes of a body (an upload may take as long as it needs
  /// while bytes keep coming).
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds write_timeout{60'000};  ///< a stalled reader is cut off after this
  std::chrono::milliseconds shutdown_grace{10'000};
  log_level level = log_level::info;
  /// Set: every answered request is published to it while a page watches (docs/inspector.md).
  std::shared_ptr<inspector::capture> inspector;
  /// What the inspector names this listener: "" for the S3 service, a distribution's name.
  std::string listener_name;
  /// An event stream (response::stream) with nothing to send writes a comment this often, so
  /// proxies keep it open and a client that left is noticed.
  std::chrono::milliseconds stream_heartbeat{15'000};
};

/// The application as the transport calls it. Both are called concurrently from many threads
/// and must be thread-safe; an exception becomes a logged 500 InternalError.
struct request_handler {
  /// Called on a worker thread (it may wait for the disk): the answer, or a sink for the body.
  std::function<started_request(const request&, const s3::request_context&)> start;
  /// Called first on the network thread for requests without a body: the same answer as
  /// start, or nullopt when giving it could wait for a disk (start then runs on a worker).
  /// Empty: every request goes to a worker.
  std::function<std::optional<started_request>(const request&, const s3::request_context&)> try_start;
  /// Media faults (docs/faults.md §5.3): called on the network thread once a request's header
  /// is read, before try_start and start, with the steady clock's time; the plan the transport
  /// carries out (delay, error, reset, stall, throttle, cut), nullopt for none. Empty: no faults.
  std::function<std::optional<faults::directive>(const request&, const s3::request_context&,
                                                 std::chrono::steady_clock::time_point)>
      faults;
};

class http_server {
 public:
  http_server(server_options options, request_handler handler);
  ~http_server();  ///< stops the server
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds, listens and starts the threads. Returns the bound port.
  /// Throws std::runtime_error (one readable line) when the address cannot be bound.
  std::uint16_t start();

  /// Stops accepting, lets in-flight requests finish (up to shutdown_grace), closes idle
  /// connections and joins the threads. Idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Writes one line to stderr (thread-safe) when level is enabled. With log_format::json the
/// line becomes {"time":...,"level":...,"message":...}.
void log_line(log_level level, std::string_view line);
void set_log_level(log_level level);
[[nodiscard]] bool log_enabled(log_level level) noexcept;
[[nodiscard]] bool parse_log_level(std::string_view name, log_level& out);
/// The level's name as parse_log_level reads it ("debug", "info", "warn", "error", "off").
[[nodiscard]] std::string_view to_string(log_level level) noexcept;

/// text: human-readable lines; json: one JSON object per line, for log collectors.
enum class log_format { text, json };
void set_log_format(log_format format);
[[nodiscard]] log_format current_log_format() noexcept;
[[nodiscard]] bool parse_log_format(std::string_view name, log_format& out);

/// One answered request, as the access log reports it. Empty views are absent fields.
struct access_record {
  std::string_view time;  ///< ISO 8601, UTC
  std::string_view request_id;
  std::string_view method;
  std::string_view target;  ///< the raw request-target
  std::string_view bucket;
  std::string_view key;
  std::string_view origin;
  std::string_view cors;   ///< the CORS decision
  std::string_view note;   ///< why the server answered so (refusals, failures)
  std::string_view fault;  ///< the media-fault rules that fired, joined by ',' (docs/faults.md)
  unsigned status = 0;
  std::uint64_t bytes = 0;
  double duration_ms = 0;
};

/// Writes the access line of one request at level (text or JSON, as set).
void log_access(log_level level, const access_record& record);

/// The JSON form of an access record, without newline: {"time", "request_id", "method",
/// "target", "bucket", "key", "status", "bytes", "duration_ms", "origin", "cors", "note", "fault"};
/// absent strings are null. Strings are escaped, invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string format_access_json(const access_record& record);

/// Appends text as a quoted JSON string (escaped; invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);

}  // namespace s3cors::net
