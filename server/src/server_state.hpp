#pragma once
// State shared by the listener and every session of one http_server.
#include "beast.hpp"

#include <boost/asio/thread_pool.hpp>
#include "s3cors/net/http_server.hpp"
#include "s3cors/s3/error.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace s3cors::net {

class session;

struct server_state {
  server_options options;
  request_handler handler;
  /// Where anything that may wait for a disk runs (network threads never do).
  asio::thread_pool workers;
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> next_request{0};
  std::uint64_t request_id_seed = 0;

  // Live sessions, so that stop() can close idle keep-alive connections.
  std::mutex sessions_mutex;
  std::condition_variable sessions_changed;
  std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions;
  std::uint64_t next_session = 0;

  // One io_context per thread, each run by exactly that thread (nginx's worker model):
  // a connection lives on one context, so its handlers never cross threads and need no
  // strand or lock. Declared last so they are destroyed first: destroying them destroys
  // pending handlers, and with them sessions, which still use the members above.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::atomic<std::size_t> next_context{0};

  server_state(server_options opts, request_handler h, unsigned threads, unsigned worker_count)
      : options(std::move(opts)), handler(std::move(h)), workers(worker_count) {
    for (unsigned i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  }

  /// The context for the next connection, round robin.
  asio::io_context& pick_context() {
    return *contexts[next_context.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
  }
};

/// Fills the request/host ids and the clock for one request.
[[nodiscard]] s3::request_context make_context(server_state& state);
/// The same, into an existing context (its strings' storage is reused).
void fill_context(server_state& state, s3::request_context& ctx);

/// A Beast request header -> core request (without body).
[[nodiscard]] request to_core_request(const http::request_header<>& header);
/// The same, into an existing request (the storage of its strings and list is reused).
void fill_core_request(const http::request_header<>& header, request& out);

/// Writes the status line and header fields of a response (Content-Length and Connection
/// included) into out, replacing its content. Without with_length no Content-Length is sent:
/// the body (an event stream) ends when the connection closes.
void serialize_head(const response& res, unsigned version, bool keep_alive, std::string& out,
                    bool with_length = true);

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, server_state& state, bool reject);
  ~session();
  void run();
  /// Posted by stop(): closes the connection if it is waiting for a request.
  void close_if_idle();
  /// Posted by stop() when the grace period is over.
  void force_close();

 private:
  enum class phase { idle, reading, processing, writing, stalled, streaming };
  /// A body piece buffer: two per upload, one filling from the socket while a worker stores
  /// the other.
  static constexpr std::size_t piece_size = 512 * 1024;
  /// How long a connection answered before its body ended keeps dropping that body.
  static constexpr std::chrono::seconds linger_time{5};

  void start();
  void do_read();
  void on_first_bytes(beast::error_code ec, std::size_t n);
  void do_read_header();
  void on_read_header(beast::error_code ec, std::size_t n);
  void process();
  /// process() once the fault plan's delay is over: the injected answer, or the handler.
  void dispatch();
  void on_started(started_request&& started);
  void do_read_piece();
  void on_read_piece(int buffer, beast::error_code ec, std::size_t n);
  void store_piece(int buffer);
  void on_piece_stored(int buffer, std::optional<answer>&& refused);
  void finish_body();
  /// Drops the body: the sink (and its temp file) goes first, on a worker, then reply is sent,
  /// or the connection closed when there is none.
  void abandon_body(std::optional<answer> reply);
  /// A 4xx/5xx the transport itself answers, closing the connection; without a body when it
  /// answers a HEAD.
  [[nodiscard]] answer protocol_error(s3::error code, std::string_view why, bool is_head = false);
  void respond(answer&& reply);
  void respond_protocol_error(s3::error code, std::string_view why, bool is_head = false);
  void send_response();
  void on_write(bool close, beast::error_code ec, std::size_t n);
  void do_sendfile();
  /// Sends what the socket takes without blocking; returns the count sent.
  std::size_t send_now(std::string_view data, int flags);
  void on_socket_writable(beast::error_code ec);
  void on_write_timeout(beast::error_code ec);
  void on_body_sent();
  void do_close();
  void do_linger();
  // Media faults (docs/faults.md §5.3).
  /// The body's next throttled or cut piece: memory writes, or sendfile up to pace_stop_.
  void pace_body();
  /// The paced body ended: whole, or cut (then a close, a reset or a stall).
  void end_paced();
  /// A TCP reset (SO_LINGER 0, then close), once what was written has left the send buffer.
  void reset_connection(int waited_ms = 0);
  /// Sends nothing more and holds the connection, out of the idle timeout, until the client
  /// leaves or the server stops.
  void stall();
  void on_stall_read(beast::error_code ec, std::size_t n);
  void log_access(unsigned status, std::uint64_t bytes);
  /// The record of the request just answered, for the inspector's open pages.
  void publish_to_inspector(const access_record& record);

