#pragma once
// A response body that never ends by itself: server-sent events (text/event-stream) the
// transport writes as they become ready, until the client leaves or the server stops.
#include <functional>
#include <string>

namespace s3cors {

/// The transport calls open() once the response head is sent, then take() whenever wake has
/// been called (and on its own heartbeat), and close() exactly once when the connection ends.
class event_stream {
 public:
  virtual ~event_stream() = default;
  /// wake may be called from any thread and must not block; it is never called once close()
  /// has returned.
  virtual void open(std::function<void()> wake) = 0;
  /// Appends the events ready now (possibly none) to out.
  virtual void take(std::string& out) = 0;
  virtual void close() noexcept = 0;
};

}  // namespace s3cors
