#include "s3cors/http/date.hpp"
#include "s3cors/http/event_stream.hpp"
#include "s3cors/inspector/endpoints.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/store/object_store.hpp"
#include "server_state.hpp"

#include <fmt/format.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace s3cors::net {
namespace {

// Bodies up to this size are read into memory and sent with the header in one write;
// larger ones go out with sendfile() straight from the page cache.
constexpr std::uint64_t small_body_limit = 16 * 1024;
// One sendfile() call sends at most this much, and one turn of a connection at most
// turn_limit before other connections get theirs (nginx's sendfile_max_chunk): a client that
// reads fast must not hold a network thread for the whole of a large body.
constexpr std::size_t sendfile_chunk = 1024 * 1024;
constexpr std::uint64_t turn_limit = 2 * 1024 * 1024;
// A worker brings this much of a body into memory at a time when it is not there.
constexpr std::uint64_t prefetch_window = 8 * 1024 * 1024;
// A paced (throttled or cut) body is written at most this much at a time from memory.
constexpr std::uint64_t paced_chunk = 256 * 1024;
// Before a reset after a cut, the bytes written must leave the send buffer (a reset discards
// what is still there): waited for this long at most, looking every millisecond.
constexpr int reset_drain_ms = 2000;

bool is_benign(const beast::error_code& ec) {
  return ec == asio::error::operation_aborted || ec == beast::error::timeout ||
         ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

void fail(const beast::error_code& ec, std::string_view what) {
  if (is_benign(ec)) return;
  log_line(log_level::debug, fmt::format("{}: {}", what, ec.message()));
}

// RFC 9112 §6.3 and §3.2: what makes a request's framing unsafe to act on. A Transfer-Encoding
// whose final coding is not chunked leaves the body's length unknown (its bytes would be read
// as the next request); on HTTP/1.0 it is faulty framing; with a Content-Length beside it the
// two disagree on where the body ends. One Host, and one is required on HTTP/1.1.
std::optional<std::string_view> framing_error(const http::request_header<>& header) {
  std::size_t hosts = 0;
  std::string codings;
  bool has_length = false;
  for (const auto& field : header) {
    const auto name = field.name_string();
    if (beast::iequals(name, "Host")) ++hosts;
    if (beast::iequals(name, "Content-Length")) has_length = true;
    if (beast::iequals(name, "Transfer-Encoding")) {
      if (!codings.empty()) codings += ',';
      codings.append(field.value());
    }
  }
  if (hosts > 1) return "more than one Host header";
  if (hosts == 0 && header.version() >= 11) return "no Host header";
  if (codings.empty()) return std::nullopt;
  if (header.version() < 11) return "Transfer-Encoding on HTTP/1.0";
  if (has_length) return "both Transfer-Encoding and Content-Length";
  // The codings, comma-separated; chunked exactly once, and last.
  std::size_t chunked = 0;
  std::string_view last;
  std::string_view rest = codings;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view coding = rest.substr(0, comma);
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    if (coding.empty()) continue;
    if (beast::iequals(coding, "chunked")) ++chunked;
    last = coding;
  }
  if (chunked != 1 || !beast::iequals(last, "chunked"))
    return "a Transfer-Encoding that does not end in chunked";
  return std::nullopt;
}

bool has_no_body_status(unsigned status) {
  return status == 304 || status == 204 || (status >= 100 && status < 200);
}

// Header values can carry request data (response-content-type=..., POST form fields, stored
// metadata): a CR or LF would let a client inject headers, and no control byte may reach a
// client raw (RFC 9110 §5.5), so each becomes a space.
bool is_unsafe_value_byte(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7F;
}

// True when one of the 8 bytes of word may be unsafe: a byte below 0x20 (a tab too, which
// is then looked at again one byte at a time) or 0x7F.
bool may_hold_unsafe(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const std::uint64_t below_space = (word - ones * 0x20) & ~word & highs;
  const std::uint64_t del = word ^ (ones * 0x7F);
  const std::uint64_t is_del = (del - ones) & ~del & highs;
  return (below_space | is_del) != 0;
}

void append_field_value(std::string& out, std::string_view value) {
  // Clean values (nearly all) are appended whole; 8 bytes are checked at a time.
  const char* data = value.data();
  const std::size_t size = value.size();
  std::size_t clean = 0;
  while (clean + 8 <= size) {
    std::uint64_t word = 0;
    std::memcpy(&word, data + clean, 8);
    if (may_hold_unsafe(word)) break;
    clean += 8;
  }
  while (clean < size && !is_unsafe_value_byte(static_cast<unsigned char>(data[clean]))) ++clean;
  out.append(data, clean);
  for (std::size_t i = clean; i < size; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    out.push_back(is_unsafe_value_byte(c) ? ' ' : data[i]);
  }
}

// A field name must be an RFC 9110 token; a field whose name is not is never sent.
constexpr std::array<bool, 256> token_chars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (const char ch : name) {
    if (!token_chars[static_cast<unsigned char>(ch)]) return false;
  }
  return true;
}