  // An event stream (response::stream): written as its events come, until either side ends it.
  struct streaming_state;
  void start_stream(response& res);
  void on_stream_wake();
  void flush_stream();
  void on_stream_written(beast::error_code ec, std::size_t n);
  void on_stream_read(beast::error_code ec, std::size_t n);
  void on_heartbeat(beast::error_code ec);
  void end_stream();
  /// Runs job on a worker thread, then then_fn with its result back on this connection's thread.
  template <class Job, class Then>
  void on_worker(Job job, Then then_fn);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  server_state& state_;
  std::uint64_t id_;
  bool reject_;
  phase phase_ = phase::idle;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  request request_;  ///< the request being answered (header only)
  bool expects_continue_ = false;

  // The body of an accepted request, streamed to the sink in pieces.
  std::unique_ptr<body_sink> sink_;
  std::unique_ptr<char[]> pieces_[2];
  std::size_t piece_length_[2] = {0, 0};
  int reading_into_ = -1;  ///< the buffer a socket read fills, or -1
  int storing_ = -1;       ///< the buffer a worker is storing, or -1
  int waiting_ = -1;       ///< a filled buffer waiting for the worker, or -1
  bool body_done_ = false;
  bool body_refused_ = false;  ///< answered before the body ended: the rest is not read
  std::chrono::steady_clock::time_point linger_deadline_;
  bool lingering_ = false;
  bool abandoning_ = false;
  bool body_timed_out_ = false;
  std::uint64_t body_read_generation_ = 0;  ///< abandon_body waits for the piece a worker is storing
  std::optional<answer> abandon_reply_;

  // The response in flight, kept until its write completes.
  std::string out_;
  file_slice slice_;
  /// A body sent straight from memory its object holds (readable_object::bytes_in_memory),
  /// after the head in one gathered write: the object stays alive until the write ends.
  file_slice memory_slice_;
  std::string_view memory_bytes_;
  std::uint64_t resident_until_ = 0;  ///< slice_ bytes below this offset are in memory
  bool close_after_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  asio::steady_timer write_timer_;

  // For the access log line.
  std::chrono::steady_clock::time_point started_;
  std::string log_time_, log_method_, log_target_, log_origin_, log_note_;
  // Only with the JSON access log: filled from the context and the response.
  std::string log_request_id_, log_bucket_, log_key_, log_cors_;
  unsigned log_status_ = 0;
  std::uint64_t log_bytes_ = 0;
  // Only while an inspector page watches (one atomic load per request otherwise).
  bool inspecting_ = false;
  std::vector<std::pair<std::string, std::string>> inspect_response_headers_;
  bool inspect_truncated_ = false;
  access_note::edge_details inspect_edge_;  ///< a distribution's answer (docs/inspector.md)
  std::unique_ptr<streaming_state> streaming_;
  s3::request_context ctx_;

  // Media faults of the request being answered (docs/faults.md §5.3).
  std::optional<faults::fault_plan> fault_;
  std::optional<answer> fault_reply_;  ///< the injected answer, sent instead of the handler's
  std::string log_fault_;
  asio::steady_timer fault_timer_;  ///< the delay, throttle wake-ups, the wait before a reset
  std::optional<faults::throttle> throttle_;
  bool paced_ = false;            ///< the body goes out piece by piece (throttle or cut)
  std::size_t head_size_ = 0;     ///< out_'s head bytes, before an in-memory body
  std::uint64_t body_total_ = 0;  ///< the body's bytes as the head promises them
  std::uint64_t body_limit_ = 0;  ///< bytes sent before the cut (body_total_ when none)
  std::uint64_t body_sent_ = 0;
  std::uint64_t pace_stop_ = 0;  ///< sendfile stops at this offset and returns to pace_body
  std::array<char, 1024> stall_scratch_{};
};

}  // namespace s3cors::net
