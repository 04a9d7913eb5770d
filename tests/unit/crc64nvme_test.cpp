// CRC-64/NVME's fast paths (hash/crc64nvme.hpp: carry-less folding where the CPU has it,
// slicing by eight everywhere) against the check value, vectors from the AWS SDK for
// JavaScript's own implementation, and the bitwise definition over every length, alignment
// and split the hasher may see.
#include "hash/crc64nvme.hpp"
#include "s3cors/hash/crc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using s3cors::hash::algorithm;

constexpr std::uint64_t all_ones = ~std::uint64_t{0};

// CRC-64/NVME bit by bit from its definition: reflected polynomial 0x9A6C9329AC4BC9B5, register
// and final xor all ones.
std::uint64_t bitwise_update(std::uint64_t reg, std::string_view data) {
  for (const char c : data) {
    reg ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) reg = (reg & 1U) != 0 ? (reg >> 1) ^ 0x9A6C9329AC4BC9B5ULL : reg >> 1;
  }
  return reg;
}

using update_fn = std::uint64_t (*)(std::uint64_t, const unsigned char*, std::size_t) noexcept;

struct implementation {
  const char* name;
  update_fn update;
};

// Every way of computing it this CPU can run: the table, the carry-less path when the CPU has it,
// and (with_entry_point) the dispatching crc64nvme_update, which is one of the two.
std::vector<implementation> implementations(bool with_entry_point) {
  std::vector<implementation> all{{"table", &s3cors::hash::crc64nvme_update_table}};
  if (s3cors::hash::crc64nvme_clmul_supported())
    all.push_back({"clmul", &s3cors::hash::crc64nvme_update_clmul});
  if (with_entry_point) all.push_back({"crc64nvme_update", &s3cors::hash::crc64nvme_update});
  return all;
}

std::uint64_t update(update_fn fn, std::uint64_t reg, std::string_view data) {
  return fn(reg, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string pseudo_random(std::size_t size, std::uint64_t seed) {
  std::string data(size, '\0');
  for (char& c : data) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(seed >> 56);
  }
  return data;
}

std::string bytes_0_to_255() {
  std::string data(256, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i);
  return data;
}

}  // namespace

TEST_CASE("crc64nvme: check value and the AWS SDK's vectors, for every implementation",
          "[checksum][crc64nvme]") {
  // Expected values: "123456789" is CRC-64/NVME's catalogued check value; the others were
  // computed with the AWS SDK for JavaScript v3 (@aws-sdk/checksums Crc64NvmeJs), base64 of the
  // big-endian CRC as x-amz-checksum-crc64nvme carries it.
  struct vector_case {
    std::string name;
    std::string data;
    std::uint64_t crc;
    const char* base64;
  };
  const std::vector<vector_case> cases{
      {"empty", "", 0x0000000000000000ULL, "AAAAAAAAAAA="},
      {"a", "a", 0x8C2F8445B4CBFC3CULL, "jC+ERbTL/Dw="},
      {"check value", "123456789", 0xAE8B14860A799888ULL, "rosUhgp5mIg="},
      {"Hello world", "Hello world", 0x38E259D03F312ADBULL, "OOJZ0D8xKts="},
      {"fox", "The quick brown fox jumps over the lazy dog", 0xD76C54054954C143ULL, "12xUBUlUwUM="},
      {"bytes 0..255", bytes_0_to_255(), 0xFF71E21279D9966EULL, "/3HiEnnZlm4="},
      {"1 MiB of 'a'", std::string(std::size_t{1} << 20, 'a'), 0x970663C5B13C0AA3ULL, "lwZjxbE8CqM="},
      {"1 MiB of zeros", std::string(std::size_t{1} << 20, '\0'), 0xBD7696385DA31B46ULL, "vXaWOF2jG0Y="},
  };
  for (const auto& c : cases) {
    for (const auto& impl : implementations(true)) {
      INFO(c.name << " with " << impl.name);
      CHECK((update(impl.update, all_ones, c.data) ^ all_ones) == c.crc);
    }
    INFO(c.name);
    if (c.data.size() < 4096) CHECK((bitwise_update(all_ones, c.data) ^ all_ones) == c.crc);
    s3cors::hash::hasher h(algorithm::crc64nvme);
    h.update(c.data);
    CHECK(s3cors::hash::base64_encode(h.finish()) == c.base64);
  }
}

