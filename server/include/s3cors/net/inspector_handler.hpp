#pragma once
// The inspector's endpoints (/_s3cors/inspector..., docs/inspector.md) in front of another
// handler. They answer from memory, on the network thread.
#include "s3cors/inspector/endpoints.hpp"
#include "s3cors/net/http_server.hpp"

#include <string_view>
#include <utility>

namespace s3cors::net {

/// `inner`, with the inspector's paths answered by `endpoints`, which must outlive the handler;
/// inner's other hooks (faults) are kept.
[[nodiscard]] inline request_handler with_inspector(request_handler inner,
                                                    const inspector::endpoints& endpoints) {
  auto is_ours = [](const request& req) {
    const std::string_view target = req.target;
    return inspector::is_inspector_path(target.substr(0, target.find('?')));
  };
  auto answer_it = [&endpoints](const request& req, const s3::request_context& ctx) {
    started_request out;
    out.reply = endpoints.handle(req, ctx);
    // A body is never read: the connection cannot carry another request after it.
    if (req.has_body) out.reply.res.close = true;
    return out;
  };
  // Everything else `inner` does (the media-fault hook among it) stays as it is.
  request_handler handler = inner;
  handler.start = [inner = inner.start, is_ours, answer_it](const request& req,
                                                            const s3::request_context& ctx) {
    if (is_ours(req)) return answer_it(req, ctx);
    return inner(req, ctx);
  };
  handler.try_start = [inner = inner.try_start, is_ours, answer_it](
                          const request& req,
                          const s3::request_context& ctx) -> std::optional<started_request> {
    if (is_ours(req)) return answer_it(req, ctx);
    if (!inner) return std::nullopt;
    return inner(req, ctx);
  };
  return handler;
}

}  // namespace s3cors::net
