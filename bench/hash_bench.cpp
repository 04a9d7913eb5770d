// Throughput of the hashes an upload's body goes through, on 1 MiB buffers: CRC-64/NVME (the
// default checksum of every new object) by each of its paths, and every hash::hasher algorithm
// (MD5 for the ETag, the x-amz-checksum-* ones). Bytes per second in the "bytes_per_second"
// column. Build with a release preset: cmake --build build/release --target bench_hash.
#include "hash/crc64nvme.hpp"
#include "s3cors/hash/crc.hpp"
#include "s3cors/hash/hasher.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using s3cors::hash::algorithm;

constexpr std::size_t buffer_size = std::size_t{1} << 20;

const std::string& buffer() {
  static const std::string data = [] {
    std::string bytes(buffer_size, '\0');
    std::uint64_t seed = 1;
    for (char& c : bytes) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      c = static_cast<char>(seed >> 56);
    }
    return bytes;
  }();
  return data;
}

template <std::uint64_t (*update)(std::uint64_t, const unsigned char*, std::size_t) noexcept>
void crc64nvme(benchmark::State& state) {
  const auto* data = reinterpret_cast<const unsigned char*>(buffer().data());
  std::uint64_t reg = ~std::uint64_t{0};
  for (auto _ : state) {
    reg = update(reg, data, buffer_size);
    benchmark::DoNotOptimize(reg);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(buffer_size));
}

void crc64nvme_clmul(benchmark::State& state) {
  if (!s3cors::hash::crc64nvme_clmul_supported()) {
    state.SkipWithError("this CPU has no PCLMULQDQ");
    return;
  }
  crc64nvme<&s3cors::hash::crc64nvme_update_clmul>(state);
}

void hasher(benchmark::State& state, algorithm which) {
  s3cors::hash::hasher h(which);
  const std::string_view data = buffer();
  for (auto _ : state) h.update(data);
  benchmark::DoNotOptimize(h.finish());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(buffer_size));
}

}  // namespace

BENCHMARK(crc64nvme<&s3cors::hash::crc64nvme_update>)->Name("crc64nvme/crc64nvme_update");
BENCHMARK(crc64nvme<&s3cors::hash::crc64nvme_update_table>)->Name("crc64nvme/table");
BENCHMARK(crc64nvme_clmul)->Name("crc64nvme/clmul");
BENCHMARK_CAPTURE(hasher, crc64nvme, algorithm::crc64nvme)->Name("hasher/crc64nvme");
BENCHMARK_CAPTURE(hasher, crc32c, algorithm::crc32c)->Name("hasher/crc32c");
BENCHMARK_CAPTURE(hasher, crc32, algorithm::crc32)->Name("hasher/crc32");
BENCHMARK_CAPTURE(hasher, md5, algorithm::md5)->Name("hasher/md5");
BENCHMARK_CAPTURE(hasher, sha1, algorithm::sha1)->Name("hasher/sha1");
BENCHMARK_CAPTURE(hasher, sha256, algorithm::sha256)->Name("hasher/sha256");
