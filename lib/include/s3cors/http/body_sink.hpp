#pragma once
// How a request's body reaches the application: the application decides on the header alone
// (started_request) and, when it accepts the body, returns a sink that takes it in pieces.
#include "s3cors/http/response.hpp"

#include <memory>
#include <optional>
#include <string_view>

namespace s3cors {

/// Takes an accepted request's body piece by piece, then answers. Calls come one at a time
/// (never concurrently, possibly on different threads) and may wait for the disk, so the
/// transport makes them off its network threads. Destroying a sink that has not finished
/// discards what it stored.
class body_sink {
 public:
  virtual ~body_sink() = default;
  /// The next piece of the body, transfer coding removed. A response ends the request at once:
  /// the rest of the body is not read and the connection is closed after the answer.
  [[nodiscard]] virtual std::optional<answer> write(std::string_view piece) = 0;
  /// The whole body arrived: the answer.
  [[nodiscard]] virtual answer finish() = 0;
};

/// What the application makes of a request's header.
struct started_request {
  /// The answer, when body is null. A request whose body was not accepted is answered without
  /// reading it, and the connection closes afterwards (as S3 does).
  answer reply;
  /// Set when the body is wanted: the transport sends "100 Continue" if the client asked for
  /// it, then feeds the body to this sink and sends what finish() returns.
  std::unique_ptr<body_sink> body;
};

}  // namespace s3cors
