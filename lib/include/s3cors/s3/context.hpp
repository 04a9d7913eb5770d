#pragma once
// What the transport knows about a request that the pure core must not compute itself.
#include "s3cors/s3/party.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace s3cors::s3 {

struct request_context {
  request_context() = default;
  // A constructor rather than an aggregate: {now, id, host} stays complete with requester added.
  request_context(std::chrono::sys_seconds at, std::string id, std::string host)
      : now(at), request_id(std::move(id)), host_id(std::move(host)) {}

  std::chrono::sys_seconds now{};  ///< the clock, read by the transport
  std::string request_id;          ///< x-amz-request-id and <RequestId>
  std::string host_id;             ///< x-amz-id-2 and <HostId>
  std::string source_ip{};         ///< the client's address ("" when unknown): aws:SourceIp
  /// Who signed the request, once service::start verified it (nullopt: anonymous, or no
  /// credentials configured): what CreateBucket and uploads record as owner.
  std::optional<party> requester;
  /// Set only by in-process callers, never from the wire: an AWS service acting for one of its
  /// resources, as CloudFront with origin access control calls S3. Bucket policies see the
  /// service principal and aws:SourceArn / aws:SourceAccount.
  struct service_call {
    std::string service;         ///< e.g. "cloudfront.amazonaws.com"
    std::string source_arn;      ///< e.g. "arn:aws:cloudfront::123456789012:distribution/E1"
    std::string source_account;  ///< the resource's account
  };
  std::optional<service_call> on_behalf_of;
};

}  // namespace s3cors::s3
