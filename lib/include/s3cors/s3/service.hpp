#pragma once
// The S3 application: request in, response out. No sockets, no clock, no logging.
#include "s3cors/http/request.hpp"
#include "s3cors/http/response.hpp"
#include "s3cors/s3/context.hpp"
#include "s3cors/s3/route.hpp"

namespace s3cors::store {
class object_store;
}

namespace s3cors::s3 {

struct service_options {
  routing_options routing;
};

class service {
 public:
  /// The store must outlive the service. Thread-safe: handle() may run on many threads.
  service(const store::object_store& store, service_options options);

  /// Always returns a response; failures become S3 error responses.
  [[nodiscard]] response handle(const request& req, const request_context& ctx) const;

 private:
  [[nodiscard]] response dispatch(const request& req, const routed& r, const request_context& ctx) const;
  [[nodiscard]] response list_buckets(const request_context& ctx) const;
  [[nodiscard]] response head_bucket(const head_bucket_op& op, const request_context& ctx) const;
  [[nodiscard]] response get_object(const request& req, const get_object_op& op,
                                    const request_context& ctx) const;
  [[nodiscard]] response preflight(const request& req, const preflight_op& op,
                                   const request_context& ctx) const;

  const store::object_store& store_;
  service_options options_;
};

}  // namespace s3cors::s3
