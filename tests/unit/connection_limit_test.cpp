#include "s3cors/net/connection_limit.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>

using s3cors::net::effective_connection_limit;

TEST_CASE("connection_limit: the descriptor limit caps max_connections, with a reserve",
          "[connection_limit]") {
  struct row {
    std::uint64_t descriptors;
    std::size_t configured;
    unsigned threads;
    std::size_t expected;
  };
  // (descriptors - 32 - 3 * threads) / 2, never above configured, at least 1.
  const row rows[] = {
      {1024, 10000, 4, 490},      // systemd's default soft limit
      {1024, 100, 4, 100},        // enough descriptors: the configured value
      {1024, 490, 4, 490},        // exactly enough
      {1024, 491, 4, 490},        // one too many
      {64, 10000, 2, 13},         // odd remainder rounds down
      {65, 10000, 2, 13},         //
      {66, 10000, 2, 14},         //
      {524288, 10000, 8, 10000},  // systemd's default hard limit
      {38, 10000, 2, 1},          // the reserve alone: still one connection
      {39, 10000, 2, 1},          // one descriptor over the reserve
      {10, 10000, 2, 1},          // below the reserve
      {0, 10000, 1, 1},           //
      {10, 0, 2, 0},              // configured 0 stays 0
      {std::numeric_limits<std::uint64_t>::max(), 10000, 64, 10000},  // no limit
      {std::numeric_limits<std::uint64_t>::max() - 1, std::numeric_limits<std::size_t>::max(), 1,
       std::numeric_limits<std::size_t>::max() / 2 - 18},  // no overflow
      {std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::size_t>::max(), 1,
       std::numeric_limits<std::size_t>::max()},
  };
  for (const auto& r : rows) {
    INFO("descriptors " << r.descriptors << ", configured " << r.configured << ", threads " << r.threads);
    CHECK(effective_connection_limit(r.descriptors, r.configured, r.threads) == r.expected);
  }
}
