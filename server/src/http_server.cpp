#include "s3cors/net/http_server.hpp"

#include "server_state.hpp"

#include <fmt/format.h>

#include <csignal>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace s3cors::net {
namespace {

class listener : public std::enable_shared_from_this<listener> {
 public:
  explicit listener(server_state& state) : state_(state), acceptor_(*state.contexts.front()) {}

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
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(state_.pick_context(),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
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

  server_state& state_;
  tcp::acceptor acceptor_;
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
