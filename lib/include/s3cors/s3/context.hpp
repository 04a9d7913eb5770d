#pragma once
// What the transport knows about a request that the pure core must not compute itself.
#include <chrono>
#include <string>

namespace s3cors::s3 {

struct request_context {
  std::chrono::sys_seconds now{};  ///< the clock, read by the transport
  std::string request_id;          ///< x-amz-request-id and <RequestId>
  std::string host_id;             ///< x-amz-id-2 and <HostId>
  std::string source_ip{};         ///< the client's address ("" when unknown): aws:SourceIp
};

}  // namespace s3cors::s3
