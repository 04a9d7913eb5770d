#pragma once
// The edge's origin seam (docs/edge.md §9): the gateway asks "fetch this origin request" and
// gets the origin's answer. One implementation today, service_origin, which calls this server's
// S3 service in process (no TCP hop); other origins (a remote HTTP server) can implement the
// same interface later.
#include "s3cors/edge/cache_key.hpp"
#include "s3cors/http/body_sink.hpp"
#include "s3cors/s3/context.hpp"

#include <string_view>

namespace s3cors::s3 {
class service;
}

namespace s3cors::edge {

/// One request to an origin: what build_origin_request() produced, for a bucket and path.
struct origin_fetch {
  std::string_view bucket;
  std::string_view path;  ///< the viewer's path as sent (percent-encoded), starting with '/'
  const origin_request& request;
  /// Set for a request with a body (methods the behaviour forwards uncached): its length when
  /// the viewer announced it. The body itself then goes to the returned sink.
  bool has_body = false;
  std::optional<std::uint64_t> content_length;
  /// With origin access control, the distribution's ARN (distribution_arn): the request
  /// reaches the bucket as cloudfront.amazonaws.com acting for it. Empty: anonymous.
  std::string_view distribution_arn{};
};

class origin {
 public:
  virtual ~origin() = default;
  /// The origin's answer, or a sink for the body when fetch.has_body. May wait for a disk:
  /// callers run it on worker threads. Thread-safe.
  [[nodiscard]] virtual started_request fetch(const origin_fetch& fetch,
                                              const s3::request_context& ctx) const = 0;
};

/// A bucket of this server: the request goes to the S3 service as a path-style request
/// "/BUCKET/PATH?QUERY" carrying only the forwarded headers (plus a Host that selects path
/// style). Anonymous, as CloudFront without origin access control (with credentials configured,
/// the bucket's ACL or policy must allow public reads); with it, as the service principal
/// cloudfront.amazonaws.com with aws:SourceArn the distribution's ARN, which the bucket's
/// policy grants as on S3.
class service_origin final : public origin {
 public:
  explicit service_origin(const s3::service& service) : service_(service) {}
  [[nodiscard]] started_request fetch(const origin_fetch& fetch,
                                      const s3::request_context& ctx) const override;

 private:
  const s3::service& service_;
};

}  // namespace s3cors::edge
