#include "s3cors/edge/body_bytes.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

using s3cors::edge::body_bytes;

namespace {

// A body whose every byte depends on its position, so a shifted or truncated copy shows.
std::string patterned(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  return out;
}

}  // namespace

TEST_CASE("edge body bytes: small bodies stay on the heap, without a descriptor", "[edge]") {
  const std::string text = patterned(body_bytes::sealed_threshold - 1);
  const auto body = body_bytes::make(text);
  CHECK(body->descriptor() == -1);
  CHECK(body->view() == text);
  CHECK(body_bytes::make("")->view().empty());
}

TEST_CASE("edge body bytes: large bodies are a sealed memfd, read through the mapping and the descriptor",
          "[edge]") {
  const std::string text = patterned(2 * 1024 * 1024 + 17);
  const auto body = body_bytes::make(text);
  REQUIRE(body->descriptor() >= 0);
  CHECK(body->size() == text.size());
  CHECK(body->view() == text);

  // What sendfile() reads: the descriptor's bytes at any offset.
  struct stat st {};
  REQUIRE(::fstat(body->descriptor(), &st) == 0);
  CHECK(static_cast<std::size_t>(st.st_size) == text.size());
  std::string tail(1000, '\0');
  REQUIRE(::pread(body->descriptor(), tail.data(), tail.size(), static_cast<off_t>(text.size() - 1000)) ==
          1000);
  CHECK(tail == text.substr(text.size() - 1000));

  // Sealed: no writer can change what concurrent hits are sending.
  const int seals = ::fcntl(body->descriptor(), F_GET_SEALS);
  CHECK((seals & F_SEAL_WRITE) != 0);
  CHECK((seals & F_SEAL_SHRINK) != 0);
  CHECK((seals & F_SEAL_GROW) != 0);
  CHECK((seals & F_SEAL_SEAL) != 0);
  CHECK(::pwrite(body->descriptor(), "x", 1, 0) == -1);
  CHECK(::ftruncate(body->descriptor(), 0) == -1);
  CHECK(body->view() == text);
}

TEST_CASE("edge body bytes: the descriptor is closed with the last reference", "[edge]") {
  int fd = -1;
  {
    const auto body = body_bytes::make(patterned(body_bytes::sealed_threshold));
    fd = body->descriptor();
    REQUIRE(fd >= 0);
    CHECK(::fcntl(fd, F_GETFD) >= 0);
  }
  CHECK(::fcntl(fd, F_GETFD) == -1);
}