// Decimal digits of n appended to out, without a temporary string.
void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void serialize_head(const response& res, unsigned version, bool keep_alive, std::string& out,
                    bool with_length) {
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, res.status);
  out += ' ';
  out += http::obsolete_reason(http::int_to_status(res.status));
  out += "\r\n";
  for (const auto& [name, value] : res.headers.fields()) {
    if (!is_token(name)) continue;
    out += name;
    out += ": ";
    append_field_value(out, value);
    out += "\r\n";
  }
  if (with_length && !has_no_body_status(res.status)) {
    out += "Content-Length: ";
    append_number(out, res.content_length);
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

struct session::streaming_state {
  explicit streaming_state(asio::any_io_executor executor) : heartbeat(executor), write_timeout(executor) {}
  std::shared_ptr<event_stream> feed;
  asio::steady_timer heartbeat;
  asio::steady_timer write_timeout;
  std::string pending;  ///< taken from the feed, not yet written
  char discard[256];    ///< what the client sends on the stream is read and dropped
  bool writing = false;
  bool ended = false;
};

session::session(tcp::socket&& socket, server_state& state, bool reject)
    : stream_(std::move(socket)),
      state_(state),
      reject_(reject),
      write_timer_(stream_.get_executor()),
      fault_timer_(stream_.get_executor()) {
  // The peer's address, once per connection: bucket policies test it (aws:SourceIp).
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    const auto address = peer.address();
    // An IPv4 client of a dual-stack socket is ::ffff:a.b.c.d; policies name it a.b.c.d.
    ctx_.source_ip =
        address.is_v6() && address.to_v6().is_v4_mapped()
            ? boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).to_string()
            : address.to_string();
  }
  std::lock_guard lock(state_.sessions_mutex);
  id_ = state_.next_session++;
}

session::~session() {
  std::lock_guard lock(state_.sessions_mutex);
  state_.sessions.erase(id_);
  state_.sessions_changed.notify_all();
}

void session::run() {
  {
    std::lock_guard lock(state_.sessions_mutex);
    state_.sessions.emplace(id_, weak_from_this());
  }
  asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::start, shared_from_this()));
}

void session::start() {
  if (reject_) return respond_protocol_error(s3::error::slow_down, "connection limit reached");
  do_read();
}

void session::close_if_idle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    // A stalled connection (docs/faults.md §5.3) is held for the client only while serving.
    if (self->phase_ == phase::idle || self->phase_ == phase::stalled) self->stream_.cancel();
    if (self->phase_ == phase::streaming) self->end_stream();  // a stream never ends by itself
  });
}

void session::force_close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->write_timer_.cancel();
    self->fault_timer_.cancel();
    if (self->streaming_) self->end_stream();
    self->stream_.socket().close(ec);
  });
}

void session::do_read() {
  phase_ = phase::idle;
  fault_.reset();  // a plan is one request's
  fault_reply_.reset();
  if (state_.draining.load()) return do_close();
  if (buffer_.size() > 0) {
    // A pipelined request is already here. Posted, not called: a response that was sent
    // synchronously must not recurse once per pipelined request.
    asio::post(stream_.get_executor(),
               beast::bind_front_handler(&session::do_read_header, shared_from_this()));
    return;
  }
  // Waiting for the next request is governed by the idle timeout; once its first byte
  // arrives, the header timeout applies, so a client trickling headers is cut off.
  stream_.expires_after(state_.options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(8192),
                          beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
}

void session::on_first_bytes(beast::error_code ec, std::size_t n) {
  if (ec) {
    fail(ec, "read");
    return do_close();
  }
  buffer_.commit(n);
  do_read_header();
}

void session::do_read_header() {
  phase_ = phase::reading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_.options.header_limit));
  // Bodies stream to a sink that bounds what each operation accepts (service_options).
  parser_->body_limit(boost::none);
  // Fast path: a header that arrived whole is parsed from the buffer, with no further read
  // and no timer. Parsing stops at the end of the header: the body is read only once the
  // request is accepted.
  beast::error_code ec;
  while (buffer_.size() > 0 && !parser_->is_header_done()) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
  }
  if (ec || parser_->is_header_done()) return on_read_header(ec, 0);
  stream_.expires_after(state_.options.header_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&session::on_read_header, shared_from_this()));
}

void session::on_read_header(beast::error_code ec, std::size_t) {
  if (ec == http::error::header_limit) {
    return respond_protocol_error(s3::error::request_header_section_too_large, "header limit exceeded");
  }
  if (ec) {
    if (is_benign(ec) || ec == http::error::partial_message) {
      fail(ec, "read header");
      return do_close();
    }
    return respond_protocol_error(s3::error::bad_request, fmt::format("malformed request: {}", ec.message()));
  }
  process();
}

template <class Job, class Then>
void session::on_worker(Job job, Then then_fn) {
  asio::post(state_.workers, [self = shared_from_this(), job = std::move(job),
                              then_fn = std::move(then_fn)]() mutable {
    auto outcome = std::make_shared<decltype(job())>(job());
    asio::post(self->stream_.get_executor(),
               [self, outcome, then_fn = std::move(then_fn)]() mutable { then_fn(std::move(*outcome)); });
  });
}

