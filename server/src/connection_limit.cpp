#include "s3cors/net/connection_limit.hpp"

#include <algorithm>
#include <limits>

namespace s3cors::net {

std::size_t effective_connection_limit(std::uint64_t descriptor_limit, std::size_t configured,
                                       unsigned threads) noexcept {
  if (descriptor_limit == std::numeric_limits<std::uint64_t>::max()) return configured;
  const std::uint64_t fixed = reserved_descriptors + std::uint64_t{threads} * descriptors_per_thread;
  if (descriptor_limit <= fixed) return std::min<std::size_t>(configured, 1);
  const std::uint64_t allowed = (descriptor_limit - fixed) / descriptors_per_connection;
  if (allowed >= configured) return configured;
  return std::max<std::size_t>(1, static_cast<std::size_t>(allowed));
}

}  // namespace s3cors::net
