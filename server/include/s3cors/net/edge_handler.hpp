#pragma once
// Edge mode on the transport (docs/edge.md §9): a distribution's gateway as the request handler
// of its own listener, and the distributions' control endpoints beside the S3 service on the
// main listener. Cache hits and other answers from memory are given on the network thread
// (gateway::try_start); misses, which call the origin and may read a file, run on a worker.
#include "s3cors/edge/gateway.hpp"
#include "s3cors/net/http_server.hpp"

#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::net {

/// The gateway must outlive the handler.
[[nodiscard]] inline request_handler edge_handler(edge::gateway& gateway) {
  request_handler handler;
  handler.start = [&gateway](const request& req, const s3::request_context& ctx) {
    return gateway.start(req, ctx);
  };
  handler.try_start = [&gateway](const request& req,
                                 const s3::request_context& ctx) -> std::optional<started_request> {
    if (req.has_body) return std::nullopt;
    return gateway.try_start(req, ctx);
  };
  return handler;
}

/// `inner` (the S3 service's handler), with /_s3cors/distributions/NAME/... answered by the
/// gateway of that name. The gateways must outlive the handler.
[[nodiscard]] inline request_handler with_edge_control(request_handler inner,
                                                       std::vector<edge::gateway*> gateways) {
  // A control target naming no distribution is answered 404 here, not passed to the service.
  struct found {
    bool control = false;
    edge::gateway* gateway = nullptr;
  };
  auto find = [gateways = std::move(gateways)](const request& req) -> found {
    const std::string_view target = req.target;
    const auto control = edge::parse_control_target(target.substr(0, target.find('?')));
    if (!control) return {};
    for (auto* gateway : gateways) {
      if (gateway->options().name == control->first) return {true, gateway};
    }
    return {true, nullptr};
  };
  request_handler handler;
  handler.start = [inner = inner.start, find](const request& req, const s3::request_context& ctx) {
    const found f = find(req);
    if (f.gateway != nullptr) return f.gateway->start(req, ctx);
    if (f.control) {
      started_request out;
      out.reply = edge::no_such_distribution();
      out.reply.res.close = req.has_body;
      return out;
    }
    return inner(req, ctx);
  };
  handler.try_start = [inner = inner.try_start, find](
                          const request& req,
                          const s3::request_context& ctx) -> std::optional<started_request> {
    const found f = find(req);
    if (f.gateway != nullptr) return req.has_body ? std::nullopt : f.gateway->try_start(req, ctx);
    if (f.control) return std::nullopt;  // start() answers it
    if (!inner) return std::nullopt;
    return inner(req, ctx);
  };
  return handler;
}

}  // namespace s3cors::net