void session::process() {
  phase_ = phase::processing;
  started_ = std::chrono::steady_clock::now();
  const auto& header = parser_->get();
  if (const auto bad = framing_error(header)) {
    log_method_.assign(header.method_string());
    log_target_.assign(header.target());
    // A HEAD's answer has no body, even this one: its bytes would be read as a response.
    return respond_protocol_error(s3::error::bad_request, fmt::format("bad request framing: {}", *bad),
                                  method_from_string(header.method_string()) == method::head);
  }
  keep_alive_ = header.keep_alive();
  version_ = header.version();
  fill_core_request(header, request_);
  request_.has_body = !parser_->is_done();
  if (const auto length = parser_->content_length()) request_.content_length = *length;
  log_method_ = request_.method_name;
  log_target_ = request_.target;
  log_origin_.assign(request_.headers.find("Origin").value_or(""));
  // The inspector's own requests are not shown on its page.
  inspecting_ =
      state_.options.inspector && state_.options.inspector->is_active() &&
      !inspector::is_inspector_path(std::string_view(request_.target).substr(0, request_.target.find('?')));
  request_.log_details = inspecting_;
  fill_context(state_, ctx_);
  if (inspecting_ || log_enabled(log_level::info)) log_time_ = format_iso8601(ctx_.now);
  if (current_log_format() == log_format::json) log_request_id_ = ctx_.request_id;
  // SDKs send "Expect: 100-continue" with uploads and wait (botocore: one second) for it; it
  // is sent only once the request is accepted (on_started).
  expects_continue_ = version_ == 11 && iequals(request_.headers.find("Expect").value_or(""), "100-continue");
  if (expects_continue_ && !request_.has_body) {
    // An empty body is complete with its header and could be answered at once, but botocore
    // before 1.43.77 then reads the next response on that connection against this one's
    // status line (boto/botocore#3755: an upload after an empty one stalls until the read
    // timeout). The interim response, which HTTP allows here, keeps those clients working.
    (void)send_now("HTTP/1.1 100 Continue\r\n\r\n", 0);
    expects_continue_ = false;
  }

  // Media faults: the plan is decided once, before the handler runs (an injected error spares
  // the handler), and its delay is a timer on this connection's thread.
  fault_.reset();
  fault_reply_.reset();
  log_fault_.clear();
  if (state_.handler.faults) {
    std::optional<faults::directive> directive;
    try {
      directive = state_.handler.faults(request_, ctx_, std::chrono::steady_clock::now());
    } catch (const std::exception& e) {
      log_line(log_level::warn, fmt::format("fault engine: {}", e.what()));
    }
    if (directive) {
      log_fault_ = directive->plan.log_field();
      fault_reply_ = std::move(directive->reply);
      fault_ = std::move(directive->plan);
      if (fault_->delay.count() > 0) {
        fault_timer_.expires_after(fault_->delay);
        fault_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
          if (!ec) self->dispatch();
        });
        return;
      }
    }
  }
  dispatch();
}

void session::dispatch() {
  if (fault_) {
    if (fault_reply_) {
      answer reply = std::move(*fault_reply_);
      fault_reply_.reset();
      // Its body is not read: the connection cannot carry another request.
      if (request_.has_body) reply.res.close = true;
      return respond(std::move(reply));
    }
    if (!fault_->cut_after && fault_->reset) {
      log_access(0, 0);
      return reset_connection();
    }
    if (!fault_->cut_after && fault_->stall) {
      log_status_ = 0;
      log_bytes_ = 0;
      return stall();
    }
  }
  auto failed = [this](const std::exception& e) {
    started_request out;
    out.reply = answer(s3::make_error_response(s3::error_detail(s3::error::internal_error), ctx_,
                                               request_.verb == method::head),
                       fmt::format("unhandled exception: {}", e.what()));
    return out;
  };
  // Requests without a body are first tried here: most are answered from memory and the
  // page cache. Anything that could wait for a disk goes to a worker.
  if (!request_.has_body && state_.handler.try_start) {
    std::optional<started_request> now;
    try {
      now = state_.handler.try_start(request_, ctx_);
    } catch (const std::exception& e) {
      now = failed(e);
    }
    if (now) return on_started(std::move(*now));
  }
  on_worker(
      [self = shared_from_this(), failed]() {
        try {
          return self->state_.handler.start(self->request_, self->ctx_);
        } catch (const std::exception& e) {
          return failed(e);
        }
      },
      [self = shared_from_this()](started_request&& started) { self->on_started(std::move(started)); });
}

void session::on_started(started_request&& started) {
  if (!started.body) {
    // A body that was not accepted is not read: the connection cannot carry another request.
    if (request_.has_body) started.reply.res.close = true;
    return respond(std::move(started.reply));
  }
  sink_ = std::move(started.body);
  if (expects_continue_) (void)send_now("HTTP/1.1 100 Continue\r\n\r\n", 0);  // best effort
  body_done_ = false;
  body_refused_ = false;
  for (auto& piece : pieces_) {
    if (!piece) piece = std::make_unique_for_overwrite<char[]>(piece_size);
  }
  do_read_piece();
}

