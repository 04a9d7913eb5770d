#include "s3cors/net/http_server.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace s3cors::net {
namespace {
std::atomic<log_level> current_level{log_level::info};
}

void set_log_level(log_level level) {
  current_level.store(level, std::memory_order_relaxed);
}

bool parse_log_level(std::string_view name, log_level& out) {
  if (name == "debug")
    out = log_level::debug;
  else if (name == "info")
    out = log_level::info;
  else if (name == "warn" || name == "warning")
    out = log_level::warn;
  else if (name == "error")
    out = log_level::error;
  else if (name == "off")
    out = log_level::off;
  else
    return false;
  return true;
}

bool log_enabled(log_level level) noexcept {
  return level != log_level::off && level >= current_level.load(std::memory_order_relaxed);
}

void log_line(log_level level, std::string_view line) {
  if (!log_enabled(level)) return;
  // One write() per line keeps lines whole when several threads log at once.
  std::string out;
  out.reserve(line.size() + 1);
  out.append(line);
  out.push_back('\n');
  std::size_t written = 0;
  while (written < out.size()) {
    const ssize_t n = ::write(STDERR_FILENO, out.data() + written, out.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace s3cors::net
