// Descriptor exhaustion is survived: when accept() fails with EMFILE the server pauses
// accepting (one warning per pause) instead of spinning, keeps serving the connections it
// has, and accepts again once descriptors are free.
//
// The descriptor limit is lowered in a forked child, which runs the server and its clients
// and reports through its exit status, so the test runner keeps its own limit.
#include "server_fixture.hpp"

#include "s3cors/net/connection_limit.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr rlim_t descriptor_limit = 64;
constexpr auto client_timeout = 5s;

// The child's exit status: which outcome failed.
enum class outcome : int {
  ok = 0,
  setup = 10,
  no_cap_line,
  keeper_before,
  burst_before,
  no_exhaustion,
  spinning_log,
  spinning_cpu,
  keeper_during,
  burst_during,
  late_after,
  fresh_after,
  exception,
};

std::string_view name_of(int status) {
  static constexpr std::string_view names[] = {
      "setup failed",
      "no log line for the connection cap",
      "keep-alive connection not served before the exhaustion",
      "burst connection not served before the exhaustion",
      "no failed accept logged while descriptors were exhausted",
      "accept failures logged once per failed accept (spinning)",
      "CPU busy while descriptors were exhausted (spinning)",
      "keep-alive connection not served during the exhaustion",
      "burst connection not served during the exhaustion",
      "connection made during the exhaustion not served after it",
      "new connection not served after the burst was closed",
      "exception",
  };
  if (status == 0) return "ok";
  const auto index = static_cast<std::size_t>(status - static_cast<int>(outcome::setup));
  return status >= static_cast<int>(outcome::setup) && index < std::size(names) ? names[index] : "unknown";
}