void session::do_read_piece() {
  const int free_buffer = storing_ != 0 && waiting_ != 0 ? 0 : storing_ != 1 && waiting_ != 1 ? 1 : -1;
  if (free_buffer < 0 || reading_into_ >= 0 || body_done_) return;
  reading_into_ = free_buffer;
  auto& body = parser_->get().body();
  body.data = pieces_[free_buffer].get();
  body.size = piece_size;
  body.more = true;
  // The body timeout is a timer of our own rather than the stream's, which would close the
  // socket at once: the upload's temp file must go before the client sees the close.
  stream_.expires_never();
  const std::uint64_t generation = ++body_read_generation_;
  write_timer_.expires_after(state_.options.body_timeout);
  write_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (ec || generation != self->body_read_generation_ || self->reading_into_ < 0) return;
    self->body_timed_out_ = true;
    beast::error_code ignored;
    self->stream_.socket().cancel(ignored);
  });
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&session::on_read_piece, shared_from_this(), free_buffer));
}

void session::on_read_piece(int buffer, beast::error_code ec, std::size_t) {
  reading_into_ = -1;
  ++body_read_generation_;  // this read's timer, if it fires now, must not cancel the next read
  write_timer_.cancel();
  if (body_timed_out_) ec = beast::error::timeout;
  if (body_refused_) {
    // Answered already; this connection closes once the answer is out.
    if (lingering_ && !ec) do_linger();
    return;
  }
  if (ec == http::error::need_buffer) ec = {};
  // The client ended its stream (EOF, or a half-close) before Content-Length bytes or the
  // last chunk arrived: S3 answers IncompleteBody. A body that just stops coming is cut off
  // by the body timeout instead.
  // A HEAD's answer has no body, even an error's (found by fuzz_transport).
  const bool is_head = request_.verb == method::head;
  if (ec == http::error::partial_message) {
    return abandon_body(
        protocol_error(s3::error::incomplete_body, "the client ended the stream inside the body", is_head));
  }
  if (ec) {
    fail(ec, "read body");
    if (!is_benign(ec)) {
      return abandon_body(
          protocol_error(s3::error::bad_request, fmt::format("malformed body: {}", ec.message()), is_head));
    }
    return abandon_body(std::nullopt);
  }
  piece_length_[buffer] = piece_size - parser_->get().body().size;
  body_done_ = parser_->is_done();
  if (piece_length_[buffer] > 0) {
    if (storing_ < 0) {
      store_piece(buffer);
    } else {
      waiting_ = buffer;
    }
  }
  if (body_done_) {
    if (storing_ < 0) finish_body();
    return;
  }
  do_read_piece();
}

void session::store_piece(int buffer) {
  storing_ = buffer;
  on_worker(
      [self = shared_from_this(), buffer]() -> std::optional<answer> {
        try {
          return self->sink_->write(
              std::string_view(self->pieces_[buffer].get(), self->piece_length_[buffer]));
        } catch (const std::exception& e) {
          return answer(
              s3::make_error_response(s3::error_detail(s3::error::internal_error), self->ctx_, false),
              fmt::format("unhandled exception: {}", e.what()));
        }
      },
      [self = shared_from_this(), buffer](std::optional<answer>&& refused) {
        self->on_piece_stored(buffer, std::move(refused));
      });
}

void session::on_piece_stored(int buffer, std::optional<answer>&& refused) {
  (void)buffer;
  storing_ = -1;
  if (abandoning_) return abandon_body(std::move(abandon_reply_));
  if (refused) {
    refused->res.close = true;
    return abandon_body(std::move(*refused));
  }
  if (waiting_ >= 0) {
    const int next = std::exchange(waiting_, -1);
    store_piece(next);
  } else if (body_done_) {
    return finish_body();
  }
  do_read_piece();
}

void session::abandon_body(std::optional<answer> reply) {
  // The rest of the body is not read; a read still in flight finds body_refused_ set.
  body_refused_ = true;
  if (storing_ >= 0) {
    // A worker is still writing into the sink: finish when it is done.
    abandoning_ = true;
    abandon_reply_ = std::move(reply);
    return;
  }
  abandoning_ = false;
  // The sink's temp file is removed (on a worker: it touches the disk) before the client
  // hears anything, so a client that sees the answer or the close finds no trace of it.
  std::shared_ptr<body_sink> doomed(std::move(sink_));
  auto held_reply = std::make_shared<std::optional<answer>>(std::move(reply));
  on_worker(
      [doomed]() mutable {
        doomed.reset();
        return true;
      },
      [self = shared_from_this(), held_reply](bool) {
        if (!*held_reply) return self->do_close();
        self->respond(std::move(**held_reply));
      });
}

answer session::protocol_error(s3::error code, std::string_view why, bool is_head) {
  started_ = std::chrono::steady_clock::now();
  const s3::request_context ctx = make_context(state_);
  log_time_ = format_iso8601(ctx.now);
  log_request_id_ = ctx.request_id;
  answer reply(s3::make_error_response(s3::error_detail(code), ctx, is_head), std::string(why));
  reply.res.close = true;
  keep_alive_ = false;
  return reply;
}

