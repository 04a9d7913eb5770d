#pragma once
// Media faults on the transport (docs/faults.md): the fault service's plan for each request
// (request_handler::faults), its control API /_s3cors/faults beside the inner handler, and the
// media index kept in step with writes of playlists (refreshed on the worker thread that
// answered the write, never on a network thread).
#include "s3cors/faults/fault_service.hpp"
#include "s3cors/http/control.hpp"
#include "s3cors/net/http_server.hpp"

#include <memory>
#include <string>
#include <utility>

namespace s3cors::net {

/// `inner` with media faults. The fault service must outlive the handler.
[[nodiscard]] inline request_handler with_faults(request_handler inner, faults::fault_service& service) {
  // Refreshes the index once a playlist's write was answered with success.
  class refreshing_sink final : public body_sink {
   public:
    refreshing_sink(std::unique_ptr<body_sink> inner, faults::fault_service& service,
                    std::pair<std::string, std::string> key)
        : inner_(std::move(inner)), service_(service), key_(std::move(key)) {}
    std::optional<answer> write(std::string_view piece) override { return inner_->write(piece); }
    answer finish() override {
      answer out = inner_->finish();
      if (out.res.status / 100 == 2) service_.refresh(key_.first, key_.second);
      return out;
    }

   private:
    std::unique_ptr<body_sink> inner_;
    faults::fault_service& service_;
    std::pair<std::string, std::string> key_;
  };

  request_handler handler;
  handler.start = [inner = inner.start, &service](const request& req,
                                                  const s3::request_context& ctx) -> started_request {
    started_request out;
    if (faults::is_control_target(req.target)) {
      if (!req.has_body) {
        out.reply = service.control(req, {}, ctx);
        return out;
      }
      out.body = std::make_unique<control::document_collector>(
          [&service,
           req_copy = request{req.verb, req.method_name, req.target, req.version, {}, false, {}, {}},
           ctx](std::string_view body) { return service.control(req_copy, body, ctx); });
      return out;
    }
    auto written = service.playlist_written(req);
    out = inner(req, ctx);
    if (!written) return out;
    if (out.body) {
      out.body = std::make_unique<refreshing_sink>(std::move(out.body), service, std::move(*written));
    } else if (out.reply.res.status / 100 == 2) {
      service.refresh(written->first, written->second);
    }
    return out;
  };
  handler.try_start = [inner = inner.try_start, &service](
                          const request& req,
                          const s3::request_context& ctx) -> std::optional<started_request> {
    if (faults::is_control_target(req.target)) {
      if (req.has_body) return std::nullopt;
      started_request out;
      out.reply = service.control(req, {}, ctx);  // from memory
      return out;
    }
    // A playlist's write refreshes the index from the disk: on a worker (start).
    if (req.verb != method::get && req.verb != method::head && service.playlist_written(req))
      return std::nullopt;
    if (!inner) return std::nullopt;
    return inner(req, ctx);
  };
  handler.faults = [&service](const request& req, const s3::request_context& ctx,
                              std::chrono::steady_clock::time_point now) {
    return service.decide(req, ctx, now);
  };
  return handler;
}

}  // namespace s3cors::net
