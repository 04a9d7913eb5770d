#pragma once
// A client connection that sends and receives by hand, so a test decides when each byte goes
// and sees how the stream ended (closed, reset, or quiet). Integration tests only: a failed
// connect fails the test (REQUIRE).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace s3cors::test {

class raw_connection {
 public:
  /// Connects to 127.0.0.1:port.
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Sends all of bytes; false when the peer stopped taking them.
  [[nodiscard]] bool send(std::string_view bytes) const;

  /// Reads until the received text contains needle, the peer closes, or timeout; returns all
  /// that receive_until has received on this connection so far.
  std::string receive_until(std::string_view needle,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  /// True when data (or the end of the stream) is waiting, without waiting for it.
  [[nodiscard]] bool has_answer() const;
  /// True once receive_until saw the end of the stream.
  [[nodiscard]] bool closed() const noexcept { return closed_; }

  struct outcome {
    std::string received;
    bool closed = false;  ///< orderly end of stream
    int error = 0;        ///< errno of a failed read (ECONNRESET)
    bool timed_out = false;
  };
  /// Reads until the stream ends, fails, or `within` passes without a byte. What it reads is
  /// in the outcome only (not kept for receive_until).
  outcome read(std::chrono::milliseconds within) const;

 private:
  int fd_;
  std::string received_;
  bool closed_ = false;
};

}  // namespace s3cors::test