void session::finish_body() {
  on_worker(
      [self = shared_from_this()]() {
        answer reply;
        try {
          reply = self->sink_->finish();
        } catch (const std::exception& e) {
          reply =
              answer(s3::make_error_response(s3::error_detail(s3::error::internal_error), self->ctx_, false),
                     fmt::format("unhandled exception: {}", e.what()));
        }
        // Here, not on the network thread: dropping a sink that did not commit removes its
        // temp file.
        self->sink_.reset();
        return reply;
      },
      [self = shared_from_this()](answer&& reply) { self->respond(std::move(reply)); });
}

void session::respond_protocol_error(s3::error code, std::string_view why, bool is_head) {
  started_ = std::chrono::steady_clock::now();
  if (log_method_.empty()) {  // no request line was parsed
    log_method_ = "-";
    log_target_.clear();
    log_origin_.clear();
  }
  respond(protocol_error(code, why, is_head));
}

void session::respond(answer&& reply) {
  response& res = reply.res;
  phase_ = phase::writing;
  close_after_ = res.close || !keep_alive_ || state_.draining.load();
  log_status_ = res.status;
  log_note_ = std::move(reply.log.note);
  if (current_log_format() == log_format::json || inspecting_) {
    log_bucket_ = std::move(reply.log.bucket);
    log_key_ = std::move(reply.log.key);
    log_cors_ = std::move(reply.log.cors);
  }
  log_bytes_ = 0;
  if (inspecting_) {
    inspect_edge_ = std::move(reply.log.edge);
    inspect_response_headers_.clear();
    inspect_truncated_ = !inspector::copy_headers(inspect_response_headers_, res.headers.fields(),
                                                  state_.options.inspector->limits());
    if (!res.stream && !has_no_body_status(res.status))
      inspect_response_headers_.emplace_back("Content-Length", std::to_string(res.content_length));
  }
  if (res.stream) return start_stream(res);
  stream_.expires_after(state_.options.write_timeout);

  paced_ = false;
  if (fault_) {
    faults::annotate(res, *fault_);
    faults::expose_fault_header(res);
    // The body is paced when a throttle or a cut applies to it (an error's body too).
    body_total_ = std::holds_alternative<std::monostate>(res.body) || has_no_body_status(res.status)
                      ? 0
                      : res.content_length;
    body_limit_ = std::min(body_total_, fault_->cut_after.value_or(body_total_));
    paced_ = body_total_ > 0 &&
             (body_limit_ < body_total_ || fault_->throughput.has_value() || fault_->timeline.has_value());
    // A cut ends the connection.
    if (body_limit_ < body_total_) close_after_ = true;
  }

  // The response is serialised by hand into one reused buffer: one write per response, no
  // per-field allocation (Beast's fields container was the hottest user-space cost).
  serialize_head(res, version_, !close_after_, out_);
  head_size_ = out_.size();
  auto* slice = std::get_if<file_slice>(&res.body);
  if (slice && slice->length > small_body_limit && slice->object->native_handle() >= 0) {
    slice_ = std::move(*slice);  // sent with sendfile() once the head is out
    resident_until_ = slice_.offset;
  } else if (auto* text = std::get_if<std::string>(&res.body)) {
    out_ += *text;
  } else if (const auto held = slice ? slice->object->bytes_in_memory() : std::nullopt;
             held && slice->length > small_body_limit && slice->offset + slice->length <= held->size()) {
    // A cached edge body: no copy into out_, one gathered write of head and body.
    memory_bytes_ =
        held->substr(static_cast<std::size_t>(slice->offset), static_cast<std::size_t>(slice->length));
    memory_slice_ = std::move(*slice);
  } else if (slice) {
    const std::size_t head = out_.size();
    out_.resize(head + slice->length);
    // Bytes in memory are read at once (one read, no residency probe first).
    if (slice->object->read_if_resident(slice->offset, std::span<char>(out_.data() + head, slice->length))) {
      return send_response();
    }
    auto read_into_out = [](const file_slice& from, std::string& into, std::size_t at) {
      std::uint64_t done = 0;
      while (done < from.length) {
        auto n = from.object->read_at(from.offset + done,
                                      std::span<char>(into.data() + at + done, from.length - done));
        if (!n || *n == 0) return false;
        done += *n;
      }
      return true;
    };
    if (!slice->object->is_resident(slice->offset, slice->length)) {
      // Reading it could wait for the disk: a worker reads, this thread sends.
      return on_worker(
          [self = shared_from_this(), from = std::move(*slice), head, read_into_out]() {
            return read_into_out(from, self->out_, head);
          },
          [self = shared_from_this()](bool read) {
            if (!read) {
              log_line(log_level::warn,
                       fmt::format("read failed for {}: object changed or unreadable", self->log_target_));
              return self->do_close();
            }
            self->send_response();
          });
    }
    if (!read_into_out(*slice, out_, head)) {
      // The file shrank or failed after its size was promised: the connection cannot carry
      // a correct response any more.
      log_line(log_level::warn, fmt::format("read failed for {}: object changed or unreadable", log_target_));
      return do_close();
    }
  }
  send_response();
}