class descriptor {
 public:
  descriptor() = default;
  explicit descriptor(int fd) : fd_(fd) {}
  descriptor(descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  descriptor& operator=(descriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~descriptor() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

descriptor unconnected_socket() {
  return descriptor(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

// Blocking connect to the loopback port: it completes once the connection waits in the
// listen backlog, whether or not the server accepts it.
bool connect_to(const descriptor& socket, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return socket.is_open() &&
         ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

bool wait_for(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// GET /_s3cors/health on a keep-alive connection; the status, or nullopt on failure or after
// the client timeout. Needs no descriptor beyond the socket, on either side.
std::optional<unsigned> get_health(const descriptor& socket) {
  const auto deadline = clock_type::now() + client_timeout;
  constexpr std::string_view request = "GET /_s3cors/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(socket.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  std::string received;
  std::size_t head_end = std::string::npos;
  std::size_t wanted = std::string::npos;
  while (received.size() < wanted) {
    if (!wait_for(socket.get(), POLLIN, deadline)) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::recv(socket.get(), buffer, sizeof buffer, 0);
    if (n <= 0) return std::nullopt;
    received.append(buffer, static_cast<std::size_t>(n));
    if (head_end == std::string::npos && (head_end = received.find("\r\n\r\n")) != std::string::npos) {
      std::size_t length = 0;
      if (const auto at = received.find("Content-Length: "); at != std::string::npos && at < head_end) {
        length = std::stoul(received.substr(at + 16));
      }
      wanted = head_end + 4 + length;
    }
  }
  if (!received.starts_with("HTTP/1.1 ") || received.size() < 12) return std::nullopt;
  return static_cast<unsigned>(std::stoul(received.substr(9, 3)));
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Reads the server's log (our stderr) as it grows, counting the lines that contain a text.
class log_reader {
 public:
  explicit log_reader(descriptor file) : file_(std::move(file)) {}
  [[nodiscard]] std::size_t count(std::string_view text) {
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::pread(file_.get(), buffer, sizeof buffer, static_cast<off_t>(offset_));
      if (n <= 0) break;
      offset_ += static_cast<std::size_t>(n);
      partial_.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
        lines_.emplace_back(partial_, start, end - start);
      }
      partial_.erase(0, start);
    }
    std::size_t found = 0;
    for (const auto& line : lines_) found += line.find(text) != std::string::npos ? 1u : 0u;
    return found;
  }

 private:
  descriptor file_;
  std::size_t offset_ = 0;
  std::string partial_;
  std::vector<std::string> lines_;
};

outcome exhaust_descriptors(std::string& report, log_reader& log) {
  s3cors::net::server_options options = s3cors::test::server_fixture::quiet_options();
  options.threads = 1;
  options.level = s3cors::net::log_level::info;
  s3cors::test::server_fixture server(options);
  const std::uint16_t port = server.port();
  const std::size_t cap =
      s3cors::net::effective_connection_limit(descriptor_limit, options.max_connections, 1);
  // The connections below stay under the cap: none is refused with SlowDown.
  if (cap < 12 || log.count(fmt::format("serving at most {} connections", cap)) != 1) {
    return outcome::no_cap_line;
  }

  descriptor keeper = unconnected_socket();
  if (!connect_to(keeper, port) || get_health(keeper) != 200u) return outcome::keeper_before;
  std::vector<descriptor> burst;
  for (int i = 0; i < 4; ++i) {
    burst.push_back(unconnected_socket());
    if (!connect_to(burst.back(), port) || get_health(burst.back()) != 200u) return outcome::burst_before;
  }
  // Sockets for the connections that arrive while the descriptors are exhausted, made now:
  // afterwards the client could not make them either.
  std::vector<descriptor> late;
  for (int i = 0; i < 4; ++i) late.push_back(unconnected_socket());
  std::vector<descriptor> ballast;
  for (;;) {
    descriptor fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd.is_open()) break;
    ballast.push_back(std::move(fd));
  }
  if (errno != EMFILE) {
    report = fmt::format("open: {}", std::strerror(errno));
    return outcome::setup;
  }
  const auto exhausted_at = clock_type::now();
  const double cpu_at = cpu_seconds();
  for (auto& socket : late) {
    if (!connect_to(socket, port)) {
      report = fmt::format("connect: {}", std::strerror(errno));
      return outcome::setup;
    }
  }

  // Two failed accepts: with the fix, the second comes after one pause (500 ms).
  constexpr std::string_view accept_failure = "accept: ";
  const auto deadline = exhausted_at + client_timeout;
  while (log.count(accept_failure) < 2 && clock_type::now() < deadline) ::poll(nullptr, 0, 10);
  const std::size_t failures = log.count(accept_failure);
  if (failures < 2) return outcome::no_exhaustion;
  // Open connections are served meanwhile.
  if (get_health(keeper) != 200u) return outcome::keeper_during;
  if (get_health(burst.front()) != 200u) return outcome::burst_during;
  const auto elapsed = std::chrono::duration<double>(clock_type::now() - exhausted_at).count();
  const double cpu = cpu_seconds() - cpu_at;
  const std::size_t failures_after = log.count(accept_failure);
  report = fmt::format("{} failed accepts logged in {:.3f} s of exhaustion, {:.3f} s of CPU", failures_after,
                       elapsed, cpu);
  // One line per 500 ms pause, not one per failed accept.
  if (static_cast<double>(failures_after) > 2 + elapsed / 0.5) return outcome::spinning_log;
  if (cpu > 0.1 + elapsed / 2) return outcome::spinning_cpu;

  // Descriptors free again: the waiting connections are accepted and served.
  ballast.clear();
  for (auto& socket : late) {
    if (get_health(socket) != 200u) return outcome::late_after;
  }
  burst.clear();
  late.clear();
  descriptor fresh = unconnected_socket();
  if (!connect_to(fresh, port) || get_health(fresh) != 200u) return outcome::fresh_after;
  return outcome::ok;
}

// Runs in the forked child: its stderr goes to log_file, its report to report_fd.
int run_child(int report_fd, const std::filesystem::path& log_file) {
  ::alarm(60);  // a hung child is killed, and the parent sees a signal
  std::string report;
  outcome result = outcome::ok;
  try {
    {
      descriptor out(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
      if (!out.is_open() || ::dup2(out.get(), STDERR_FILENO) < 0) return static_cast<int>(outcome::setup);
    }
    log_reader log(descriptor(::open(log_file.c_str(), O_RDONLY | O_CLOEXEC)));
    // Soft and hard: start() raises the soft limit to the hard one.
    const rlimit limit{descriptor_limit, descriptor_limit};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return static_cast<int>(outcome::setup);
    result = exhaust_descriptors(report, log);
  } catch (const std::exception& e) {
    report = e.what();
    result = outcome::exception;
  }
  (void)!::write(report_fd, report.data(), report.size());
  return static_cast<int>(result);
}

}  // namespace

TEST_CASE("emfile: out of descriptors, the server pauses accepting and keeps serving",
          "[integration][emfile]") {
  const s3cors::test::temp_dir dir;
  const std::filesystem::path log_file = dir.path() / "server.log";
  int report_pipe[2];
  REQUIRE(::pipe2(report_pipe, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  if (child == 0) {  // no Catch macro in the child
    ::close(report_pipe[0]);
    ::_exit(run_child(report_pipe[1], log_file));
  }
  REQUIRE(child > 0);
  ::close(report_pipe[1]);
  std::string report;
  char buffer[1024];
  for (ssize_t n; (n = ::read(report_pipe[0], buffer, sizeof buffer)) != 0;) {
    if (n > 0) report.append(buffer, static_cast<std::size_t>(n));
    if (n < 0 && errno != EINTR) break;
  }
  ::close(report_pipe[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  INFO("child report: " << report);
  REQUIRE(WIFEXITED(status));
  INFO("child outcome: " << name_of(WEXITSTATUS(status)));
  CHECK(WEXITSTATUS(status) == static_cast<int>(outcome::ok));
}