TEST_CASE("crc64nvme: every length from 0 to 4096 at every alignment matches the definition",
          "[checksum][crc64nvme]") {
  constexpr std::size_t max_length = 4096;
  constexpr std::size_t alignments = 16;
  const std::string data = pseudo_random(max_length, 1);
  std::string buffer(max_length + alignments, '\0');
  const auto impls = implementations(false);
  std::uint64_t expected = all_ones;
  for (std::size_t length = 0; length <= max_length; ++length) {
    // The definition, one byte further each step (also from a register other than all ones).
    if (length > 0) expected = bitwise_update(expected, std::string_view(data).substr(length - 1, 1));
    for (std::size_t offset = 0; offset < alignments; ++offset) {
      buffer.replace(offset, length, data, 0, length);
      const std::string_view piece(buffer.data() + offset, length);
      for (const auto& impl : impls) {
        const std::uint64_t got = update(impl.update, all_ones, piece);
        if (got != expected) {
          INFO(impl.name << ", length " << length << ", offset " << offset);
          CHECK(got == expected);
        }
      }
    }
  }
}

TEST_CASE("crc64nvme: any split into pieces gives the same CRC", "[checksum][crc64nvme]") {
  SECTION("every split point of every length up to 400, in two and three pieces") {
    // Past two 128-byte strides and their 16-byte tails: every way into and out of the loops.
    const auto impls = implementations(false);
    const std::string data = pseudo_random(400, 2);
    for (std::size_t length = 0; length <= data.size(); ++length) {
      const std::string_view whole(data.data(), length);
      const std::uint64_t expected = bitwise_update(all_ones, whole);
      for (const auto& impl : impls) {
        for (std::size_t cut = 0; cut <= length; ++cut) {
          const std::uint64_t two =
              update(impl.update, update(impl.update, all_ones, whole.substr(0, cut)), whole.substr(cut));
          // A third piece of up to 37 bytes in the middle.
          const std::size_t middle = std::min<std::size_t>(length - cut, cut % 38);
          const std::uint64_t three =
              update(impl.update,
                     update(impl.update, update(impl.update, all_ones, whole.substr(0, cut)),
                            whole.substr(cut, middle)),
                     whole.substr(cut + middle));
          if (two != expected || three != expected) {
            INFO(impl.name << ", length " << length << ", cut " << cut << ", middle " << middle);
            CHECK(two == expected);
            CHECK(three == expected);
          }
        }
      }
    }
  }
  SECTION("a few MiB in random pieces, directly and through the hasher") {
    const std::string data = pseudo_random((std::size_t{3} << 20) + 77, 3);
    const std::uint64_t expected = bitwise_update(all_ones, data);
    std::uint64_t seed = 4;
    for (const auto& impl : implementations(true)) {
      for (const std::size_t max_piece :
           {std::size_t{1}, std::size_t{17}, std::size_t{300}, std::size_t{70'000}, std::size_t{1} << 22}) {
        INFO(impl.name << ", pieces of at most " << max_piece);
        std::uint64_t reg = all_ones;
        s3cors::hash::hasher h(algorithm::crc64nvme);
        // One byte at a time only over the first 64 KiB, to keep the test quick.
        const std::size_t limit = max_piece == 1 ? std::size_t{1} << 16 : data.size();
        std::size_t at = 0;
        while (at < limit) {
          seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
          const std::size_t n = std::min<std::size_t>(limit - at, 1 + (seed >> 33) % max_piece);
          reg = update(impl.update, reg, std::string_view(data).substr(at, n));
          h.update(std::string_view(data).substr(at, n));
          at += n;
        }
        const std::uint64_t want =
            limit == data.size() ? expected : bitwise_update(all_ones, data.substr(0, limit));
        CHECK(reg == want);
        std::string big_endian(8, '\0');
        const std::uint64_t crc = want ^ all_ones;
        for (std::size_t i = 0; i < 8; ++i) big_endian[7 - i] = static_cast<char>(crc >> (8 * i));
        CHECK(h.finish() == big_endian);
      }
    }
  }
}