void session::send_response() {
  if (paced_) {
    // The head whole, then the body piece by piece from its first byte's time.
    return asio::async_write(stream_, asio::buffer(out_.data(), head_size_),
                             [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                               self->log_bytes_ += n;
                               if (ec) {
                                 fail(ec, "write");
                                 self->log_access(self->log_status_, self->log_bytes_);
                                 return self->do_close();
                               }
                               self->throttle_ =
                                   self->fault_->make_throttle(std::chrono::steady_clock::now());
                               self->body_sent_ = 0;
                               self->pace_body();
                             });
  }
  if (memory_slice_.object) {
    const std::array<asio::const_buffer, 2> pieces{asio::buffer(out_),
                                                   asio::buffer(memory_bytes_.data(), memory_bytes_.size())};
    asio::async_write(stream_, pieces,
                      beast::bind_front_handler(&session::on_write, shared_from_this(), close_after_));
    return;
  }
  // Most responses fit in the socket buffer: send now, and wait for writability only for
  // what remains. MSG_MORE holds a head back until sendfile() adds the body.
  const std::size_t sent = send_now(out_, slice_.object ? MSG_MORE : 0);
  if (sent == out_.size()) return on_write(close_after_, {}, sent);
  log_bytes_ += sent;
  asio::async_write(stream_, asio::buffer(out_.data() + sent, out_.size() - sent),
                    beast::bind_front_handler(&session::on_write, shared_from_this(), close_after_));
}

std::size_t session::send_now(std::string_view data, int flags) {
  const int fd = stream_.socket().native_handle();
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, flags | MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EAGAIN, or an error that the asynchronous write will report
    }
  }
  return sent;
}

void session::on_write(bool close, beast::error_code ec, std::size_t n) {
  log_bytes_ += n;
  memory_slice_ = {};  // the write that needed its bytes is over
  memory_bytes_ = {};
  if (ec) {
    fail(ec, "write");
    log_access(log_status_, log_bytes_);
    return do_close();
  }
  if (slice_.object) return do_sendfile();
  close_after_ = close;
  on_body_sent();
}

void session::do_sendfile() {
  stream_.expires_never();
  auto& socket = stream_.socket();
  beast::error_code ec;
  // Set once per connection (the setter is an ioctl each time; a throttled body comes back here
  // at every quantum).
  if (!socket.native_non_blocking()) socket.native_non_blocking(true, ec);
  const int fd = slice_.object->native_handle();
  std::uint64_t this_turn = 0;
  // Paced: this call sends up to pace_stop_, then pace_body decides on the next piece.
  const std::uint64_t stop_at = paced_ ? pace_stop_ : slice_.offset + slice_.length;
  while (slice_.offset < stop_at) {
    if (this_turn >= turn_limit) {
      return asio::post(stream_.get_executor(),
                        beast::bind_front_handler(&session::do_sendfile, shared_from_this()));
    }
    auto offset = static_cast<off_t>(slice_.offset);
    if (slice_.offset >= resident_until_) {
      // sendfile() would wait for the disk on data not in memory: a worker brings the next
      // window in first, and this thread stays free for other connections.
      const std::uint64_t from = slice_.offset;
      const std::uint64_t window = std::min<std::uint64_t>(slice_.length, prefetch_window);
      if (!slice_.object->is_resident(from, window)) {
        return on_worker(
            [object = slice_.object, from, window]() {
              object->prefetch(from, window);
              return true;
            },
            [self = shared_from_this(), from, window](bool) {
              self->resident_until_ = from + window;
              self->do_sendfile();
            });
      }
      resident_until_ = from + window;
    }
    const auto count = static_cast<std::size_t>(
        std::min<std::uint64_t>({stop_at - slice_.offset, sendfile_chunk, resident_until_ - slice_.offset}));
    const ssize_t sent = ::sendfile(socket.native_handle(), fd, &offset, count);
    if (sent > 0) {
      slice_.offset += static_cast<std::uint64_t>(sent);
      slice_.length -= static_cast<std::uint64_t>(sent);
      log_bytes_ += static_cast<std::uint64_t>(sent);
      this_turn += static_cast<std::uint64_t>(sent);
      if (paced_) body_sent_ += static_cast<std::uint64_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      write_timer_.expires_after(state_.options.write_timeout);
      write_timer_.async_wait(beast::bind_front_handler(&session::on_write_timeout, shared_from_this()));
      socket.async_wait(tcp::socket::wait_write,
                        beast::bind_front_handler(&session::on_socket_writable, shared_from_this()));
      return;
    }
    // 0 means the file shrank below the promised length; anything else is a dead peer.
    // Either way the response cannot be completed: drop the connection.
    log_access(log_status_, log_bytes_);
    slice_ = {};
    socket.close(ec);
    return;
  }
  if (paced_) return pace_body();
  slice_ = {};
  on_body_sent();
}

void session::on_write_timeout(beast::error_code ec) {
  if (ec) return;  // cancelled: the socket became writable in time
  beast::error_code ignored;
  stream_.socket().cancel(ignored);
}

void session::on_socket_writable(beast::error_code ec) {
  write_timer_.cancel();
  if (ec) {
    fail(ec, "sendfile wait");
    log_access(log_status_, log_bytes_);
    slice_ = {};
    return do_close();
  }
  do_sendfile();
}

