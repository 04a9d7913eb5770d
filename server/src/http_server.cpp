#include "s3cors/net/http_server.hpp"

#include "s3cors/net/connection_limit.hpp"
#include "server_state.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace s3cors::net {
namespace {

// nginx disables accept events for 500 ms when accept() runs out of descriptors or memory
// (ngx_event_accept.c): the pending connections wait in the backlog instead of making every
// accept fail at once, and the open connections keep being served meanwhile.
constexpr std::chrono::milliseconds accept_pause{500};

// Errors that retrying at once cannot fix: the process or the system is out of descriptors
// (EMFILE, ENFILE) or of socket memory (ENOBUFS, ENOMEM).
bool is_resource_exhaustion(const beast::error_code& ec) {
  namespace errc = boost::system::errc;
  return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
         ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

// Raises the soft RLIMIT_NOFILE to the hard limit (best effort: a failure keeps the soft
// one) and returns the soft limit in force, UINT64_MAX when there is none.
std::uint64_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::numeric_limits<std::uint64_t>::max();
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

class listener : public std::enable_shared_from_this<listener> {
 public:
  explicit listener(server_state& state)
      : state_(state), acceptor_(*state.contexts.front()), pause_timer_(acceptor_.get_executor()) {}

  // Bind failures are fatal and reported to the caller, unlike Beast's example listener.
  std::uint16_t open(const tcp::endpoint& endpoint, std::string_view shown_host) {
    beast::error_code ec;
    auto fail_with = [&](std::string_view what) {
      throw std::runtime_error(
          fmt::format("cannot listen on {}:{}: {} ({})", shown_host, endpoint.port(), ec.message(), what));
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail_with("open");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail_with("set_option");
    acceptor_.bind(endpoint, ec);
    if (ec) fail_with("bind");
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail_with("listen");
    return acceptor_.local_endpoint().port();
  }

  void run() { do_accept(); }

  void close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->pause_timer_.cancel();
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(state_.pick_context(),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (is_resource_exhaustion(ec)) return pause_accepting(ec);
    if (ec) {
      log_line(log_level::warn, fmt::format("accept: {}", ec.message()));
    } else {
      bool over_limit = false;
      {
        std::lock_guard lock(state_.sessions_mutex);
        over_limit = state_.sessions.size() >= state_.options.max_connections;
      }
      std::make_shared<session>(std::move(socket), state_, over_limit)->run();
    }
    do_accept();
  }

  // Accepting again at once would fail again at once: a busy loop of failed accepts and log
  // lines. One line per pause; the connections that arrive meanwhile wait in the backlog.
  void pause_accepting(const beast::error_code& ec) {
    std::size_t open = 0;
    {
      std::lock_guard lock(state_.sessions_mutex);
      open = state_.sessions.size();
    }
    log_line(log_level::warn, fmt::format("accept: {}; not accepting for {} ms ({} connections open)",
                                          ec.message(), accept_pause.count(), open));
    pause_timer_.expires_after(accept_pause);
    pause_timer_.async_wait(beast::bind_front_handler(&listener::on_pause_end, shared_from_this()));
  }

  void on_pause_end(beast::error_code ec) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    do_accept();
  }

  server_state& state_;
  tcp::acceptor acceptor_;
  asio::steady_timer pause_timer_;
};

tcp::endpoint resolve(asio::io_context& ioc, const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  const std::string bare =
      host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  auto address = asio::ip::make_address(bare, ec);
  if (!ec) return {address, port};
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(bare, std::to_string(port), ec);
  if (ec || results.empty()) throw std::runtime_error(fmt::format("cannot resolve listen host '{}'", host));
  return *results.begin();
}

}  // namespace

struct http_server::impl {
  std::unique_ptr<server_state> state;
  std::shared_ptr<listener> acceptor;
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  bool started = false;
  bool stopped = false;
};

http_server::http_server(server_options options, request_handler handler) : impl_(std::make_unique<impl>()) {
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  // Workers mostly wait for the disk: more of them than cores keeps slow requests from
  // queueing behind each other.
  if (options.workers == 0)
    options.workers = std::max(8u, 4 * std::max(1u, std::thread::hardware_concurrency()));
  const unsigned threads = options.threads;
  const unsigned workers = options.workers;
  if (!handler.start) throw std::invalid_argument("http_server: the request handler has no start function");
  impl_->state = std::make_unique<server_state>(std::move(options), std::move(handler), threads, workers);
  impl_->state->request_id_seed = std::random_device{}() * 0x100000001ull ^ std::random_device{}();
}

http_server::~http_server() {
  stop();
}

std::uint16_t http_server::start() {
  if (impl_->started) throw std::logic_error("http_server::start called twice");
  // sendfile() has no MSG_NOSIGNAL: a client that disconnects mid-body must cost an EPIPE,
  // not the process.
  std::signal(SIGPIPE, SIG_IGN);
  server_state& state = *impl_->state;
  // Sessions beyond what the descriptors allow would make accept() fail with EMFILE; capped,
  // they are answered SlowDown instead. systemd's soft limit (1024) is below our default
  // max_connections, its hard limit usually far above.
  const std::size_t configured = state.options.max_connections;
  const std::uint64_t descriptors = raise_descriptor_limit();
  state.options.max_connections =
      effective_connection_limit(descriptors, configured, static_cast<unsigned>(state.contexts.size()));
  if (state.options.max_connections < configured) {
    log_line(log_level::info, fmt::format("serving at most {} connections, not max_connections {}: the "
                                          "descriptor limit (RLIMIT_NOFILE) is {}",
                                          state.options.max_connections, configured, descriptors));
  }
  const tcp::endpoint endpoint = resolve(*state.contexts.front(), state.options.host, state.options.port);
  impl_->acceptor = std::make_shared<listener>(state);
  const std::uint16_t port = impl_->acceptor->open(endpoint, state.options.host);
  impl_->acceptor->run();
  impl_->started = true;
  impl_->threads.reserve(state.contexts.size());
  for (auto& context : state.contexts) {
    // Keeps run() from returning while its context has no connection yet.
    impl_->work.push_back(asio::make_work_guard(*context));
    impl_->threads.emplace_back([&ioc = *context] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          // Handlers catch their own exceptions; this is the last line of defence.
          log_line(log_level::error, fmt::format("server thread: {}", e.what()));
        }
      }
    });
  }
  return port;
}

void http_server::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  server_state& state = *impl_->state;
  state.draining.store(true);
  impl_->acceptor->close();

  auto live_sessions = [&state] {
    std::vector<std::shared_ptr<session>> live;
    std::lock_guard lock(state.sessions_mutex);
    for (auto& [id, weak] : state.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    return live;
  };
  for (auto& s : live_sessions()) s->close_if_idle();
  {
    // In-flight requests finish (their responses carry Connection: close) within the grace.
    std::unique_lock lock(state.sessions_mutex);
    state.sessions_changed.wait_for(lock, state.options.shutdown_grace,
                                    [&] { return state.sessions.empty(); });
  }
  for (auto& s : live_sessions()) s->force_close();
  {
    std::unique_lock lock(state.sessions_mutex);
    state.sessions_changed.wait_for(lock, std::chrono::milliseconds(500),
                                    [&] { return state.sessions.empty(); });
  }
  // Jobs still queued for the workers are dropped (their connections are gone); one that
  // runs finishes first, so no worker posts to a context that no longer exists.
  state.workers.stop();
  state.workers.join();
  impl_->work.clear();
  for (auto& context : state.contexts) context->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace s3cors::net
