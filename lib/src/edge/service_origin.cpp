#include "s3cors/edge/origin.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/service.hpp"

namespace s3cors::edge {

started_request service_origin::fetch(const origin_fetch& fetch, const s3::request_context& ctx) const {
  request req;
  req.verb = method_from_string(fetch.request.method);
  req.method_name = fetch.request.method;
  req.target.reserve(1 + fetch.bucket.size() + fetch.path.size() + 1 + fetch.request.query.size());
  req.target += '/';
  req.target += fetch.bucket;
  req.target += fetch.path.empty() ? "/" : fetch.path;
  if (!fetch.request.query.empty()) {
    req.target += '?';
    req.target += fetch.request.query;
  }
  // Only what the policies forward reaches the bucket. The Host selects path style whatever
  // virtual-hosted domain the server is configured with.
  req.headers.reserve(fetch.request.headers.size() + 1);
  req.headers.add("Host", "localhost");
  for (const auto& [name, value] : fetch.request.headers) req.headers.add(name, value);
  req.has_body = fetch.has_body;
  req.content_length = fetch.content_length;
  // The edge's request is anonymous (CloudFront without origin access control): the service
  // must not see the viewer's identity.
  s3::request_context origin_ctx(ctx.now, ctx.request_id, ctx.host_id);
  origin_ctx.source_ip = "127.0.0.1";  // the origin sees the edge, as S3 sees CloudFront
  if (!fetch.distribution_arn.empty()) {
    origin_ctx.on_behalf_of = s3::request_context::service_call{
        "cloudfront.amazonaws.com", std::string(fetch.distribution_arn), std::string(s3::owner_account_id)};
  }
  return service_.start(req, origin_ctx);
}

}  // namespace s3cors::edge