void session::on_body_sent() {
  log_access(log_status_, log_bytes_);
  if (out_.capacity() > 1024 * 1024) std::string().swap(out_);  // keep idle connections small
  if (close_after_) return do_close();
  do_read();
}

void session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  // A request answered before its body arrived: closing now, with body bytes unread, makes
  // the kernel send a reset that can destroy the answer before the client reads it. As
  // nginx's lingering close does, read and drop what still comes, for a bounded time.
  if (request_.has_body && parser_ && !parser_->is_done() && !ec) {
    linger_deadline_ = std::chrono::steady_clock::now() + linger_time;
    lingering_ = true;
    // A body read still in flight continues the lingering when it completes.
    if (reading_into_ < 0) do_linger();
  }
}

void session::do_linger() {
  if (std::chrono::steady_clock::now() >= linger_deadline_) return;
  if (!pieces_[0]) pieces_[0] = std::make_unique_for_overwrite<char[]>(piece_size);
  stream_.expires_after(std::chrono::seconds(1));
  stream_.async_read_some(asio::buffer(pieces_[0].get(), piece_size),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (!ec) self->do_linger();
                          });
}

void session::log_access(unsigned status, std::uint64_t bytes) {
  // Server-side failures are worth a line even when the access log is off.
  const log_level level = status >= 500 ? log_level::warn : log_level::info;
  const bool inspecting = std::exchange(inspecting_, false) && !log_method_.empty();
  const bool logging = !log_method_.empty() && log_enabled(level);
  if (!logging && !inspecting) return;
  if (log_time_.empty())
    log_time_ =
        format_iso8601(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  access_record record;
  record.time = log_time_;
  record.request_id = log_request_id_;
  record.method = log_method_;
  record.target = log_target_;
  record.bucket = log_bucket_;
  record.key = log_key_;
  record.origin = log_origin_;
  record.cors = log_cors_;
  record.note = log_note_;
  record.fault = log_fault_;
  record.status = status;
  record.bytes = bytes;
  record.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  if (logging) net::log_access(level, record);
  if (inspecting) publish_to_inspector(record);
  log_method_.clear();
  log_time_.clear();
  log_fault_.clear();
}

void session::pace_body() {
  if (body_sent_ >= body_limit_) return end_paced();
  std::uint64_t want = std::min(body_limit_ - body_sent_, slice_.object ? sendfile_chunk : paced_chunk);
  if (throttle_) {
    const auto granted = throttle_->next(std::chrono::steady_clock::now(), body_sent_, want);
    if (granted.bytes == 0) {
      // A step of rate 0 for ever: nothing more will flow.
      if (!granted.wake) return stall();
      // One timer per wait: no thread, no busy loop.
      fault_timer_.expires_at(*granted.wake);
      fault_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->pace_body();
      });
      return;
    }
    want = granted.bytes;
  }
  if (slice_.object) {
    pace_stop_ = slice_.offset + want;
    return do_sendfile();
  }
  // From memory: the text body after the head in out_, or a cached body's bytes.
  const char* bytes = memory_slice_.object ? memory_bytes_.data() : out_.data() + head_size_;
  stream_.expires_after(state_.options.write_timeout);
  asio::async_write(stream_, asio::buffer(bytes + body_sent_, static_cast<std::size_t>(want)),
                    [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                      self->log_bytes_ += n;
                      self->body_sent_ += n;
                      if (ec) {
                        fail(ec, "write");
                        self->log_access(self->log_status_, self->log_bytes_);
                        self->memory_slice_ = {};
                        self->memory_bytes_ = {};
                        return self->do_close();
                      }
                      self->pace_body();
                    });
}

void session::end_paced() {
  paced_ = false;
  throttle_.reset();
  slice_ = {};
  memory_slice_ = {};
  memory_bytes_ = {};
  if (body_sent_ >= body_total_) return on_body_sent();
  // Cut: the head promised more. A clean close, a reset or a stall ends it.
  log_access(log_status_, log_bytes_);
  if (fault_ && fault_->reset) return reset_connection();
  if (fault_ && fault_->stall) return stall();
  do_close();
}

