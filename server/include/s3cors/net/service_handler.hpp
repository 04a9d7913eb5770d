#pragma once
// The S3 service as the transport's request handler: requests without a body are first tried
// on the network thread with the file-system store refusing anything that would wait for a
// disk (nonblocking_scope); those, and every request with a body, run on a worker.
#include "s3cors/net/http_server.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"

namespace s3cors::net {

/// The service must outlive the handler.
[[nodiscard]] inline request_handler service_handler(const s3::service& service) {
  request_handler handler;
  handler.start = [&service](const request& req, const s3::request_context& ctx) {
    return service.start(req, ctx);
  };
  handler.try_start = [&service](const request& req,
                                 const s3::request_context& ctx) -> std::optional<started_request> {
    // Reads only: anything else may write, and would have to be undone to be tried again.
    if (req.has_body ||
        (req.verb != method::get && req.verb != method::head && req.verb != method::options)) {
      return std::nullopt;
    }
    const store::nonblocking_scope no_waiting;
    try {
      return service.start(req, ctx);
    } catch (const store::would_block&) {
      return std::nullopt;
    }
  };
  return handler;
}

}  // namespace s3cors::net
