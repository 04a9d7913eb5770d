#include "s3cors/http/date.hpp"
#include "s3cors/net/http_server.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iterator>
#include <string>

namespace s3cors::net {
namespace {
std::atomic<log_level> current_level{log_level::info};
std::atomic<log_format> current_format{log_format::text};

// One write() per line keeps lines whole when several threads log at once.
void write_line(std::string& out) {
  out.push_back('\n');
  std::size_t written = 0;
  while (written < out.size()) {
    const ssize_t n = ::write(STDERR_FILENO, out.data() + written, out.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
}

bool is_continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

// The length of the well-formed UTF-8 sequence (RFC 3629) starting a non-ASCII text, or 0.
std::size_t utf8_sequence_length(std::string_view text) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80;  // the bounds of the second byte
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_continuation(byte(i))) return 0;
  }
  return length;
}

void append_json_or_null(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += "null";
  } else {
    append_json_string(out, text);
  }
}

}  // namespace

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

void set_log_format(log_format format) {
  current_format.store(format, std::memory_order_relaxed);
}

log_format current_log_format() noexcept {
  return current_format.load(std::memory_order_relaxed);
}

bool parse_log_format(std::string_view name, log_format& out) {
  if (name == "text")
    out = log_format::text;
  else if (name == "json")
    out = log_format::json;
  else
    return false;
  return true;
}

void log_line(log_level level, std::string_view line) {
  if (!log_enabled(level)) return;
  std::string out;
  if (current_log_format() == log_format::json) {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    out.reserve(line.size() + 80);
    out += R"({"time":")";
    out += format_iso8601(now);
    out += R"(","level":")";
    out += to_string(level);
    out += R"(","message":)";
    append_json_string(out, line);
    out += '}';
  } else {
    out.reserve(line.size() + 1);
    out.append(line);
  }
  write_line(out);
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string format_access_json(const access_record& r) {
  std::string out;
  out.reserve(256 + r.target.size() + r.key.size() + r.cors.size() + r.note.size() + r.fault.size());
  out += R"({"time":)";
  append_json_or_null(out, r.time);
  out += R"(,"request_id":)";
  append_json_or_null(out, r.request_id);
  out += R"(,"method":)";
  append_json_or_null(out, r.method);
  out += R"(,"target":)";
  append_json_or_null(out, r.target);
  out += R"(,"bucket":)";
  append_json_or_null(out, r.bucket);
  out += R"(,"key":)";
  append_json_or_null(out, r.key);
  fmt::format_to(std::back_inserter(out), R"(,"status":{},"bytes":{},"duration_ms":{:.3f},"origin":)",
                 r.status, r.bytes, r.duration_ms);
  append_json_or_null(out, r.origin);
  out += R"(,"cors":)";
  append_json_or_null(out, r.cors);
  out += R"(,"note":)";
  append_json_or_null(out, r.note);
  out += R"(,"fault":)";
  append_json_or_null(out, r.fault);
  out += '}';
  return out;
}

void log_access(log_level level, const access_record& r) {
  if (!log_enabled(level)) return;
  std::string line;
  if (current_log_format() == log_format::json) {
    line = format_access_json(r);
  } else {
    line = fmt::format("{} {} {} {} {} {:.3f}ms origin={}{}{}{}{}", r.time, r.method, r.target, r.status,
                       r.bytes, r.duration_ms, r.origin.empty() ? "-" : r.origin,
                       r.fault.empty() ? "" : " fault=", r.fault, r.note.empty() ? "" : " note=", r.note);
  }
  write_line(line);
}

std::string_view to_string(log_level level) noexcept {
  switch (level) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::off:
      break;
  }
  return "off";
}

}  // namespace s3cors::net