void session::reset_connection(int waited_ms) {
  auto& socket = stream_.socket();
  if (!socket.is_open()) return;
  int unsent = 0;
  if (waited_ms < reset_drain_ms && ::ioctl(socket.native_handle(), SIOCOUTQ, &unsent) == 0 && unsent > 0) {
    fault_timer_.expires_after(std::chrono::milliseconds(1));
    fault_timer_.async_wait([self = shared_from_this(), waited_ms](beast::error_code ec) {
      if (!ec) self->reset_connection(waited_ms + 1);
    });
    return;
  }
  beast::error_code ec;
  socket.set_option(asio::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

void session::stall() {
  log_access(log_status_, log_bytes_);
  phase_ = phase::stalled;
  stream_.expires_never();
  stream_.async_read_some(asio::buffer(stall_scratch_),
                          beast::bind_front_handler(&session::on_stall_read, shared_from_this()));
}

void session::on_stall_read(beast::error_code ec, std::size_t) {
  // What the client sends meanwhile is dropped; its close (or the server's stop) ends the stall.
  if (ec) {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    return;
  }
  stream_.async_read_some(asio::buffer(stall_scratch_),
                          beast::bind_front_handler(&session::on_stall_read, shared_from_this()));
}

void session::publish_to_inspector(const access_record& a) {
  inspector::capture& capture = *state_.options.inspector;
  inspector::record r;
  r.time = a.time;
  r.listener = state_.options.listener_name;
  r.method = a.method;
  r.target = a.target;
  r.bucket = a.bucket;
  r.key = a.key;
  r.origin = a.origin;
  r.cors = a.cors;
  r.note = a.note;
  r.status = a.status;
  r.bytes = a.bytes;
  r.duration_ms = a.duration_ms;
  r.fault = a.fault;
  r.headers_truncated =
      !inspector::copy_headers(r.request_headers, request_.headers.fields(), capture.limits());
  r.headers_truncated = r.headers_truncated || inspect_truncated_;
  r.response_headers = std::move(inspect_response_headers_);
  inspect_response_headers_.clear();
  if (const auto cache = inspector::find_header(r.response_headers, "X-Cache")) r.edge_cache = *cache;
  r.distribution = std::move(inspect_edge_.distribution);
  r.response_headers_policy = std::move(inspect_edge_.response_headers_policy);
  r.cache_entry = std::move(inspect_edge_.cache_entry);
  inspect_edge_ = {};
  capture.publish(std::move(r));
}

void session::start_stream(response& res) {
  phase_ = phase::streaming;
  close_after_ = true;
  keep_alive_ = false;
  streaming_ = std::make_unique<streaming_state>(stream_.get_executor());
  streaming_state& st = *streaming_;
  st.feed = std::move(res.stream);
  // No Content-Length: the body ends when the connection closes.
  serialize_head(res, version_, false, st.pending, false);
  log_bytes_ = 0;
  // Subscribed before the head goes out: whatever a client does once it sees the head is on
  // the stream. wake runs on a publishing thread, under the subscription's lock: it only posts.
  std::weak_ptr<session> weak = weak_from_this();
  st.feed->open([weak, executor = stream_.get_executor()] {
    if (auto self = weak.lock()) asio::post(executor, [self] { self->on_stream_wake(); });
  });
  st.feed->take(st.pending);
  // The idle and header timeouts do not apply to a stream: it is quiet between events.
  stream_.expires_never();
  stream_.socket().async_read_some(asio::buffer(st.discard),
                                   beast::bind_front_handler(&session::on_stream_read, shared_from_this()));
  st.heartbeat.expires_after(state_.options.stream_heartbeat);
  st.heartbeat.async_wait(beast::bind_front_handler(&session::on_heartbeat, shared_from_this()));
  flush_stream();
}

void session::on_stream_wake() {
  if (!streaming_ || streaming_->ended) return;
  streaming_->feed->take(streaming_->pending);
  flush_stream();
}

void session::flush_stream() {
  streaming_state& st = *streaming_;
  if (st.ended || st.writing || st.pending.empty()) return;
  if (state_.draining.load()) return end_stream();
  out_.swap(st.pending);
  st.pending.clear();
  st.writing = true;
  st.write_timeout.expires_after(state_.options.write_timeout);
  st.write_timeout.async_wait([self = shared_from_this()](beast::error_code ec) {
    // A page that stopped reading is cut off, as any stalled reader.
    if (!ec && self->streaming_) self->end_stream();
  });
  asio::async_write(stream_.socket(), asio::buffer(out_),
                    beast::bind_front_handler(&session::on_stream_written, shared_from_this()));
}

void session::on_stream_written(beast::error_code ec, std::size_t n) {
  streaming_state& st = *streaming_;
  log_bytes_ += n;
  st.writing = false;
  st.write_timeout.cancel();
  if (ec) {
    fail(ec, "write event stream");
    return end_stream();
  }
  flush_stream();
}

void session::on_stream_read(beast::error_code ec, std::size_t) {
  if (!streaming_ || streaming_->ended) return;
  // The client closed (or reset) the connection: its page is gone.
  if (ec) return end_stream();
  stream_.socket().async_read_some(asio::buffer(streaming_->discard),
                                   beast::bind_front_handler(&session::on_stream_read, shared_from_this()));
}

void session::on_heartbeat(beast::error_code ec) {
  if (ec || !streaming_ || streaming_->ended) return;
  streaming_state& st = *streaming_;
  if (!st.writing && st.pending.empty()) st.pending = ": keep-alive\n\n";
  flush_stream();
  st.heartbeat.expires_after(state_.options.stream_heartbeat);
  st.heartbeat.async_wait(beast::bind_front_handler(&session::on_heartbeat, shared_from_this()));
}

void session::end_stream() {
  if (!streaming_ || streaming_->ended) return;
  streaming_state& st = *streaming_;
  st.ended = true;
  st.feed->close();
  st.heartbeat.cancel();
  st.write_timeout.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  log_access(log_status_, log_bytes_);
}

}  // namespace s3cors::net
